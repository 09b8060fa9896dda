"""The tokens Slack acts on in what an app posts: broadcasts, user group, user and channel
mentions and links, found where Slack parses them.

Slack parses the top-level `text` (mrkdwn by default; it is also the notification text) and
`mrkdwn` text objects, and rich_text elements are mentions by construction. `plain_text` is
shown as written: a `<!here>` there is literal text and notifies nobody (docs: "Formatting
text for app surfaces", text-object: plain_text "won't be parsed").

A `mrkdwn` text object without `verbatim: true` is also preprocessed: "URLs will be
auto-converted into links, conversation names will be link-ified, and certain mentions will
be automatically parsed" (text-object reference). Which mentions is not documented; a
typed @here, @channel or @everyone, and a bare URL, are counted as acted on there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_TOKEN = re.compile(r"<([^<>\s][^<>]*)>")
# What Slack's preprocessing may pick up in a mrkdwn object that is not verbatim.
_BARE_BROADCAST = re.compile(r"(?<![\w<!@])@(here|channel|everyone)\b")
_BARE_URL = re.compile(r"(?<![<|\w])(https?://[^\s<>|]+)")
_BROADCASTS = ("here", "channel", "everyone")


def _normalise(inner: str) -> str | None:
    """`<…>` contents -> the token without its label, or None if Slack does not act on it."""
    target = inner.split("|", 1)[0]
    if target[:2] in ("@U", "@W") or target[:2] in ("#C", "#G"):
        return f"<{target}>"
    if target.startswith("!"):
        name = target[1:]
        if name in _BROADCASTS or name.startswith("subteam^"):
            return f"<{target}>"
        return None  # <!date^…> and friends format text; they notify nobody
    if target.startswith(("http://", "https://")):
        return f"<{target}>"
    return None


def tokens_in_text(text: str) -> set[str]:
    found: set[str] = set()
    for match in _TOKEN.finditer(text):
        token = _normalise(match.group(1))
        if token is not None:
            found.add(token)
    return found


def _preprocessed(text: str) -> Iterator[str]:
    """What a non-verbatim mrkdwn object's preprocessing may act on, outside <…> tokens."""
    outside = _TOKEN.sub(" ", text)
    for match in _BARE_BROADCAST.finditer(outside):
        yield f"<!{match.group(1)}>"
    for match in _BARE_URL.finditer(outside):
        yield f"<{match.group(1)}>"


def _rich_element(element: dict[str, Any]) -> str | None:
    kind = element.get("type")
    if kind == "user":
        return f"<@{element.get('user_id')}>"
    if kind == "channel":
        return f"<#{element.get('channel_id')}>"
    if kind == "usergroup":
        return f"<!subteam^{element.get('usergroup_id')}>"
    if kind == "broadcast":
        return f"<!{element.get('range')}>"
    if kind == "link":
        return f"<{element.get('url')}>"
    return None


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "mrkdwn" and isinstance(node.get("text"), str):
        yield from tokens_in_text(node["text"])
        if node.get("verbatim") is not True:
            yield from _preprocessed(node["text"])
        return
    if kind == "plain_text":
        return
    token = _rich_element(node)
    if token is not None and kind != "text":
        yield token
    for value in node.values():
        if isinstance(value, (dict, list)):
            yield from _walk(value)


def mentions_in(message_or_blocks: Any) -> set[str]:
    """Tokens Slack would act on in a message (dict with `text`/`blocks`), a list of blocks,
    or a bare string of mrkdwn: `<!here>`, `<!channel>`, `<!everyone>`, `<!subteam^…>`,
    `<@U…>`, `<#C…>` and `<http…>`, labels dropped."""
    if isinstance(message_or_blocks, str):
        return tokens_in_text(message_or_blocks)
    if isinstance(message_or_blocks, list):
        return set(_walk(message_or_blocks))
    if not isinstance(message_or_blocks, dict):
        raise TypeError("mentions_in takes a message dict, a list of blocks or a string")
    found: set[str] = set()
    text = message_or_blocks.get("text")
    if isinstance(text, str):
        found |= tokens_in_text(text)
    found |= set(_walk(message_or_blocks.get("blocks") or []))
    for attachment in message_or_blocks.get("attachments") or []:
        if isinstance(attachment, dict):
            for key in ("pretext", "text"):
                if isinstance(attachment.get(key), str):
                    found |= tokens_in_text(attachment[key])
            found |= set(_walk(attachment.get("blocks") or []))
    return found
