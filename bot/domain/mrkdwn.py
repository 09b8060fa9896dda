"""People's words inside Slack's mrkdwn (which the timeline stores): shown, never acted on."""

from __future__ import annotations

import re

_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def escape(text: str) -> str:
    """Slack's three control characters, so text people wrote is shown, never acted on:
    a typed `<!here>` or `<@U…>` is displayed, not a ping; `<https://…|x>` is not a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_but_mentions(text: str) -> str:
    """As `escape`, but a person's mention stays one: where it is stored it is shown as
    their name, and it cannot link anywhere."""
    out, last = [], 0
    for match in _MENTION.finditer(text):
        out += [escape(text[last : match.start()]), match.group(0)]
        last = match.end()
    return "".join([*out, escape(text[last:])])
