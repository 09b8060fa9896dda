"""The incident list: order, filters, search, pagination and the empty states."""

from __future__ import annotations

import datetime as dt
import re

from tests.viewer.factories import T0


def numbers_on(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td data-label="Number">(\d+)</td>', html)]


def test_open_incidents_come_first_then_newest_first(client, seed) -> None:
    old_open = seed.incident(title="Old open", reported_at=T0 - dt.timedelta(days=30))
    new_closed = seed.incident(title="New closed", status="resolved", reported_at=T0)
    new_open = seed.incident(title="New open", status="monitoring", reported_at=T0)
    old_closed = seed.incident(
        title="Old closed", status="resolved", reported_at=T0 - dt.timedelta(days=40)
    )
    html = client.get("/").get_data(as_text=True)
    assert numbers_on(html) == [new_open.id, old_open.id, new_closed.id, old_closed.id]


def test_the_open_sev1_comes_before_open_sev4s_whatever_their_age(client, seed) -> None:
    sev4 = seed.incident(title="Noisy disk", severity=4, reported_at=T0)
    unset = seed.incident(title="Not triaged", reported_at=T0 + dt.timedelta(hours=1))
    sev1 = seed.incident(title="Payments down", severity=1, reported_at=T0 - dt.timedelta(days=2))
    done = seed.incident(title="Old SEV1", severity=1, status="resolved", reported_at=T0)
    html = client.get("/").get_data(as_text=True)
    assert numbers_on(html) == [sev1.id, sev4.id, unset.id, done.id]
    assert "the most severe first" in html and '<th scope="col">Reported</th>' in html


def test_list_shows_the_columns_in_words(client, seed) -> None:
    seed.user("ULEAD", "Grace Hopper")
    seed.incident(title="Payments down", severity=1, lead_id="ULEAD", status="identified")
    html = client.get("/").get_data(as_text=True)
    for expected in (
        "Payments down",
        "SEV1 Critical",
        "Identified",
        "Grace Hopper",
        "Mon 10 Mar 2025, 09:00 GMT",
        "so far",
    ):
        assert expected in html


def test_times_are_shown_in_the_configured_zone(make_app, seed) -> None:
    seed.incident(reported_at=dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.UTC))
    london = make_app().test_client().get("/").get_data(as_text=True)
    tokyo = make_app(timezone="Asia/Tokyo").test_client().get("/").get_data(as_text=True)
    assert "13:00 BST" in london
    assert "21:00 JST" in tokyo


def test_empty_database_says_so(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "No incidents have been recorded yet." in html


def test_filters_with_no_match_say_so_and_offer_to_clear(client, seed) -> None:
    seed.incident(title="Something")
    html = client.get("/?q=nothing-like-this").get_data(as_text=True)
    assert "No incidents match these filters" in html
    assert 'href="/">clear them</a>' in html


def test_status_filter(client, seed) -> None:
    open_one = seed.incident(status="investigating")
    closed = seed.incident(status="resolved")
    assert numbers_on(client.get("/?status=open").get_data(as_text=True)) == [open_one.id]
    assert numbers_on(client.get("/?status=resolved").get_data(as_text=True)) == [closed.id]


def test_severity_filter(client, seed) -> None:
    seed.incident(severity=1)
    two = seed.incident(severity=2)
    assert numbers_on(client.get("/?severity=2").get_data(as_text=True)) == [two.id]
    assert numbers_on(client.get("/?severity=SEV2").get_data(as_text=True)) == [two.id]


def test_date_range_is_inclusive_days_in_the_viewer_zone(client, seed) -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    late = seed.incident(reported_at=dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC))
    seed.incident(reported_at=dt.datetime(2025, 6, 29, 12, 0, tzinfo=dt.UTC))
    seed.incident(reported_at=dt.datetime(2025, 7, 2, 12, 0, tzinfo=dt.UTC))
    html = client.get("/?from=2025-07-01&to=2025-07-01").get_data(as_text=True)
    assert numbers_on(html) == [late.id]


def test_search_covers_title_summary_and_impact_and_needs_every_word(client, seed) -> None:
    by_title = seed.incident(title="Database failover")
    by_summary = seed.incident(title="A", summary="the DATABASE is slow")
    by_impact = seed.incident(title="B", impact="database users see errors")
    seed.incident(title="C", summary="nothing relevant")
    found = set(numbers_on(client.get("/?q=database").get_data(as_text=True)))
    assert found == {by_title.id, by_summary.id, by_impact.id}
    both = numbers_on(client.get("/?q=database+slow").get_data(as_text=True))
    assert both == [by_summary.id]


def test_search_treats_like_wildcards_literally(client, seed) -> None:
    literal = seed.incident(title="100% of requests fail")
    seed.incident(title="1000 requests fail")
    assert numbers_on(client.get("/?q=100%25").get_data(as_text=True)) == [literal.id]
    assert numbers_on(client.get("/?q=_").get_data(as_text=True)) == []


def test_bad_filters_are_reported_and_ignored(client, seed) -> None:
    seed.incident()
    response = client.get("/?status=exploded&severity=9&from=2025-02-30")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem with the filters" in html
    assert 'href="#filter-status"' in html and 'href="#filter-from"' in html
    assert len(numbers_on(html)) == 1


def test_end_before_start_is_an_error(client, seed) -> None:
    seed.incident()
    html = client.get("/?from=2025-03-10&to=2025-03-01").get_data(as_text=True)
    assert "The end date must be the same as or after the start date" in html


