"""People's words inside Slack's mrkdwn (which the timeline stores): shown, never acted on."""

from __future__ import annotations

import re
from collections.abc import Callable

_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
_TOKEN = re.compile(r"<([^<>]*)>")
_LINK = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)


def escape(text: str) -> str:
    """Slack's three control characters, so text people wrote is shown, never acted on:
    a typed `<!here>` or `<@U…>` is displayed, not a ping; `<https://…|x>` is not a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's escaping of its three control characters undone (the reverse of `escape`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_but_mentions(text: str) -> str:
    """As `escape`, but a person's mention stays one: where it is stored it is shown as
    their name, and it cannot link anywhere."""
    out, last = [], 0
    for match in _MENTION.finditer(text):
        out += [escape(text[last : match.start()]), match.group(0)]
        last = match.end()
    return "".join([*out, escape(text[last:])])


def readable(text: str, name_of: Callable[[str], str] | None = None) -> str:
    """Slack's markup as the plain text a person would read: "<@U1|bob>" → "@bob",
    "<!here>" → "@here", "<#C1|ops>" → "#ops", "<https://x|docs>" → "docs (https://x)",
    and the escaped &, <, > back to themselves. `name_of` names a user id given no label."""

    def one(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "@" + (label or (name_of(user) if name_of else "") or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            if word == "subteam":
                return "@" + (label.lstrip("@") or "group")
            if word == "date":
                return label or "a date"
            return "@" + (label.lstrip("@") or word)
        if not _LINK.match(target):
            return match.group(0)  # not Slack's markup: `<script>` typed in a form, say
        if label and label != target:
            return f"{label} ({target})"
        return target

    return unescape(_TOKEN.sub(one, text))
