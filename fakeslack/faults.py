"""Fault injection for the Web API: latency, rate limits (one-off or a storm on one method),
error answers, HTTP 5xx, and answers lost after the call took effect.

Set from the test thread, consumed by the server thread, hence the lock.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

ANY_METHOD = "*"


@dataclass
class Fault:
    """One queued answer that replaces the real handler's."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class Faults:
    """Per-method (or "*") faults; queued ones fire on the next N calls, FIFO."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency: dict[str, float] = {}
        self._jitter: dict[str, float] = {}
        self._queued: dict[str, deque[Fault]] = {}
        self._storms: dict[str, tuple[float, int]] = {}  # method -> (until, retry_after)
        self._lost: dict[str, int] = {}

    def latency(self, method: str, seconds: float, *, jitter: float = 0.0) -> None:
        """Delay every call to `method` ("*" for all) by `seconds`, plus up to `jitter` more
        at random (Slack's latency varies, so calls sent in one order may land in another);
        0 removes it."""
        with self._lock:
            if seconds > 0 or jitter > 0:
                self._latency[method] = float(seconds)
                self._jitter[method] = float(jitter)
            else:
                self._latency.pop(method, None)
                self._jitter.pop(method, None)

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        fault = Fault(
            429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(retry_after))}
        )
        self._queue(method, fault, times)

    def rate_limit_for(self, method: str, seconds: float, retry_after: int = 5) -> None:
        """A 429 storm on one method: every call to it in the next `seconds` answers 429 with
        `Retry-After: retry_after`; other methods are unaffected (Slack limits per method)."""
        with self._lock:
            self._storms[method] = (time.monotonic() + seconds, int(retry_after))

    def lose_answer(self, method: str, times: int = 1) -> None:
        """The next `times` calls to `method` take effect (the message is posted, the channel
        made…) and then the connection drops before the answer: the caller sees a
        connection error and cannot tell whether the call happened."""
        with self._lock:
            self._lost[method] = self._lost.get(method, 0) + times

    def error(
        self, method: str, error: str, *, times: int = 1, extra: dict[str, Any] | None = None
    ) -> None:
        self._queue(method, Fault(200, {"ok": False, "error": error, **(extra or {})}), times)

    def server_error(self, method: str, status: int = 500, times: int = 1) -> None:
        error = "service_unavailable" if status == 503 else "internal_error"
        self._queue(method, Fault(status, {"ok": False, "error": error}), times)

    def clear(self) -> None:
        with self._lock:
            self._latency.clear()
            self._jitter.clear()
            self._queued.clear()
            self._storms.clear()
            self._lost.clear()

    def _queue(self, method: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._queued.setdefault(method, deque()).extend([fault] * times)

    # -- used by the server ------------------------------------------------------------

    def delay_for(self, method: str) -> float:
        with self._lock:
            key = method if method in self._latency else ANY_METHOD
            jitter = self._jitter.get(key, 0.0)
            return self._latency.get(key, 0.0) + (random.uniform(0.0, jitter) if jitter else 0.0)

    def take_lost(self, method: str) -> bool:
        """Whether this call's answer is to be lost (consumes one)."""
        with self._lock:
            left = self._lost.get(method, 0)
            if left <= 0:
                return False
            self._lost[method] = left - 1
            return True

    def take(self, method: str) -> Fault | None:
        """The next fault for this call, method-specific ones first; consumes it."""
        with self._lock:
            storm = self._storms.get(method)
            if storm is not None:
                until, retry_after = storm
                if time.monotonic() < until:
                    return Fault(
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(retry_after)},
                    )
                del self._storms[method]
            for key in (method, ANY_METHOD):
                queue = self._queued.get(key)
                if queue:
                    return queue.popleft()
            return None
