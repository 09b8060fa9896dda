"""A real browser (headless Chromium via Playwright) uses the viewer; axe-core checks each page.

Skips, saying why, where Chromium or Playwright is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.viewer.factories import T0

CHROMIUM = os.environ.get("VIEWER_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@contextmanager
def serving(app) -> Iterator[str]:
    """The viewer served by waitress on a free port of 127.0.0.1, for as long as it is used."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    try:
        yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    finally:
        stop(server, loop)


def stop(server, loop: threading.Thread) -> None:  # type: ignore[no-untyped-def]
    """Close a waitress server from its own loop (through its trigger): closing the sockets
    from another thread races the loop's select(), which then fails on a closed descriptor."""

    def close_in_loop() -> None:
        for channel in list(server._map.values()):
            if channel is server.trigger:
                server.trigger.del_channel()  # an empty map ends the loop
            else:
                channel.close()

    server.trigger.pull_trigger(close_in_loop)
    loop.join(5)
    server.task_dispatcher.shutdown()
    server.trigger.close()


@pytest.fixture
def live(make_app, seed) -> Iterator[str]:
    seed.user("UALICE", "Alice")
    first = seed.incident(
        title="Payments failing",
        severity=1,
        lead_id="UALICE",
        summary="Card payments *fail*",
        impact="EU customers",
        channel_id="C0PAY",
        channel_name="inc-payments",
    )
    seed.event(
        first,
        text="*Rolled back* by <@UALICE> <https://example.com|runbook>",
        author_id="UALICE",
        files=[{"name": "graph.png", "url": "https://f.example/g"}],
    )
    seed.incident(title="Search slow", severity=3, status="resolved")
    for n in range(30):
        seed.incident(
            title=f"Disk alert {n}",
            severity=4,
            status="resolved",
            reported_at=T0.replace(day=1 + n % 27),
        )
    with serving(make_app(slack_workspace_url="https://acme.slack.com", page_size=10)) as url:
        yield url


def serious_violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    assert result["passes"], "axe ran no checks"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_person_uses_the_viewer(browser, live) -> None:
    # Scripts are forbidden by the pages' policy; the test lifts it only to inject axe.
    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    page = context.new_page()
    page.goto(live + "/")
    assert page.title().startswith("Incidents")
    assert serious_violations(page) == []

    page.fill("#filter-q", "payments")
    page.select_option("#filter-severity", "1")
    page.click("button[type=submit]")
    assert "q=payments" in page.url and "severity=1" in page.url
    assert page.locator("td[data-label=Number]").count() == 1

    page.click("text=Payments failing")
    assert page.locator("h1").inner_text() == "Payments failing"
    assert page.locator(".timeline strong").first.inner_text() == "Rolled back"
    assert page.locator(".timeline .mention").first.inner_text() == "@Alice"
    assert serious_violations(page) == []

    page.click("nav[aria-label=Breadcrumb] >> text=Incidents")
    page.select_option("#filter-status", "resolved")
    page.click("button[type=submit]")
    page.click("a[rel=next]")
    assert "page=2" in page.url and "status=resolved" in page.url
    current = " ".join(page.inner_text("nav.pagination a[aria-current]").split())
    assert current == "Page 2 of 4"

    for path in ("/stats", "/incidents/9999", "/?q=nothing-at-all", "/?severity=9"):
        page.goto(live + path)
        assert serious_violations(page) == [], path

    # 320 px wide: nothing but a chart scrolls sideways, and that within its own box.
    narrow = context.new_page()
    narrow.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/incidents/1", "/stats"):
        narrow.goto(live + path)
        overflow = narrow.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    context.close()


@pytest.fixture
def live_signed(make_app, seed, oidc) -> Iterator[str]:
    """The viewer behind OpenID Connect sign-in, at the address it tells the provider."""
    from waitress.server import create_server

    from tests.viewer.conftest import oidc_auth

    seed.incident(title="Payments failing", severity=1)
    holder: dict[str, object] = {}
    server = create_server(
        lambda environ, start: holder["app"](environ, start), host="127.0.0.1", port=0, threads=2
    )
    url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    holder["app"] = make_app(auth=oidc_auth(oidc, public_url=url))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield url
    stop(server, thread)


