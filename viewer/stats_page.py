"""/stats: incidents per month by severity and response times, as SVG charts and tables."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from models import SEVERITIES
from models.fields import utcnow
from viewer import charts, present, stats
from viewer.auth import audience
from viewer.pages import read_filters
from viewer.templating import settings

bp = Blueprint("stats", __name__)

# Darker for more severe; each also has its own pattern.
SEVERITY_STYLE = {
    1: ("#942514", "solid"),
    2: ("#d4351c", "stripes"),
    3: ("#f47738", "dots"),
    4: ("#1d70b8", "cross"),
    None: ("#505a5f", "stripes"),
}
TIME_SERIES = (
    ("acknowledge", 50, "Median time to acknowledge", "#1d70b8", "solid", "circle"),
    ("acknowledge", 90, "90th percentile time to acknowledge", "#1d70b8", "dashed", "square"),
    ("resolve", 50, "Median time to resolve", "#942514", "solid", "triangle"),
    ("resolve", 90, "90th percentile time to resolve", "#942514", "dashed", "diamond"),
)
# Acknowledging takes minutes and resolving hours: one chart each, each on its own scale.
TIME_CHARTS = (
    ("acknowledge", "chart-acknowledge", "Time to acknowledge, per month", "Minutes", 60),
    ("resolve", "chart-resolve", "Time to resolve, per month", "Hours", 3600),
)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _in(unit: int, seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / unit, 1)


def _time_charts(months: list[stats.Month], labels: list[str]) -> list[dict[str, Any]]:
    charts_out: list[dict[str, Any]] = []
    for which, chart_id, title, unit_name, unit in TIME_CHARTS:
        series = [
            charts.Series(
                label,
                colour,
                [_in(unit, m.figure(kind, q)) for m in months],
                pattern=pattern,
                marker=marker,
            )
            for kind, q, label, colour, pattern, marker in TIME_SERIES
            if kind == which
        ]
        if not any(v is not None for s in series for v in s.values):
            continue
        description = (
            f"Median and 90th percentile, in {unit_name.lower()}, by the month the incident "
            "was reported. The table below the charts gives every number."
        )
        phone = charts.PHONE_MONTHS
        charts_out.append(
            {
                "id": chart_id,
                "svg": charts.lines(chart_id, title, description, labels, series, unit_name),
                "phone": charts.lines(
                    f"{chart_id}-phone",
                    title,
                    description,
                    labels[-phone:],
                    charts.latest(series, phone),
                    unit_name,
                    charts.PHONE_WIDTH,
                ),
                "series": series,
            }
        )
    return charts_out


@bp.get("/stats")
def stats_view() -> str:
    config = settings()
    filters = read_filters()
    rows = stats.load_rows(audience=audience(), filters=filters, zone=config.zone)
    months = stats.by_month(rows, config.zone)
    now = utcnow().astimezone(config.zone)
    if months and months[-1].key == f"{now.year:04d}-{now.month:02d}":
        months[-1].label += " (so far)"  # the figures of a month not over yet
    labels = [m.label for m in months]
    count_series = [
        charts.Series(
            present.severity_label(level),
            SEVERITY_STYLE[level][0],
            [m.counts.get(level, 0) for m in months],
            pattern=SEVERITY_STYLE[level][1],
        )
        for level in stats.SEVERITY_KEYS
        if any(m.counts.get(level) for m in months)
    ]
    total = sum(m.total for m in months)
    busiest = max(months, key=lambda m: m.total, default=None)
    counts_desc = (
        f"{_count(total, 'incident')} over {_count(len(months), 'month')}, "
        f"from {labels[0]} to {labels[-1]}. "
        f"The busiest month was {busiest.label} with {busiest.total}. "
        "The table below the chart gives every number."
        if months and busiest
        else "No incidents."
    )
    time_charts = _time_charts(months, labels)
    return render_template(
        "stats.html",
        months=months,
        reports=sum(m.reports for m in months),
        severity_keys=[k for k in stats.SEVERITY_KEYS if any(m.counts.get(k) for m in months)],
        count_chart=(
            charts.stacked_bars(
                "chart-counts",
                "Incidents per month by severity",
                counts_desc,
                labels,
                count_series,
                "Incidents",
            )
            if months
            else None
        ),
        count_phone=(
            charts.stacked_bars(
                "chart-counts-phone",
                "Incidents per month by severity",
                counts_desc,
                labels[-charts.PHONE_MONTHS :],
                charts.latest(count_series, charts.PHONE_MONTHS),
                "Incidents",
                charts.PHONE_WIDTH,
            )
            if months
            else None
        ),
        count_series=count_series,
        time_charts=time_charts,
        time_series=[
            charts.Series(label, colour, [], pattern=pattern, marker=marker)
            for _, _, label, colour, pattern, marker in TIME_SERIES
        ],
        filters=filters,
        severities=SEVERITIES,
        swatch=charts.legend_swatch,
        stat_keys=[(which, q) for which, q, *_ in TIME_SERIES],
    )
