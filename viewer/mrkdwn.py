"""Slack mrkdwn to safe HTML (for pages) and to Markdown (for the review draft).

Safety comes from the order of work: every piece of the writer's text is HTML-escaped
first, and only then are the few formatting marks turned into tags this module writes
itself. Slack's `<...>` sequences (links, mentions) are lifted out before escaping and put
back as tags built from checked parts; anything else between angle brackets is shown as
the text it is. Link targets are limited to http, https and mailto.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from markupsafe import Markup, escape

from viewer import emoji

SAFE_SCHEMES = ("http", "https", "mailto")

# A Slack control sequence: everything between < and > on one line.
_CONTROL = re.compile(r"<([^<>\n]{1,2000})>")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{1,30})(?:\|[^<>\n]*)?>")
_CHANNEL_MENTION = re.compile(r"<#([CG][A-Z0-9]{1,30})(?:\|[^<>\n]*)?>")
_USER_TARGET = re.compile(r"@[UW][A-Z0-9]{1,30}")
_CHANNEL_TARGET = re.compile(r"#[CG][A-Z0-9]{1,30}")
_SPACE = re.compile(r"\s")
_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_EMOJI = re.compile(r":([a-z0-9_+\-]{1,60}):(?::skin-tone-[2-6]:)?", re.IGNORECASE)
# Emphasis: the mark must hug the text (no space inside) and must not sit inside a word, so
# snake_case names and arithmetic like 2*3*4 are left alone.
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_QUOTE = re.compile(r"^(?:&gt;|>) ?(.*)$")
_BULLET = re.compile(r"^\s*[•◦▪\-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,4}[.)]\s+(.*)$")
# C0 control characters other than tab and newline: never meaningful in a message, and NUL
# is what this module uses to mark its placeholders.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


@dataclass(frozen=True)
class Names:
    """What the renderer may know about the workspace: people's and channels' names."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    channel_url: Callable[[str], str | None] = lambda _channel_id: None

    def user(self, user_id: str, fallback: str = "") -> str:
        return self.users.get(user_id) or fallback or user_id

    def channel(self, channel_id: str, fallback: str = "") -> str:
        return self.channels.get(channel_id) or fallback or channel_id


def user_ids_in(texts: Iterable[str]) -> set[str]:
    return {match for text in texts for match in _USER_MENTION.findall(text)}


def channel_ids_in(texts: Iterable[str]) -> set[str]:
    return {match for text in texts for match in _CHANNEL_MENTION.findall(text)}


def safe_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) or mailto URL without spaces, else None."""
    url = url.strip()
    if not url or _SPACE.search(url):
        return None
    parsed = urlparse(url)
    if parsed.scheme.lower() not in SAFE_SCHEMES:
        return None
    if parsed.scheme.lower() != "mailto" and not parsed.netloc:
        return None
    return url


def _unslack(text: str) -> str:
    """Undo Slack's own escaping of its three control characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _clean(text: str) -> str:
    return _CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# -- Slack control sequences ---------------------------------------------------------------


@dataclass(frozen=True)
class _Control:
    """One `<...>` sequence, understood: what kind it is and its parts."""

    kind: str  # "user", "channel", "special", "link" or "text"
    target: str
    label: str


def _parse_control(body: str) -> _Control:
    target, _, label = body.partition("|")
    if target.startswith("@") and _USER_TARGET.fullmatch(target):
        return _Control("user", target[1:], label)
    if target.startswith("#") and _CHANNEL_TARGET.fullmatch(target):
        return _Control("channel", target[1:], label)
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in ("here", "channel", "everyone"):
            return _Control("special", name, label or f"@{name}")
        if name in ("subteam", "date") and label:
            return _Control("special", name, label)
        return _Control("text", "", f"<{body}>")
    url = safe_url(_unslack(target))
    if url:
        return _Control("link", url, label)
    # Not a sequence Slack would send (or a link with a scheme we refuse): show the text.
    return _Control("text", "", label if label and ":" in target else f"<{body}>")