def test_pagination_edges_and_shareable_urls(make_app, seed) -> None:
    client = make_app(page_size=2).test_client()
    made = [
        seed.incident(title=f"Disk {n}", reported_at=T0 + dt.timedelta(hours=n)) for n in range(5)
    ]
    newest_first = [i.id for i in reversed(made)]

    first = client.get("/?q=disk").get_data(as_text=True)
    assert numbers_on(first) == newest_first[:2]
    assert "Showing 1 to 2 of 5." in first
    # Numbered: every page here (first, last and those near), the current one marked.
    assert (
        'aria-current="page"><span class="visually-hidden">Page </span>1'
        '<span class="visually-hidden"> of 3</span>' in first
    )
    assert '<a href="/?q=disk&amp;page=3"><span class="visually-hidden">Page </span>3</a>' in first
    assert 'rel="prev"' not in first
    assert 'rel="next" href="/?q=disk&amp;page=2"' in first

    last = client.get("/?q=disk&page=3").get_data(as_text=True)
    assert numbers_on(last) == newest_first[4:]
    assert 'rel="next"' not in last
    assert 'rel="prev" href="/?q=disk&amp;page=2"' in last

    beyond = client.get("/?q=disk&page=9").get_data(as_text=True)
    assert numbers_on(beyond) == []
    assert "There is no page 9" in beyond
    assert 'href="/?q=disk">Go to the first page' in beyond

    exactly_full = make_app(page_size=5).test_client().get("/").get_data(as_text=True)
    assert 'class="pagination"' not in exactly_full
    assert len(numbers_on(exactly_full)) == 5


def test_many_pages_show_the_first_the_last_and_those_near_with_gaps(make_app, seed) -> None:
    for n in range(40):
        seed.incident(title=f"Alert {n}", reported_at=T0 + dt.timedelta(hours=n))
    html = make_app(page_size=2).test_client().get("/?page=10").get_data(as_text=True)
    linked = re.findall(r"Page </span>([\d,]+)", html)
    assert linked == ["1", "8", "9", "10", "11", "12", "20"]
    assert html.count('class="pagination__gap"') == 2
    assert "Showing 19 to 20 of 40." in html


def test_filter_form_keeps_its_state(client, seed) -> None:
    seed.incident()
    html = client.get("/?status=open&severity=2&q=disk&from=2025-01-01").get_data(as_text=True)
    assert '<option value="open" selected>' in html
    assert '<option value="2" selected>' in html
    assert 'name="q" type="search" value="disk"' in html
    assert 'value="2025-01-01"' in html


def test_private_incidents_are_hidden_unless_configured(make_app, seed) -> None:
    public = seed.incident(title="Public")
    private = seed.incident(title="Secret merger", is_private=True)
    hidden = make_app().test_client().get("/").get_data(as_text=True)
    assert numbers_on(hidden) == [public.id]
    assert "Secret merger" not in hidden
    shown = make_app(show_private=True).test_client().get("/").get_data(as_text=True)
    assert set(numbers_on(shown)) == {public.id, private.id}
    assert "Private</strong>" in shown


def test_a_bad_date_keeps_what_was_typed_with_its_error_beside_it(client, seed) -> None:
    seed.incident()
    html = client.get("/?from=31/03/2025&to=2025-04-01").get_data(as_text=True)
    # GOV.UK's pattern: the summary links to the field, the field says what is wrong and
    # still holds what was typed; the good one is kept as it was.
    assert '<a href="#filter-from">The start date must be a real date' in html
    assert 'id="filter-from-error"><span class="visually-hidden">Error: </span>The start' in html
    assert 'value="31/03/2025"' in html and 'value="2025-04-01"' in html
    assert 'aria-describedby="filter-from-hint filter-from-error"' in html
    assert 'type="date"' not in html  # a text field in the stated format, not mm/dd/yyyy
    assert '<label class="label" for="filter-from">Reported on or after</label>' in html


def test_the_filters_fold_away_unless_filtering(client, seed) -> None:
    seed.incident()
    assert '<details class="filters-fold">' in client.get("/").get_data(as_text=True)
    filtered = client.get("/?severity=2").get_data(as_text=True)
    assert '<details class="filters-fold" open>' in filtered
    assert "Filter incidents (filters on)" in filtered


def test_dates_out_of_range_are_field_errors_not_crashes(make_app, seed) -> None:
    seed.incident()
    for zone in ("Europe/London", "Asia/Tokyo", "America/Los_Angeles"):
        client = make_app(timezone=zone).test_client()
        for query in ("to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=9999-12-31"):
            for path in ("/", "/stats"):
                page = client.get(f"{path}?{query}")
                assert page.status_code == 200, (zone, path, query)
                assert "must be between 1970-01-01 and 9998-12-31" in page.get_data(as_text=True)
            assert client.get(f"/api/incidents?{query}").status_code == 400, (zone, query)


def test_the_error_summary_names_each_field_and_says_what_was_applied(client, seed) -> None:
    seed.incident(title="Disk full", severity=2)
    html = client.get("/?from=2024-02-30&to=yesterday&severity=2&page=x").get_data(as_text=True)
    assert "<title>Error: Incidents" in html
    assert '<a href="#filter-from">The start date must be a real date written as YYYY-MM-DD' in html
    assert '<a href="#filter-to">The end date must be a real date written as YYYY-MM-DD' in html
    # A URL parameter has no field to link to.
    assert "<li>The page number must be a whole number, 1 or more</li>" in html
    assert "Those filters were left out; the other filters were applied." in html
    assert "Those filters were not applied" not in html


def test_one_result_reads_in_the_singular(client, seed) -> None:
    seed.incident(title="Only one")
    html = client.get("/?q=only").get_data(as_text=True)
    assert "1 incident matches the filters" in html
