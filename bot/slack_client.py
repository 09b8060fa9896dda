"""The one place Slack Web API clients are made: base URL and retry policy.

Two kinds: the patient client, for work done after Slack has had its answer (it waits out
rate limits within a budget and rides out server errors), and the quick client, for the
few calls made before an ack, where Slack's three seconds leave no room to wait.
"""

from __future__ import annotations

import logging
import random
import time
import urllib.error
from http.client import RemoteDisconnected

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.metrics import SLACK_CALLS

# Waiting out Retry-After answers for up to five minutes in all carries an update through a
# long rate-limit storm; a call still refused after that is given up (and logged).
RATE_LIMIT_BUDGET_SECONDS = 300.0
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
# Before an ack: one Slack round trip normally takes a fraction of this.
QUICK_TIMEOUT_SECONDS = 2

# Methods Slack applies at most once however often they are sent, or whose repeat answers
# an error instead of doing it twice (already_in_channel, already_archived, name_taken…).
# A call to anything else whose answer was lost is not sent again blindly: it may have been
# done (a second chat.postMessage posts a second message). The caller looks first.
REPEATABLE = frozenset(
    {
        "auth.test",
        "bookmarks.list",
        "chat.getPermalink",
        "chat.update",
        "conversations.archive",
        "conversations.history",
        "conversations.info",
        "conversations.invite",
        "conversations.join",
        "conversations.list",
        "conversations.members",
        "conversations.rename",
        "conversations.replies",
        "conversations.setTopic",
        "pins.list",
        "reactions.get",
        "users.info",
        "users.list",
        "views.update",
    }
)


def method_of(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1]


def make_client(
    token: str, base_url: str, *, timeout: int = 15, logger: logging.Logger | None = None
) -> WebClient:
    """The patient client (Bolt's own, and the scheduler's)."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        logger=logger or logging.getLogger("slack_sdk.web"),
        retry_handlers=[
            CountingHandler(),
            LostConnectionHandler(max_retry_count=CONNECTION_RETRIES),
            RateLimitBudget(RATE_LIMIT_BUDGET_SECONDS),
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )


def make_quick_client(token: str, base_url: str) -> WebClient:
    """For calls before an ack: no waiting on rate limits or server errors, a short timeout.
    Only a connection refused outright (the request never reached Slack) is tried again."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=QUICK_TIMEOUT_SECONDS,
        logger=logging.getLogger("slack_sdk.web"),
        retry_handlers=[CountingHandler(), LostConnectionHandler(max_retry_count=1, quick=True)],
    )


class RateLimitBudget(RetryHandler):
    """On 429, wait Retry-After (plus a little jitter, so replicas do not return together)
    and try again, for as long as the waits of this one call stay within `budget`."""

    def __init__(self, budget: float) -> None:
        super().__init__(max_retry_count=10_000)
        self.budget = budget

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        waited = float((state.custom_values or {}).get("rate_limited_for", 0.0))
        return waited + retry_after(response) <= self.budget

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry only agrees for a 429 answer
        wait = retry_after(response) + random.random()
        values = state.custom_values if state.custom_values is not None else {}
        values["rate_limited_for"] = float(values.get("rate_limited_for", 0.0)) + wait
        state.custom_values = values
        state.next_attempt_requested = True
        time.sleep(wait)
        state.increment_current_attempt()


def retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


class LostConnectionHandler(RetryHandler):
    """A connection error is tried again when repeating the call is harmless: the method is
    REPEATABLE, or the connection was refused before anything was sent. `quick` also skips
    the backoff sleep."""

    def __init__(self, max_retry_count: int, *, quick: bool = False) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.quick = quick

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is None:
            return False
        if _never_sent(error):
            return True
        lost = isinstance(error, ConnectionResetError | RemoteDisconnected | urllib.error.URLError)
        return lost and not self.quick and method_of(request) in REPEATABLE

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if self.quick:
            state.next_attempt_requested = True
            state.increment_current_attempt()
            return
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def _never_sent(error: Exception) -> bool:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, ConnectionRefusedError)


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
        method = method_of(request)
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
