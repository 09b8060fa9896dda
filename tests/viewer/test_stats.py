"""/stats: counts per month by severity, response-time percentiles, SVG with text alternatives."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from viewer import charts, stats

UTC = dt.UTC


def test_percentile_is_nearest_rank() -> None:
    assert stats.percentile([], 50) is None
    assert stats.percentile([7], 90) == 7
    assert stats.percentile([1, 2, 3, 4], 50) == 2
    assert stats.percentile(list(range(1, 11)), 90) == 9
    assert stats.percentile([10, 1, 5], 50) == 5


def test_months_are_counted_in_the_zone_and_gaps_kept() -> None:
    rows = [
        # 23:30 UTC on 31 May is 00:30 on 1 June in London.
        stats.Row(
            1,
            dt.datetime(2025, 5, 31, 23, 30, tzinfo=UTC),
            acknowledged_at=dt.datetime(2025, 6, 1, 0, 0, tzinfo=UTC),
            resolved_at=dt.datetime(2025, 6, 1, 1, 30, tzinfo=UTC),
        ),
        stats.Row(2, dt.datetime(2025, 6, 10, tzinfo=UTC)),
        stats.Row(None, dt.datetime(2025, 8, 1, 12, tzinfo=UTC)),
    ]
    months = stats.by_month(rows, ZoneInfo("Europe/London"))
    assert [m.key for m in months] == ["2025-06", "2025-07", "2025-08"]
    assert months[0].counts == {1: 1, 2: 1}
    assert months[1].total == 0
    assert months[0].figure("acknowledge", 50) == 1800
    assert months[0].figure("resolve", 90) == 7200


def test_charts_have_a_title_and_description_and_escape_labels() -> None:
    svg = str(
        charts.stacked_bars(
            "c",
            "Incidents <per> month",
            "desc & more",
            ["<Jan>"],
            [charts.Series("SEV1", "#000", [3])],
            "Incidents",
        )
    )
    assert 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">Incidents &lt;per&gt; month</title>' in svg
    assert "desc &amp; more" in svg and "&lt;Jan&gt;" in svg


def test_stats_page_counts_public_incidents(make_app, seed) -> None:
    seed.incident(severity=1, reported_at=dt.datetime(2025, 1, 5, tzinfo=UTC))
    seed.incident(severity=1, reported_at=dt.datetime(2025, 1, 6, tzinfo=UTC))
    seed.incident(severity=3, reported_at=dt.datetime(2025, 3, 6, tzinfo=UTC))
    seed.incident(severity=2, reported_at=dt.datetime(2025, 3, 7, tzinfo=UTC), is_private=True)
    html = make_app().test_client().get("/stats").get_data(as_text=True)
    assert '<svg class="chart" id="chart-counts"' in html
    assert "3 incidents over 3 months, from Jan 2025 to Mar 2025" in html
    # Each cell says what it counts: on a phone a row is read as label and figure.
    assert (
        '<tr><th scope="row">Jan 2025</th><td data-label="SEV1 Critical">2</td>'
        '<td data-label="SEV3 Minor">0</td><td data-label="Total">2</td></tr>'
    ) in html
    assert (
        '<tr><th scope="row">Feb 2025</th><td data-label="SEV1 Critical">0</td>'
        '<td data-label="SEV3 Minor">0</td><td data-label="Total">0</td></tr>'
    ) in html
    assert '<th scope="col">SEV2 Major</th>' not in html  # only the private one had SEV2
    assert "No acknowledgement or resolution times have been recorded yet" in html
    shown = make_app(show_private=True).test_client().get("/stats").get_data(as_text=True)
    assert '<th scope="col">SEV2 Major</th>' in shown


def test_stats_page_with_no_incidents(client) -> None:
    html = client.get("/stats").get_data(as_text=True)
    assert "nothing to count" in html


def test_reports_imported_from_response_are_counted_but_have_no_response_times(
    make_app, seed
) -> None:
    day = dt.datetime(2025, 1, 5, 9, 0, tzinfo=UTC)
    seed.incident(
        severity=2,
        status="resolved",
        reported_at=day,
        acknowledged_at=day + dt.timedelta(minutes=10),
        resolved_at=day + dt.timedelta(hours=1),
    )
    # Closed in the fork a year later: not a resolve time of 8,760 hours.
    seed.incident(
        severity=2,
        status="resolved",
        report_only=True,
        imported_from="response",
        reported_at=day,
        acknowledged_at=day,
        resolved_at=day + dt.timedelta(days=365),
    )
    html = make_app().test_client().get("/stats").get_data(as_text=True)
    assert "2 incidents over 1 month," in html
    assert "1 of the incidents counted above were reports imported from response" in html
    assert '<td data-label="Median time to resolve">1 hour</td>' in html
    assert "365 days" not in html


def test_count_ticks_are_whole_numbers_and_time_ticks_round_steps() -> None:
    assert charts.ticks(62.5, whole=True) == [0, 20, 40, 60, 80]
    assert charts.ticks(3, whole=True) == [0, 1, 2, 3]
    assert charts.ticks(1, whole=True) == [0, 1]  # never 0.25 incidents
    assert charts.ticks(0.3, whole=False) == [0, 0.1, 0.2, 0.3]
    # A 58-minute resolve, in hours: 0 and 1, never 0.2, 0.4 …
    resolve = str(charts.lines("r", "t", "d", ["Jan"], [charts.Series("m", "#000", [0.97])], "h"))
    ticks = [t.split(">")[-1] for t in resolve.split("</text>") if 'text-anchor="end"' in t]
    assert ticks[:2] == ["0", "1"] and not any("." in t for t in ticks)
    svg = str(
        charts.stacked_bars("c", "t", "d", ["Jan"], [charts.Series("SEV1", "#000", [5])], "n")
    )
    labels = [t.split(">")[-1] for t in svg.split("</text>") if 'text-anchor="end"' in t]
    assert "2.5" not in svg and labels[:4] == ["0", "1", "2", "3"]


def test_acknowledge_and_resolve_have_a_chart_each_and_the_month_so_far_is_marked(
    make_app, seed
) -> None:
    from freezegun import freeze_time

    day = dt.datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
    seed.incident(
        severity=1,
        status="resolved",
        reported_at=day,
        acknowledged_at=day + dt.timedelta(minutes=4),
        resolved_at=day + dt.timedelta(hours=30),
    )
    seed.incident(severity=3, reported_at=dt.datetime(2025, 2, 10, tzinfo=UTC))
    with freeze_time("2025-03-20 12:00:00"):
        html = make_app().test_client().get("/stats").get_data(as_text=True)
    assert 'id="chart-acknowledge"' in html and 'id="chart-resolve"' in html
    assert "Time to acknowledge, per month" in html and "Minutes" in html
    assert "Time to resolve, per month" in html and "Hours" in html
    assert '<th scope="row">Mar 2025 (so far)</th>' in html
    assert '<th scope="row">Feb 2025</th>' in html
    # Filters: one severity, a date range.
    with freeze_time("2025-03-20 12:00:00"):
        only = make_app().test_client().get("/stats?severity=3&to=2025-02-28")
    text = only.get_data(as_text=True)
    assert "1 incident over 1 month," in text and 'id="chart-acknowledge"' not in text
    assert '<option value="3" selected>' in text
