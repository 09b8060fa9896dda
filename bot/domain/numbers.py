"""Whole numbers read back from what Slack returns (button values, chosen options, form
metadata): text the bot wrote itself, but read as untrusted input."""

from __future__ import annotations

# A database id: at most 18 digits always fits in 64 bits.
ID_DIGITS = 18


def whole_number(value: object, *, digits: int = ID_DIGITS) -> int | None:
    """'42' (or 42, from JSON) → 42; None for anything else: not text, empty, a sign or a
    space, digits that are not ASCII ('²', '٣'), or more than `digits` of them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**digits else None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    return int(value) if len(value) <= digits else None
