"""Slack's per-method budgets the fake enforces by itself (apps.connections.open today): a
token bucket refilled per minute with a small burst, answered 429 + Retry-After past it."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """`per_minute` calls on average, `burst` of them back to back."""

    per_minute: float
    burst: int


# apps.connections.open is Tier 1 in Slack's own table (java-slack-sdk MethodsRateLimits);
# Tier 1 is "1+ per minute ... a small amount of burst behavior is tolerated" (docs
# apis/rate-limits). Slack publishes no burst size: 5 back-to-back opens is the fake's choice,
# enough for a few replicas starting together and a reconnect each. (The current method page
# on docs.slack.dev says Tier 3; make it laxer with FakeSlack.connections_open_limit.)
CONNECTIONS_OPEN = RateLimit(per_minute=1, burst=5)


class Budget:
    """A token bucket; `take()` is None when the call may go ahead, else the seconds to wait."""

    def __init__(self, limit: RateLimit | None) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.refill()

    def refill(self) -> None:
        with self._lock:
            self._tokens = float(self.limit.burst) if self.limit else 0.0
            self._stamp = time.monotonic()

    def set_limit(self, limit: RateLimit | None) -> None:
        self.limit = limit
        self.refill()

    def take(self) -> int | None:
        limit = self.limit
        if limit is None:
            return None
        with self._lock:
            now = time.monotonic()
            rate = limit.per_minute / 60.0
            self._tokens = min(float(limit.burst), self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - self._tokens) / rate)) if rate > 0 else 60