def test_a_person_signs_in_and_out_in_a_browser(browser, live_signed) -> None:
    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    page = context.new_page()
    # Through /login, the provider's consent and the callback, back to the page asked for.
    page.goto(live_signed + "/stats")
    assert page.url == live_signed + "/stats"
    assert "Signed in as Alice Example" in page.inner_text("header")
    assert serious_violations(page) == []

    page.click("text=Sign out")
    assert page.locator("h1").inner_text() == "You are signed out"
    assert serious_violations(page) == []
    page.goto(live_signed + "/api/incidents")
    assert "401" in page.inner_text("body")
    context.close()


def test_a_message_deleted_in_slack_shows_no_words_and_an_edited_one_says_so(
    browser, make_app, seed
) -> None:
    seed.user("UALICE", "Alice")
    seed.user("UBOB", "Bob")
    incident = seed.incident(title="Leaked credentials", channel_id="C0LEAK")
    # As an earlier release left it: deleted, its text still in the row.
    seed.event(
        incident,
        text="db password hunter2",
        author_id="UBOB",
        added_by_id="UALICE",
        deleted_at=T0.replace(hour=11),
    )
    seed.event(
        incident, text="rotating the password now", author_id="UBOB", edited_at=T0.replace(hour=12)
    )
    with serving(make_app()) as live:
        context = browser.new_context(bypass_csp=True, java_script_enabled=True)
        page = context.new_page()
        page.goto(f"{live}/incidents/{incident.id}")
        entries = page.locator(".entry")
        deleted, edited = entries.nth(0).inner_text(), entries.nth(1).inner_text()
        assert "Message deleted in Slack at" in deleted and "Alice had put it" in deleted
        assert "hunter2" not in page.content()
        assert "Edited" in edited and "rotating the password now" in edited
        assert serious_violations(page) == []
        for path in (f"/api/incidents/{incident.id}", f"/incidents/{incident.id}/review.md"):
            body = context.request.get(live + path).text()
            assert "hunter2" not in body and "deleted" in body.lower(), path
        context.close()


def test_a_reviewer_reads_a_long_timeline_by_day_kind_and_order(browser, make_app, seed) -> None:
    import datetime as dt

    incident = seed.incident(title="Long night")
    kinds = ("pin", "status", "update", "note", "pin")
    for n in range(60):
        seed.event(
            incident,
            kind=kinds[n % len(kinds)],
            text=f"Entry {n}",
            occurred_at=T0 + dt.timedelta(hours=n),
            message_ts=f"1700000000.{n:06d}" if kinds[n % len(kinds)] == "pin" else None,
        )
    with serving(make_app()) as live:
        context = browser.new_context(bypass_csp=True, java_script_enabled=True)
        page = context.new_page()
        page.goto(f"{live}/incidents/{incident.id}")
        assert page.locator("h3.timeline__day").count() == 3  # 60 hours from 09:00
        assert serious_violations(page) == []
        page.click("text=Updates (12)")
        assert "kind=updates" in page.url
        assert page.locator(".entry").count() == 12
        page.click("text=Newest first")
        assert "kind=updates" in page.url and "order=newest" in page.url
        assert page.locator(".entry > div").first.inner_text() == "Entry 57"
        page.click("text=All (60)")
        assert "order=newest" in page.url  # the order chosen is kept
        page.click("text=Oldest first")
        page.click("text=Jump to the latest entry")
        last = page.locator(".entry").last.get_attribute("id")
        assert page.url.endswith(f"#{last}")
        narrow = context.new_page()
        narrow.set_viewport_size({"width": 375, "height": 700})
        narrow.goto(f"{live}/incidents/{incident.id}?kind=changes")
        assert serious_violations(narrow) == []
        overflow = narrow.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        context.close()


def test_after_the_skip_link_nothing_turns_yellow_and_axe_still_passes(browser, live) -> None:
    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    for width in (1280, 375):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 800})
        for path in ("/", "/incidents/1", "/stats", "/actions?state=all"):
            page.goto(live + path)
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
            page.keyboard.press("Enter")
            assert page.evaluate("document.activeElement.id") == "main"
            fill = page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor")
            assert fill in ("rgba(0, 0, 0, 0)", "transparent"), (path, width)
            assert serious_violations(page) == [], (path, width)
            page.keyboard.press("Tab")  # into the page: the first link or control
            assert serious_violations(page) == [], (path, width, "after a tab")
    context.close()


# How many lines of text each row of the list shows: the tops of every piece of text.
ROW_LINES = """() => [...document.querySelectorAll('.incident-table tbody tr')].map(row => {
    const tops = [];
    const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        if (!walker.currentNode.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(walker.currentNode);
        for (const rect of range.getClientRects()) {
            if (rect.width > 1 && rect.height > 1) tops.push(rect.top);
        }
    }
    const lines = [];
    for (const top of tops.sort((a, b) => a - b)) {
        if (!lines.length || top - lines[lines.length - 1] > 6) lines.push(top);
    }
    return lines.length;
})"""


