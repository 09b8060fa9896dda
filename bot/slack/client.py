"""The one place Slack Web API clients are made: base URL and retry policy.

Two kinds: the patient client, for work done after Slack has had its answer (it waits out
rate limits within a budget and rides out server errors), and the quick client, for the
few calls made before an ack, where Slack's three seconds leave no room to wait.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import RemoteDisconnected
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState

from bot.domain.metrics import SLACK_CALLS

T = TypeVar("T")

# Waiting out Retry-After answers for up to five minutes in all carries an update through a
# long rate-limit storm; a call still refused after that is given up (and logged).
RATE_LIMIT_BUDGET_SECONDS = 300.0
# A call Slack may repeat safely is tried again through a minute of server errors (a short
# outage); anything else is not repeated blindly (it may have been done before the error).
SERVER_ERROR_BUDGET_SECONDS = 60.0
CONNECTION_RETRIES = 2
# Before an ack: one Slack round trip normally takes a fraction of this; and all of them
# together never more than what is left of ACK_BUDGET_SECONDS.
QUICK_TIMEOUT_SECONDS = 2
# Of Slack's three seconds, what the work before an ack may take in all: the rest is the
# way there and back, and Bolt's own work.
ACK_BUDGET_SECONDS = 2.3
MIN_CALL_SECONDS = 0.05

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


# An ephemeral message Slack answered 5xx for was almost surely not shown; shown twice is
# the worst a repeat can do (it is not repeated after a lost answer, where it likely was).
REPEAT_AFTER_SERVER_ERROR = REPEATABLE | {"chat.postEphemeral"}


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
            ServerErrorBudget(SERVER_ERROR_BUDGET_SECONDS),
        ],
    )


_ack = threading.local()


@contextmanager
def ack_deadline(seconds: float = ACK_BUDGET_SECONDS) -> Iterator[None]:
    """While handling one delivery, until its answer: the quick client's calls made in this
    thread share what is left of `seconds` (set around each dispatch by bot.transport.app)."""
    previous = getattr(_ack, "deadline", None)
    _ack.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _ack.deadline = previous


def sharing_deadline(action: Callable[[], T]) -> Callable[[], T]:
    """`action`, to run on another thread within the current delivery's ack deadline."""
    deadline = getattr(_ack, "deadline", None)

    def run() -> T:
        previous = getattr(_ack, "deadline", None)
        _ack.deadline = deadline
        try:
            return action()
        finally:
            _ack.deadline = previous

    return run


class DeadlineClient(WebClient):
    """A WebClient whose timeout is what is left of the current delivery's ack deadline
    (bot.slack.client.ack_deadline), at most its own; outside one, its own."""

    @property  # type: ignore[override]
    def timeout(self) -> float:
        deadline = getattr(_ack, "deadline", None)
        if deadline is None:
            return self._own_timeout
        return max(MIN_CALL_SECONDS, min(self._own_timeout, deadline - time.monotonic()))

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._own_timeout = float(value)


def make_quick_client(token: str, base_url: str) -> WebClient:
    """For calls before an ack: no waiting on rate limits or server errors, a short timeout,
    and all the calls for one delivery within its ack budget. Only a connection refused
    outright (the request never reached Slack) is tried again."""
    return DeadlineClient(
        token=token,
        base_url=base_url,
        timeout=QUICK_TIMEOUT_SECONDS,
        logger=logging.getLogger("slack_sdk.web"),
        retry_handlers=[CountingHandler(), LostConnectionHandler(max_retry_count=1, quick=True)],
    )


class _Budgeted(RetryHandler):
    """Tries a call again while the waits of this one call stay within `budget`; what it has
    waited so far is kept in the call's retry state under `spent`."""

    spent = ""

    def __init__(self, budget: float) -> None:
        super().__init__(max_retry_count=10_000)
        self.budget = budget

    def _values(self, state: RetryState) -> dict[str, Any]:
        if state.custom_values is None:
            state.custom_values = {}
        return state.custom_values

    def _within_budget(self, state: RetryState, wait: float) -> bool:
        return float(self._values(state).get(self.spent, 0.0)) + wait <= self.budget

    def _wait_then_retry(self, state: RetryState, wait: float) -> None:
        values = self._values(state)
        values[self.spent] = float(values.get(self.spent, 0.0)) + wait
        state.next_attempt_requested = True
        time.sleep(wait)
        state.increment_current_attempt()


class RateLimitBudget(_Budgeted):
    """On 429, wait Retry-After (plus a little jitter, so replicas do not return together)
    and try again, for as long as the waits of this one call stay within `budget`."""

    spent = "rate_limited_for"

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
        return self._within_budget(state, retry_after(response))

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry only agrees for a 429 answer
        self._wait_then_retry(state, retry_after(response) + random.random())


class ServerErrorBudget(_Budgeted):
    """On 500, 502, 503 or 504 for a method safe to repeat after one (REPEATABLE, and
    ephemerals), wait a little (with jitter) and try again while the waits of this one call
    stay within `budget`."""

    spent = "server_errors_for"

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code not in (500, 502, 503, 504):
            return False
        if method_of(request) not in REPEAT_AFTER_SERVER_ERROR:
            return False
        return self._within_budget(state, self._next(state))

    def _next(self, state: RetryState) -> float:
        # 0.5, 1, 2, 2, 2… s: a blip of a few seconds costs a few seconds, an outage a try
        # every two seconds or so until the budget is spent.
        tries = int(self._values(state).get("server_errors", 0))
        return float(min(2.0, 0.5 * 2**tries))

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = self._next(state) * (0.5 + random.random() / 2)
        values = self._values(state)
        values["server_errors"] = int(values.get("server_errors", 0)) + 1
        self._wait_then_retry(state, wait)


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
