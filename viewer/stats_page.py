"""/stats: incidents per month by severity and response times, as SVG charts and tables."""

from __future__ import annotations

from flask import Blueprint, render_template

from viewer import charts, present, stats
from viewer.auth import audience
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


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


@bp.get("/stats")
def stats_view() -> str:
    config = settings()
    months = stats.by_month(stats.load_rows(audience=audience()), config.zone)
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
        f"{total} incidents over {len(months)} months, from {labels[0]} to {labels[-1]}. "
        f"The busiest month was {busiest.label} with {busiest.total}. "
        "The table below the chart gives every number."
        if months and busiest
        else "No incidents."
    )
    time_series = [
        charts.Series(
            label,
            colour,
            [_hours(m.figure(which, q)) for m in months],
            pattern=pattern,
            marker=marker,
        )
        for which, q, label, colour, pattern, marker in TIME_SERIES
    ]
    has_times = any(v is not None for s in time_series for v in s.values)
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
        count_series=count_series,
        time_chart=(
            charts.lines(
                "chart-times",
                "Time to acknowledge and to resolve, per month",
                "Median and 90th percentile times in hours, by the month the "
                "incident was reported. The table below the chart gives every "
                "number.",
                labels,
                time_series,
                "Hours",
            )
            if has_times
            else None
        ),
        time_series=time_series,
        swatch=charts.legend_swatch,
        stat_keys=[(which, q) for which, q, *_ in TIME_SERIES],
    )
