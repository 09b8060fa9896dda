"""The one place a Slack Web API client is made: base URL and retry policy."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.metrics import SLACK_CALLS

# Slack asks clients to wait Retry-After and try again; a few tries ride out a burst without
# letting one stuck call hold a worker thread for minutes.
RATE_LIMIT_RETRIES = 4
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2


def make_client(
    token: str, base_url: str, *, timeout: int = 15, logger: logging.Logger | None = None
) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        logger=logger or logging.getLogger("slack_sdk.web"),
        retry_handlers=[
            CountingHandler(),
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )


class CountingHandler(RetryHandler):
    """Sees every Web API attempt (slack_sdk asks each handler about each response) and
    counts it; never asks for a retry itself, so the real handlers behind it decide."""

    # can_retry itself, not _can_retry: the base class skips _can_retry once the attempt
    # count passes max_retry_count, and a counter must see every attempt.
    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        if response is None:
            outcome = "connection_error"
        elif response.status_code == 429:
            outcome = "ratelimited"
        elif response.status_code >= 500:
            outcome = "server_error"
        else:
            body = response.body or {}
            outcome = "ok" if body.get("ok") else str(body.get("error") or "error")
        SLACK_CALLS.labels(method=method, outcome=outcome).inc()
        return False
