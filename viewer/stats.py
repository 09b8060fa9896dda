"""Monthly figures: incidents by severity, and how fast they were acknowledged and resolved."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from models import SEVERITIES, Incident
from viewer import filters as list_filters
from viewer import milestones
from viewer.queries import Audience, visible

MAX_MONTHS = 24
SEVERITY_KEYS: tuple[int | None, ...] = (*sorted(SEVERITIES), None)


@dataclass(frozen=True)
class Row:
    """What the figures need of one incident."""

    severity: int | None
    reported_at: dt.datetime
    acknowledged_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    # A report imported from response, never a live incident: counted, but it has no
    # response times (its "resolved" is when the fork closed the report).
    report_only: bool = False


@dataclass
class Month:
    key: str  # "2025-03"
    label: str  # "Mar 2025"
    counts: dict[int | None, int] = field(default_factory=dict)
    acknowledge: list[int] = field(default_factory=list)  # seconds, one per incident
    resolve: list[int] = field(default_factory=list)
    reports: int = 0  # of `counts`, reports imported from response (no response times)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def figure(self, which: str, q: float) -> int | None:
        return percentile(getattr(self, which), q)


def percentile(values: list[int], q: float) -> int | None:
    """Nearest-rank percentile (no interpolation, so every answer is a real incident's time)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def load_rows(
    *,
    audience: Audience,
    filters: list_filters.ListFilters | None = None,
    zone: ZoneInfo | None = None,
) -> list[Row]:
    """One query, only the columns the figures use; only a severity and a date range of
    the list's filters apply here."""
    ack, resolved = milestones.field_for("acknowledged"), milestones.field_for("resolved")
    columns = [Incident.severity, Incident.reported_at, Incident.report_only]
    columns += [f for f in (ack, resolved) if f]
    query = visible(Incident.select(*columns), audience)
    if filters is not None and zone is not None:
        narrowed = list_filters.ListFilters(
            severity=filters.severity, date_from=filters.date_from, date_to=filters.date_to
        )
        query = list_filters.apply(query, narrowed, zone)
    rows = []
    for incident in query:
        rows.append(
            Row(
                incident.severity,
                incident.reported_at,
                getattr(incident, "acknowledged_at", None),
                getattr(incident, "resolved_at", None),
                bool(incident.report_only),
            )
        )
    return rows


def by_month(rows: Iterable[Row], zone: ZoneInfo) -> list[Month]:
    """The months from the first incident to the last (at most the latest 24), gaps included."""
    months: dict[str, Month] = {}
    for row in rows:
        local = row.reported_at.astimezone(zone)
        key = f"{local.year:04d}-{local.month:02d}"
        month = months.get(key) or months.setdefault(key, _month(local.year, local.month))
        month.counts[row.severity] = month.counts.get(row.severity, 0) + 1
        if row.report_only:
            month.reports += 1
            continue
        if row.acknowledged_at:
            month.acknowledge.append(_seconds(row.reported_at, row.acknowledged_at))
        if row.resolved_at:
            month.resolve.append(_seconds(row.reported_at, row.resolved_at))
    if not months:
        return []
    first, last = min(months), max(months)
    year, month_number = int(last[:4]), int(last[5:])
    filled: list[Month] = []
    while len(filled) < MAX_MONTHS:
        key = f"{year:04d}-{month_number:02d}"
        filled.append(months.get(key) or _month(year, month_number))
        if key <= first:
            break
        year, month_number = (year, month_number - 1) if month_number > 1 else (year - 1, 12)
    return list(reversed(filled))


def _month(year: int, month: int) -> Month:
    return Month(f"{year:04d}-{month:02d}", dt.date(year, month, 1).strftime("%b %Y"))


def _seconds(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds()))
