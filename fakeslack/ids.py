"""Identifiers and timestamps in Slack's formats (channel/view/event ids, message ts, triggers)."""

from __future__ import annotations

import random
import string
import threading

from fakeslack import clock

_ALNUM = string.ascii_uppercase + string.digits
_MIXED = string.ascii_letters + string.digits
# Slack's second trigger_id segment is stable per workspace; any constant digits will do.
_TRIGGER_TEAM_PART = "2206425137"


class IdFactory:
    """Makes fresh ids; one instance per fake workspace so `ts` values never repeat."""

    def __init__(self) -> None:
        self._rng = random.Random()
        self._lock = threading.Lock()
        self._last_sec = 0
        self._seq = 0
        self._trigger_seq = 7263124593000

    def alnum(self, length: int) -> str:
        with self._lock:
            return "".join(self._rng.choice(_ALNUM) for _ in range(length))

    def token(self, length: int) -> str:
        """Mixed-case alphanumerics, as in block ids and view hashes."""
        with self._lock:
            return "".join(self._rng.choice(_MIXED) for _ in range(length))

    def prefixed(self, prefix: str, length: int = 10) -> str:
        return prefix + self.alnum(length)

    def hex(self, length: int) -> str:
        with self._lock:
            return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def digits(self, length: int) -> str:
        with self._lock:
            return str(self._rng.randint(10 ** (length - 1), 10**length - 1))

    def ts(self) -> str:
        """A message timestamp, strictly increasing even within one second."""
        with self._lock:
            now = int(clock.now())
            if now > self._last_sec:
                self._last_sec, self._seq = now, 100
            else:
                self._seq += 100
                if self._seq > 999_999:
                    # Borrow the next second rather than repeat or reorder a ts.
                    self._last_sec, self._seq = self._last_sec + 1, 100
            return f"{self._last_sec}.{self._seq:06d}"

    def trigger_id(self) -> str:
        with self._lock:
            self._trigger_seq += self._rng.randint(1, 999)
            seq = self._trigger_seq
        return f"{seq}.{_TRIGGER_TEAM_PART}.{self.hex(32)}"

    def event_id(self) -> str:
        return self.prefixed("Ev")
