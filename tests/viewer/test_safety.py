"""Hostile content renders inert on every page; the viewer only reads; GET only; /healthz."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from peewee import DatabaseError

from models import Incident
from viewer import create_app
from viewer.config import Settings
from viewer.database import close_all

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class _Markup(HTMLParser):
    """Collects the real tags and attributes of a page, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    parser = _Markup()
    parser.feed(html)
    for tag, attributes in parser.tags:
        assert tag not in ("script", "img", "iframe", "object", "embed", "b"), tag
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action"):
                assert (
                    not (value or "")
                    .strip()
                    .lower()
                    .startswith(("javascript:", "data:", "vbscript:"))
                ), (tag, name, value)


def test_hostile_titles_summaries_and_pins_render_inert_everywhere(client, seed) -> None:
    incident = seed.incident(
        title=HOSTILE,
        summary=HOSTILE + " <javascript:alert(1)|x>",
        impact="&lt;img src=x onerror=alert(1)&gt;",
        channel_name='"><script>alert(1)</script>',
        channel_id="C0X",
    )
    seed.event(
        incident,
        text=HOSTILE + "\n<javascript:alert(1)|click>\n*<script>*",
        author_name="<b onmouseover=alert(1)>eve</b>",
        permalink="javascript:alert(1)",
        files=[{"name": HOSTILE, "url": "javascript:alert(1)"}],
    )
    for path in ("/", f"/incidents/{incident.id}", "/?q=script", "/stats"):
        html = client.get(path).get_data(as_text=True)
        assert_inert(html)
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "View in Slack" not in page  # the javascript: permalink was dropped
    review = client.get(f"/incidents/{incident.id}/review.md").get_data(as_text=True)
    # Every < outside code is backslash-escaped, so Markdown renderers show it as text.
    assert not re.search(r"(?<!\\)<", review)
    api = client.get(f"/api/incidents/{incident.id}").get_json()
    assert api["title"] == HOSTILE  # data stays data in JSON
    assert "<script" not in api["timeline"][0]["html"]
    assert api["timeline"][0]["permalink"] is None


def test_pages_forbid_scripts_by_policy(client) -> None:
    response = client.get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/incidents/1", "/api/incidents", "/healthz", "/nowhere"])
def test_any_method_but_get_is_405(client, method: str, path: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_head_is_allowed(client) -> None:
    assert client.head("/").status_code == 200


def test_405_page_for_people_and_json_for_programs(client) -> None:
    page = client.post("/")
    assert "Method not allowed" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    api = client.delete("/api/incidents")
    assert api.get_json()["error"]["status"] == 405


def test_a_write_through_the_viewers_connection_fails(make_app, seed) -> None:
    seed.incident(title="Existing")
    app = make_app()
    with app.test_request_context("/"):
        app.preprocess_request()  # connects, as for any request
        try:
            with pytest.raises(DatabaseError, match=r"(?i)read-?only"):
                Incident.create(title="Injected", reporter_id="U1")
            with pytest.raises(DatabaseError, match=r"(?i)read-?only"):
                Incident.update(title="Changed").execute()
            with pytest.raises(DatabaseError, match=r"(?i)read-?only"):
                app.extensions["viewer.database"].execute_sql("DELETE FROM incident")
        finally:
            app.do_teardown_request()
    assert [i.title for i in _titles(seed)] == ["Existing"]


def _titles(seed):
    with seed.bound():
        return list(Incident.select())


def test_healthz_answers_200_when_the_database_does(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody@127.0.0.1:9/nothing",
        "sqlite:////nonexistent-directory/incidents.db",
    ],
)
def test_healthz_answers_503_when_the_database_does_not(url: str) -> None:
    app = create_app(Settings(database_url=url))
    try:
        client = app.test_client()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["error"]["status"] == 503
        page = client.get("/")
        assert page.status_code == 503
        assert "service is unavailable" in page.get_data(as_text=True)
    finally:
        close_all(app)
