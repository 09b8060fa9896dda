"""Reading what people type after /incident or an @-mention of the bot."""

from __future__ import annotations

import re
from dataclasses import dataclass

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


@dataclass(frozen=True)
class CommandText:
    name: str  # lower-cased first word; "" when nothing was typed
    rest: str  # everything after it, as typed


def parse(text: str) -> CommandText:
    words = text.strip().split(maxsplit=1)
    if not words:
        return CommandText("", "")
    return CommandText(words[0].lower(), words[1].strip() if len(words) > 1 else "")


def strip_bot_mention(text: str) -> str:
    """'<@UBOT> status resolved' → 'status resolved'."""
    return _LEADING_MENTION.sub("", text, count=1)


def first_user(text: str) -> tuple[str | None, str]:
    """The first <@U…> in `text`, and the text without it."""
    match = _USER.search(text)
    if match is None:
        return None, text.strip()
    rest = (text[: match.start()] + text[match.end() :]).strip()
    return match.group(1), re.sub(r"\s{2,}", " ", rest)
