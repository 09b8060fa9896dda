"""The record of Web API calls the app made, and waiting on it from a test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """One completed Web API request as the fake answered it."""

    method: str
    params: dict[str, Any]
    token: str | None
    started_at: float
    finished_at: float
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else self.response.get("error")

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    def summary(self) -> str:
        params = json.dumps(self.params, default=str)
        if len(params) > 160:
            params = params[:157] + "..."
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"{self.method} {params} -> {outcome}"


class CallLog:
    """Thread-safe list of calls with a condition so tests can block until one lands."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._refusals: list[Call] = []
        self._in_flight = 0

    def begin(self) -> None:
        """A request arrived; `settle` waits for it to be answered."""
        with self._cond:
            self._in_flight += 1

    def end(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def settle(self, timeout: float) -> bool:
        """Wait until no request is being answered, so a slow call lands in the test that
        caused it rather than in the next one; False if some were still running."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._in_flight > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def record(self, call: Call, *, refused: bool = False) -> None:
        """Log a call; `refused` marks an error the fake gave by Slack's rules (not a fault)."""
        with self._cond:
            self._calls.append(call)
            if refused:
                self._refusals.append(call)
            self._cond.notify_all()

    def refuse(self, call: Call) -> None:
        """A refusal that is not a Web API call (an app's ack Slack would not accept)."""
        with self._cond:
            self._refusals.append(call)

    def refusals(self) -> list[Call]:
        with self._cond:
            return list(self._refusals)

    def clear(self) -> None:
        with self._cond:
            self._calls.clear()
            self._refusals.clear()

    def all(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def wait_for(
        self,
        method: str,
        *,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
        count: int = 1,
    ) -> Call:
        """Block until `count` matching calls completed; returns the count-th one."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (where is None or where(c))]

        with self._cond:
            while True:
                found = matching()
                if len(found) >= count:
                    return found[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            listing = "\n".join(f"  {c.summary()}" for c in self._calls) or "  (none)"
        raise AssertionError(
            f"expected {count} call(s) to {method}"
            f"{' matching the predicate' if where else ''} within {timeout}s, "
            f"got {len(found)}. Recorded calls:\n{listing}"
        )
