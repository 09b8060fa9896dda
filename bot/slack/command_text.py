"""Reading what people type after /incident or an @-mention of the bot: the words, the people
they name, and the rest as plain text.

Slack sends typed text with its own markup: mentions as `<@U…>` or `<@U…|label>` (a slash
command's label is the name the person picked; with escaping off in an older app, the
mention is the typed `@name`), channels as `<#C…|name>`, `<!here>` and friends, links as
`<https://…|label>`, and `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`. What the bot stores is
plain text ("@bob", "#ops", "@here"): shown escaped, it can never ping or link anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
# A typed "@name" where escaping did not turn it into a mention: Slack's names are
# lowercase letters, digits and . _ -; display names may hold more, but not spaces here.
_PLAIN_NAME = re.compile(r"(?<![\w<@])@([\w][\w.\-']{0,79})")
_TOKEN = re.compile(r"<([^<>]*)>")
_SPECIALS = ("here", "channel", "everyone")


@dataclass(frozen=True)
class CommandText:
    name: str  # lower-cased first word; "" when nothing was typed
    rest: str  # everything after it, as typed


def parse(text: str) -> CommandText:
    words = text.strip().split(maxsplit=1)
    if not words:
        return CommandText("", "")
    return CommandText(words[0].lower(), words[1].strip() if len(words) > 1 else "")


def after_bot_mention(text: str, bot_user_id: str | None) -> str | None:
    """The words after a leading mention of the bot; None unless the message begins with it.

    "<@UBOT> severity 1" is a command; "thanks <@UBOT>" and "<@UBOB> can you close it?" are
    chatter, whatever words follow.
    """
    if not bot_user_id:
        return None
    match = re.match(rf"\s*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", text)
    if match is None:
        return None
    return text[match.end() :].lstrip(" \t\n:,")


@dataclass(frozen=True)
class Named:
    """Who a command names: a Slack user id, or a typed @name still to be looked up."""

    user_id: str | None
    typed_name: str | None
    rest: str  # the text without it, as Slack sent it


def first_person(text: str) -> Named:
    """The first person named in `text` (a mention, else a typed @name), and the rest."""
    match = _USER.search(text)
    if match is not None:
        return Named(match.group(1), None, _squeeze(text[: match.start()] + text[match.end() :]))
    plain = _PLAIN_NAME.search(text)
    if plain is not None and plain.group(1).lower() not in _SPECIALS:
        rest = text[: plain.start()] + text[plain.end() :]
        return Named(None, plain.group(1), _squeeze(rest))
    return Named(None, None, text.strip())


def _squeeze(text: str) -> str:
    return re.sub(r"\s{2,}", " ", text).strip()
