"""A corpus of XSS payloads in every field people control renders inert on every page and in
the API; every response carries the security headers."""

from __future__ import annotations

from html.parser import HTMLParser

from models import FollowUpAction

XSS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=javascript:alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>">',
    "<a href=javascript:alert(1)>x</a>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<javascript:alert(1)|click me>",
    "<JaVaScRiPt:alert(1)|x>",
    "<data:text/html,<script>alert(1)</script>|x>",
    "<vbscript:msgbox(1)|x>",
    '<https://example.com" onmouseover="alert(1)|x>',
    '<div style="background:url(javascript:alert(1))">',
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<meta http-equiv=refresh content=0;url=javascript:alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<base href=javascript:alert(1)//>",
    "{{7*7}}<%= 7*7 %>${7*7}",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "`*<script>*` _<img src=x onerror=alert(1)>_ ~<svg onload=alert(1)>~",
    "```<script>alert(1)</script>```",
    "> <script>alert(1)</script>",
]
# Tags the viewer never emits itself (its own <meta>, <link>, <input>… are checked by
# attribute below). Its charts are inline <svg>, whose insides are checked the same way.
LIVE_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "img",
    "math",
    "base",
    "details",
    "style",
    "frame",
    "frameset",
    "applet",
    "audio",
    "video",
    "source",
}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _live_markup(html: str) -> list[str]:
    """What in `html` a browser would run or load: script-ish tags, on* handlers, bad URLs."""
    parser = _Tags()
    parser.feed(html)
    found = []
    if sum(tag in ("html", "head", "body") for tag, _ in parser.tags) > 3:
        found.append("a second <html>, <head> or <body>")
    for tag, attributes in parser.tags:
        # The one <details> the viewer writes itself: the list's folding filters.
        own = tag == "details" and dict(attributes).get("class") == "filters-fold"
        if tag in LIVE_TAGS and not own:
            found.append(f"<{tag}>")
        for name, value in attributes:
            cleaned = "".join((value or "").split()).lower()
            if tag == "meta" and name == "http-equiv" and cleaned == "refresh":
                found.append("<meta http-equiv=refresh>")
            if name.startswith("on") or name in ("autofocus", "srcdoc", "formaction"):
                found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "srcdoc", "data", "style") and (
                cleaned.startswith(BAD_SCHEMES) or "javascript:" in cleaned
            ):
                found.append(f"<{tag} {name}={value}>")
    return found


def _seed_corpus(seed) -> list[int]:
    numbers = []
    for index, payload in enumerate(XSS):
        user_id = f"UXSS{index:04d}"
        seed.user(user_id, payload, real_name=payload)
        incident = seed.incident(
            title=payload[:200],
            summary=payload,
            impact=payload,
            channel_name=payload[:80],
            channel_id=f"CXSS{index:04d}",
            lead_id=user_id,
            reporter_id=user_id,
        )
        seed.event(
            incident,
            text=payload,
            author_name=payload,
            author_id=user_id,
            permalink=payload,
            files=[{"name": payload, "url": payload, "permalink": payload}],
        )
        seed.event(
            incident, kind="update", text=f"{payload}\n<{payload}|{payload}>", author_name=payload
        )
        with seed.bound():
            FollowUpAction.create(incident=incident.id, title=payload, owner_id=user_id)
        numbers.append(incident.id)
    return numbers


def test_xss_corpus_renders_inert_on_every_page(client, seed) -> None:
    numbers = _seed_corpus(seed)
    paths = ["/", "/stats", "/?q=script", "/?q=%3Cscript%3E", "/?status=%3Cscript%3E"]
    paths += [f"/incidents/{n}" for n in numbers]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 400), path
        html = response.get_data(as_text=True)
        assert _live_markup(html) == [], path
        # Links leave no referrer (an incident's URL names it), also from a saved copy.
        assert '<meta name="referrer" content="no-referrer">' in html, path
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    # The words are shown, escaped: the page is about them, it just does not run them.
    page = client.get(f"/incidents/{numbers[0]}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_api_returns_the_corpus_as_json_data_never_html(client, seed) -> None:
    numbers = _seed_corpus(seed)
    for path in ["/api/incidents", *[f"/api/incidents/{n}" for n in numbers[:10]]]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    detail = client.get(f"/api/incidents/{numbers[0]}").get_json()
    assert detail["title"] == XSS[0]  # data stays data: escaping is the renderer's job


def test_every_response_carries_the_security_headers(client, seed) -> None:
    _seed_corpus(seed)
    for path in [
        "/",
        "/stats",
        "/api/openapi.json",
        "/healthz",
        "/nowhere",
        "/incidents/99999",
        "/static/viewer.css",
    ]:
        with client.get(path) as response:
            for name, value in SECURITY_HEADERS.items():
                assert response.headers.get(name) == value, (path, name)
    refused = client.post("/")
    assert refused.status_code == 405
    assert refused.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