def _control_text(control: _Control, names: Names) -> str:
    """The plain words a sequence stands for (used inside code and in alt texts)."""
    if control.kind == "user":
        return "@" + names.user(control.target, control.label)
    if control.kind == "channel":
        return "#" + names.channel(control.target, control.label)
    if control.kind == "link":
        return _unslack(control.label) or control.target
    return _unslack(control.label)


def _control_html(control: _Control, names: Names) -> Markup:
    # Built with escape() and f-strings rather than Markup.format: the same escaping, at a
    # fraction of the cost on a page of thousands of entries.
    text = escape(_control_text(control, names))
    if control.kind == "channel":
        url = names.channel_url(control.target)
        if url:
            return Markup(f'<a class="mention" href="{escape(url)}">{text}</a>')
    if control.kind in ("user", "channel", "special"):
        return Markup(f'<span class="mention">{text}</span>')
    if control.kind == "link":
        return Markup(f'<a href="{escape(control.target)}">{text}</a>')
    return text


# -- HTML ----------------------------------------------------------------------------------


# A line holding none of these characters has nothing to format.
_FORMATTING = re.compile(r"[`<>&:*_~\x00]")


class _Inline:
    """Renders one line of text: placeholders out, escape, emphasis, placeholders back."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.parts: list[Markup] = []

    def _hold(self, markup: Markup) -> str:
        self.parts.append(markup)
        return f"\x00{len(self.parts) - 1}\x00"

    def render(self, line: str) -> Markup:
        if not _FORMATTING.search(line):
            # Most lines are plain words; skip the dozen regular expressions for them.
            return escape(line)
        line = _INLINE_CODE.sub(
            lambda m: self._hold(Markup(f"<code>{escape(self._plain(m.group(1)))}</code>")),
            line,
        )
        line = _CONTROL.sub(
            lambda m: self._hold(_control_html(_parse_control(m.group(1)), self.names)), line
        )
        html = str(escape(_unslack(line)))
        html = _EMOJI.sub(self._emoji, html)
        html = _BOLD.sub(r"<strong>\1</strong>", html)
        html = _ITALIC.sub(r"<em>\1</em>", html)
        html = _STRIKE.sub(r"<del>\1</del>", html)
        # Placeholders may nest (a link inside code is held inside the code's text), so
        # substitute until none are left; each pass removes at least one level.
        while _PLACEHOLDER.search(html):
            html = _PLACEHOLDER.sub(lambda m: str(self.parts[int(m.group(1))]), html)
        return Markup(html)

    def _plain(self, text: str) -> str:
        # In code, Slack still sends links and mentions as <...> and literal angle brackets
        # as entities: resolve the sequences first and the entities after, so neither is
        # mistaken for the other.
        return _unslack(
            _CONTROL.sub(lambda m: _control_text(_parse_control(m.group(1)), self.names), text)
        )

    def _emoji(self, match: re.Match[str]) -> str:
        char = emoji.lookup(match.group(1))
        if char is None:
            return match.group(0)
        label = match.group(1).replace("_", " ")
        return self._hold(
            Markup(f'<span role="img" aria-label="{escape(label)}">{escape(char)}</span>')
        )


def _code_block(text: str, names: Names) -> Markup:
    plain = _CONTROL.sub(lambda m: _control_text(_parse_control(m.group(1)), names), text)
    code = escape(_unslack(plain.strip("\n")))
    return Markup(f"<pre><code>{code}</code></pre>")


def _classify(line: str) -> tuple[str, str]:
    """The block a line belongs to (quote, ul, ol or p) and its text without the marker."""
    for pattern, kind in ((_QUOTE, "quote"), (_BULLET, "ul"), (_NUMBERED, "ol")):
        match = pattern.match(line)
        if match:
            return kind, match.group(1)
    return "p", line


_BR = "<br>\n"


def _blocks(text: str, names: Names) -> list[Markup]:
    """Paragraphs, quotes and lists from text that holds no code fence."""
    out: list[Markup] = []
    kind = ""
    lines: list[Markup] = []

    def flush() -> None:
        nonlocal kind, lines
        if not lines:
            kind = ""
            return
        # Every line is Markup already (escaped by _Inline), so joining them is safe.
        if kind == "p":
            out.append(Markup(f"<p>{_BR.join(lines)}</p>"))
        elif kind == "quote":
            out.append(Markup(f"<blockquote><p>{_BR.join(lines)}</p></blockquote>"))
        else:
            items = "".join(f"<li>{item}</li>" for item in lines)
            out.append(Markup(f"<{kind}>{items}</{kind}>"))
        kind, lines = "", []

    for raw in text.split("\n"):
        if not raw.strip():
            flush()
            continue
        this_kind, content = _classify(raw)
        if this_kind != kind:
            flush()
            kind = this_kind
        lines.append(_Inline(names).render(content))
    flush()
    return out


def to_html(text: str, names: Names | None = None) -> Markup:
    """Render Slack mrkdwn `text` as HTML that is safe to put in a page."""
    names = names or Names()
    text = _clean(text or "")
    parts: list[Markup] = []
    position = 0
    for match in _FENCE.finditer(text):
        parts.extend(_blocks(text[position : match.start()], names))
        parts.append(_code_block(match.group(1), names))
        position = match.end()
    parts.extend(_blocks(text[position:], names))
    return Markup("\n").join(parts)


# -- Markdown ------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def to_plain(text: str, names: Names | None = None) -> str:
    """One line of Slack mrkdwn as the words it shows (mentions as names, links as their
    labels, no markup): for titles, wherever they appear."""
    names = names or Names()
    resolved = _CONTROL.sub(
        lambda m: _control_text(_parse_control(m.group(1)), names), _clean(text or "")
    )
    return " ".join(_unslack(resolved).split())


def markdown_escape(text: str) -> str:
    """Plain text made literal in Markdown (and inert as HTML: `<` is always escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _control_markdown(control: _Control, names: Names) -> str:
    text = markdown_escape(_control_text(control, names))
    if control.kind == "link":
        target = control.target.replace("(", "%28").replace(")", "%29")
        return f"[{text}]({target})"
    return text


def to_markdown(text: str, names: Names | None = None) -> str:
    """Slack mrkdwn as CommonMark, with mentions resolved and no raw HTML let through."""
    names = names or Names()
    text = _clean(text or "")
    out: list[str] = []
    position = 0
    for match in _FENCE.finditer(text):
        out.append(_markdown_lines(text[position : match.start()], names))
        code = _CONTROL.sub(
            lambda m: _control_text(_parse_control(m.group(1)), names), match.group(1)
        )
        out.append("\n```\n" + _unslack(code.strip("\n")).replace("```", "'''") + "\n```\n")
        position = match.end()
    out.append(_markdown_lines(text[position:], names))
    return "".join(out).strip("\n")


def _markdown_lines(text: str, names: Names) -> str:
    lines = []
    for raw in text.split("\n"):
        prefix = ""
        for pattern, marker in ((_QUOTE, "> "), (_BULLET, "- "), (_NUMBERED, "1. ")):
            match = pattern.match(raw)
            if match:
                prefix, raw = marker, match.group(1)
                break
        lines.append(prefix + _markdown_inline(raw, names))
    return "\n".join(lines)


def _markdown_inline(line: str, names: Names) -> str:
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"\x00{len(held) - 1}\x00"

    def code(match: re.Match[str]) -> str:
        plain = _CONTROL.sub(
            lambda m: _control_text(_parse_control(m.group(1)), names), match.group(1)
        )
        return hold("`" + _unslack(plain) + "`")

    line = _INLINE_CODE.sub(code, line)
    line = _CONTROL.sub(lambda m: hold(_control_markdown(_parse_control(m.group(1)), names)), line)
    out = markdown_escape(_unslack(line))
    # Escaping put a backslash before each mark; turn the paired ones into Markdown's own.
    out = re.sub(r"(?<![\w*])\\\*(?=\S)(.*?\S)\\\*(?![\w*])", r"**\1**", out)
    out = re.sub(r"(?<![\w_])\\_(?=\S)(.*?\S)\\_(?![\w_])", r"_\1_", out)
    out = re.sub(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])", r"~~\1~~", out)
    while _PLACEHOLDER.search(out):
        out = _PLACEHOLDER.sub(lambda m: held[int(m.group(1))], out)
    return out
