"""Fault injection for the Web API: latency, rate limits, error answers and HTTP 5xx.

Set from the test thread, consumed by the server thread, hence the lock.
"""

from __future__ import annotations

import threading
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
        self._queued: dict[str, deque[Fault]] = {}

    def latency(self, method: str, seconds: float) -> None:
        """Delay every call to `method` ("*" for all) by `seconds`; 0 removes it."""
        with self._lock:
            if seconds > 0:
                self._latency[method] = float(seconds)
            else:
                self._latency.pop(method, None)

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        fault = Fault(
            429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(retry_after))}
        )
        self._queue(method, fault, times)

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
            self._queued.clear()

    def _queue(self, method: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._queued.setdefault(method, deque()).extend([fault] * times)

    # -- used by the server ------------------------------------------------------------

    def delay_for(self, method: str) -> float:
        with self._lock:
            return self._latency.get(method, self._latency.get(ANY_METHOD, 0.0))

    def take(self, method: str) -> Fault | None:
        """The next fault for this call, method-specific ones first; consumes it."""
        with self._lock:
            for key in (method, ANY_METHOD):
                queue = self._queued.get(key)
                if queue:
                    return queue.popleft()
            return None
