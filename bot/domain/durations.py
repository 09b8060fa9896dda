"""How long things took, in words people read at a glance."""

from __future__ import annotations

import datetime as dt


def human(delta: dt.timedelta) -> str:
    """'45 s', '12 min', '3 h 05 min', '2 d 4 h'."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def open_for(
    reported_at: dt.datetime, resolved_at: dt.datetime | None, now: dt.datetime
) -> dt.timedelta:
    return (resolved_at or now) - reported_at
