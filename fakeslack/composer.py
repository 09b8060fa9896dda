"""What Slack's message composer makes of typed text: autocompleted `@name`, `#channel`,
`@here` and URLs turned into Slack's tokens, `&`/`<`/`>` escaped, and the rich_text block the
client attaches; and the `text` of a slash command with and without `should_escape`.

Sources: docs "Formatting text for app surfaces" (escaping, `<@U…>`, `<#C…>`, `<!here>`,
links), interactivity/slash-commands ("Escape channels, users, and links sent to your app":
URLs wrapped in angle brackets, mentions turned into ids, public channels with their name,
private channels as `<#C…|>`), and the rich_text sample in slack-samples/event_app_mention.json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the workspace imports nothing from here, but keep the graph one-way
    from fakeslack.state import Channel, Workspace

BROADCASTS = ("here", "channel", "everyone")

# One pass over the typed text: a link, an @mention or a #channel, in typing order.
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>]+)"
    r"|(?<![\w@])@(?P<at>[\w.\-]+)"
    r"|(?<![\w#&])#(?P<hash>[\w\-]+)"
)
# Typed URLs usually end a sentence; the client leaves that punctuation out of the link.
_URL_TAIL = ".,;:!?'\""
_BOT_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def escape(text: str) -> str:
    """Slack's three control characters as entities (docs: "Escaping text")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mentioned_users(text: str) -> set[str]:
    """User ids mentioned as `<@U…>` in stored/sent text."""
    return set(_BOT_MENTION.findall(text))


@dataclass
class Piece:
    """One token of typed text: plain text, or what the composer resolved it to."""

    kind: str  # text | user | channel | broadcast | link
    raw: str
    value: str = ""
    label: str = ""
    private: bool = False


@dataclass
class Composed:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _user_named(ws: Workspace, name: str) -> dict[str, Any] | None:
    wanted = name.lower()
    for user in ws.users.values():
        if user.get("deleted"):
            continue
        display = str(user.get("profile", {}).get("display_name") or "")
        if user["name"].lower() == wanted or (display and display.lower() == wanted):
            return user
    return None


def _channel_named(ws: Workspace, name: str, typist: str) -> Channel | None:
    chan = ws.channel_by_name(name)
    if chan is None or chan.is_im:
        return None
    # The composer offers private channels only to their members.
    if chan.is_private and typist not in chan.members:
        return None
    return chan


def _resolve_at(ws: Workspace, word: str) -> tuple[Piece | None, str]:
    """(piece, leftover) for `@word`: punctuation after a name is not part of it."""
    candidate = word
    while candidate:
        if candidate.lower() in BROADCASTS:
            return Piece("broadcast", "@" + candidate, candidate.lower()), word[len(candidate) :]
        user = _user_named(ws, candidate)
        if user is not None:
            piece = Piece("user", "@" + candidate, user["id"], user["name"])
            return piece, word[len(candidate) :]
        if candidate[-1] not in ".-_":
            break
        candidate = candidate[:-1]
    return None, word


def tokenize(ws: Workspace, typed: str, typist: str) -> list[Piece]:
    pieces: list[Piece] = []
    pos = 0

    def plain(text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1].kind == "text":
            pieces[-1].raw += text
        else:
            pieces.append(Piece("text", text))

    for match in _TOKEN.finditer(typed):
        plain(typed[pos : match.start()])
        pos = match.end()
        if match.group("url"):
            url = match.group("url")
            stripped = url.rstrip(_URL_TAIL)
            if stripped.endswith(")") and "(" not in stripped:
                stripped = stripped[:-1]
            pieces.append(Piece("link", stripped, stripped))
            plain(url[len(stripped) :])
        elif match.group("at"):
            piece, rest = _resolve_at(ws, match.group("at"))
            if piece is None:
                plain(match.group(0))
            else:
                pieces.append(piece)
                plain(rest)
        else:
            name = match.group("hash")
            chan = _channel_named(ws, name, typist)
            if chan is None:
                plain(match.group(0))
            else:
                pieces.append(Piece("channel", "#" + name, chan.id, chan.name, chan.is_private))
    plain(typed[pos:])
    return pieces


def compose_message(ws: Workspace, typed: str, typist: str, block_id: str) -> Composed:
    """A typed message as Slack stores and delivers it: `text` plus its rich_text block."""
    text: list[str] = []
    elements: list[dict[str, Any]] = []
    for piece in tokenize(ws, typed, typist):
        if piece.kind == "text":
            text.append(escape(piece.raw))
            elements.append({"type": "text", "text": piece.raw})
        elif piece.kind == "user":
            text.append(f"<@{piece.value}>")
            elements.append({"type": "user", "user_id": piece.value})
        elif piece.kind == "channel":
            text.append(f"<#{piece.value}|{piece.label}>")
            elements.append({"type": "channel", "channel_id": piece.value})
        elif piece.kind == "broadcast":
            text.append(f"<!{piece.value}>")
            elements.append({"type": "broadcast", "range": piece.value})
        else:
            text.append(f"<{escape(piece.value)}>")
            elements.append({"type": "link", "url": piece.value})
    return Composed("".join(text), [rich_text(block_id, elements)])


def raw_message(text: str, block_id: str) -> Composed:
    """The escape hatch: `text` goes on the wire unchanged, in one text element."""
    return Composed(text, [rich_text(block_id, [{"type": "text", "text": text}])])


def rich_text(block_id: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "block_id": block_id,
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }


def command_text(ws: Workspace, typed: str, typist: str, *, should_escape: bool) -> str:
    """The `text` of a slash command as Slack sends it.

    `&`, `<` and `>` arrive as entities whatever `should_escape` says: the client escapes
    all typed text the same way (widely observed; the docs describe only the mention and link
    escaping). With `should_escape` on, mentions become ids and links are bracketed; off, they
    stay as typed.
    """
    if not should_escape:
        return escape(typed)
    out: list[str] = []
    for piece in tokenize(ws, typed, typist):
        if piece.kind == "text":
            out.append(escape(piece.raw))
        elif piece.kind == "user":
            out.append(f"<@{piece.value}|{piece.label}>")
        elif piece.kind == "channel":
            # Slack: private channels carry only the id (`<C…|>`), public ones their name.
            out.append(f"<#{piece.value}|{'' if piece.private else piece.label}>")
        elif piece.kind == "broadcast":
            out.append(f"<!{piece.value}>")
        else:
            out.append(f"<{escape(piece.value)}>")
    return "".join(out)
