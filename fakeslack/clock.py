"""The workspace's clock: real time, unless a replay has moved it (`incident-bot demo`
plays an incident as if it began an hour ago). Message timestamps and event times read it;
deadlines and signatures keep real time."""

from __future__ import annotations

import time

_offset = 0.0


def now() -> float:
    return time.time() + _offset


def shift(seconds: float) -> None:
    """Read the clock `seconds` from real time from now on (negative: in the past)."""
    global _offset
    _offset = seconds
