"""The mrkdwn renderer: formatting it must produce, and input it must render inert."""

from __future__ import annotations

import re

import pytest

from viewer.mrkdwn import Names, safe_url, to_html, to_markdown

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "span",
}
ALLOWED_ATTRIBUTES = {"href", "rel", "class", "role", "aria-label"}
NAMES = Names(
    users={"U1": "alice", "U2": "<b>bob</b>"},
    channels={"C1": "inc-1"},
    channel_url=lambda channel: f"https://acme.slack.com/archives/{channel}",
)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*bold*", "<p><strong>bold</strong></p>"),
        ("_italic_", "<p><em>italic</em></p>"),
        ("~struck~", "<p><del>struck</del></p>"),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        ("```\nline 1\n*not bold*\n```", "<pre><code>line 1\n*not bold*</code></pre>"),
        ("&gt; quoted\n&gt; again", "<blockquote><p>quoted<br>\nagain</p></blockquote>"),
        ("• one\n• two", "<ul><li>one</li><li>two</li></ul>"),
        ("- one\n- two", "<ul><li>one</li><li>two</li></ul>"),
        ("1. one\n2. two", "<ol><li>one</li><li>two</li></ol>"),
        ("first\nsecond\n\nthird", "<p>first<br>\nsecond</p>\n<p>third</p>"),
        ("<@U1>", '<p><span class="mention">@alice</span></p>'),
        ("<@U9|fallback>", '<p><span class="mention">@fallback</span></p>'),
        ("<#C1>", '<p><a class="mention" href="https://acme.slack.com/archives/C1">#inc-1</a></p>'),
        ("<!here>", '<p><span class="mention">@here</span></p>'),
        (
            ":fire: :no_such_emoji:",
            '<p><span role="img" aria-label="fire">\U0001f525</span> :no_such_emoji:</p>',
        ),
        (
            "<https://example.com/a?b=1&amp;c=2|the docs>",
            '<p><a href="https://example.com/a?b=1&amp;c=2">the docs</a></p>',
        ),
        (
            "*<https://x.example|bold link>*",
            '<p><strong><a href="https://x.example">bold link</a></strong></p>',
        ),
        ("snake_case_name and 2*3*4", "<p>snake_case_name and 2*3*4</p>"),
        ("* not bold *", "<ul><li>not bold *</li></ul>"),
        ("an *unclosed mark", "<p>an *unclosed mark</p>"),
        ("", ""),
    ],
)
def test_formatting(text: str, html: str) -> None:
    assert str(to_html(text, NAMES)) == html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<img src=x onerror=alert(1)>",
        "&lt;img src=x onerror=alert(1)&gt;",
        "<javascript:alert(1)|click me>",
        "<JavaScript:alert(1)>",
        "<data:text/html,<script>alert(1)</script>|x>",
        '<https://ok.example" onmouseover="alert(1)|x>',
        "*<script>*",
        "`<script>alert(1)</script>`",
        "```<script>alert(1)</script>```",
        "&gt; <img src=x onerror=alert(1)>",
        "<@U2>",
        "\x00<script>\x00",
        '<a href="javascript:alert(1)">x</a>',
        "<vbscript:msgbox(1)|x>",
    ],
)
def test_hostile_input_renders_inert(text: str) -> None:
    html = str(to_html(text, NAMES))
    assert "\x00" not in html
    # The only tags and attributes are ones the renderer writes; hostile words may remain
    # as visible text, escaped, but never as markup.
    assert set(re.findall(r"</?([a-zA-Z]+)", html)) <= ALLOWED_TAGS
    for tag in re.findall(r"<[a-z]+\b([^>]*)>", html):
        attributes = re.findall(r'\s([a-z-]+)="([^"]*)"', tag)
        assert re.sub(r'\s[a-z-]+="[^"]*"', "", tag).strip() == ""
        for name, value in attributes:
            assert name in ALLOWED_ATTRIBUTES
            if name == "href":
                assert value.startswith(("https://", "http://", "mailto:"))


def test_unsafe_link_keeps_its_label_as_text() -> None:
    assert str(to_html("<javascript:alert(1)|click me>")) == "<p>click me</p>"


def test_safe_url() -> None:
    assert safe_url("https://example.com/x") == "https://example.com/x"
    assert safe_url("mailto:ops@example.com") == "mailto:ops@example.com"
    for bad in (
        "javascript:alert(1)",
        " javascript:alert(1)",
        "https://",
        "/relative",
        "https://a b",
        "data:text/html,x",
        "ftp://host/file",
    ):
        assert safe_url(bad) is None


def test_markdown_conversion_resolves_and_escapes() -> None:
    text = "*bold* _it_ ~gone~ <@U1> <#C1> <https://x.example|site> <script> `<@U1>`"
    assert to_markdown(text, NAMES) == (
        "**bold** _it_ ~~gone~~ @alice #inc-1 [site](https://x.example) \\<script\\> `@alice`"
    )
    assert to_markdown("&gt; quote\n• item", NAMES) == "> quote\n- item"