def test_on_a_phone_the_filters_fold_and_each_incident_takes_three_lines(
    browser, make_app, seed
) -> None:
    seed.user("ULONG", "Bartholomew Featherstonehaugh-Montgomery")
    for n in range(4):
        seed.incident(
            title=f"Checkout down {n}: card payments failing for every customer in the EU and UK",
            severity=1 + n % 4,
            status="investigating" if n % 2 else "resolved",
            lead_id="ULONG",
            is_private=n == 3,
            reported_at=T0 - dt.timedelta(days=1015),
        )
    with serving(make_app(show_private=True)) as url:
        context = browser.new_context(bypass_csp=True, java_script_enabled=True)
        page = context.new_page()
        for width in (375, 320):
            page.set_viewport_size({"width": width, "height": 800})
            for path in ("/", "/?q=checkout"):
                page.goto(url + path)
                lines = page.evaluate(ROW_LINES)
                assert len(lines) == 4 and max(lines) <= 3, (width, path, lines)
                # Nothing wider than the screen.
                assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(url + "/")
        assert not page.is_visible("#filter-q")
        page.click("text=Filter incidents")
        assert page.is_visible("#filter-q")
        assert serious_violations(page) == []
        wide = context.new_page()
        wide.set_viewport_size({"width": 1280, "height": 800})
        wide.goto(url + "/")
        assert wide.is_visible("#filter-q") and not wide.is_visible("text=Filter incidents")
        context.close()


# What a Tab stop may be: a control, or a box that scrolls (so keys can scroll it).
TAB_STOPS = """() => {
    const el = document.activeElement;
    const native = ['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'SUMMARY'].includes(el.tagName);
    const scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
    return {tag: el.tagName, cls: el.className, native, scrolls,
            body: el === document.body, text: (el.textContent || '').slice(0, 40)};
}"""
# Boxes that scroll sideways or up and down; each must be reachable by Tab.
SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(el => {
    const style = getComputedStyle(el);
    const x = ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth;
    const y = ['auto', 'scroll'].includes(style.overflowY) && el.scrollHeight > el.clientHeight;
    return x || y;
}).map(el => ({cls: el.className, focusable: el.tabIndex >= 0}))"""


def test_only_controls_and_scrolling_regions_are_tab_stops_and_axe_passes_at_each(
    browser, live
) -> None:
    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    for width in (1280, 375):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 800})
        for path in ("/", "/incidents/1", "/stats", "/actions?state=all"):
            page.goto(live + path)
            for scroller in page.evaluate(SCROLLERS):
                assert scroller["focusable"], (path, width, scroller)
            for _ in range(200):
                page.keyboard.press("Tab")
                stop = page.evaluate(TAB_STOPS)
                if stop["body"]:
                    break  # past the last stop
                assert stop["native"] or stop["scrolls"], (path, width, stop)
                if not stop["native"]:
                    assert serious_violations(page) == [], (path, width, "in", stop)
            else:
                raise AssertionError(f"Tab never left {path} at {width} px")
            assert serious_violations(page) == [], (path, width, "after every tab")
    context.close()


def test_every_word_of_the_charts_is_inside_them_on_a_phone(browser, make_app, seed) -> None:
    for month in range(1, 8):
        seed.incident(
            title=f"Month {month}",
            severity=1 + month % 4,
            status="resolved",
            reported_at=T0.replace(month=month, day=3),
            acknowledged_at=T0.replace(month=month, day=3, hour=10),
            resolved_at=T0.replace(month=month, day=3, hour=11),
        )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seed.incident(title="This month", reported_at=now)  # labelled "(so far)", the longest
    with serving(make_app()) as url:
        page = browser.new_page()
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url + "/stats")
            outside = page.evaluate(
                """() => [...document.querySelectorAll('svg.chart')].filter(
                    svg => svg.getBoundingClientRect().width > 0).flatMap(svg => {
                    const box = svg.getBoundingClientRect();
                    return [...svg.querySelectorAll('text')].map(t => [t.textContent,
                        t.getBoundingClientRect()]).filter(([_, r]) =>
                        r.left < box.left - 1 || r.right > box.right + 1 ||
                        r.top < box.top - 1 || r.bottom > box.bottom + 1).map(([w]) => w);
                })"""
            )
            assert outside == [], (width, outside)
        page.close()
