"""The key moments of an incident (impact started, reported, acknowledged, identified,
mitigated, resolved) and the gaps.

This is the one place that knows where those times are stored. Today only `reported_at`
exists on Incident; the others are read from `<name>_at` fields when the models grow them,
so the pages, the API, the review and the stats pick them up without further change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from peewee import Field

from models import Incident

MILESTONES: tuple[str, ...] = (
    "started",
    "reported",
    "acknowledged",
    "identified",
    "mitigated",
    "resolved",
)
# "Started" alone would read as when the incident was declared.
LABELS = {"started": "Impact started"}

# The gaps worth naming, as (label, from, to).
SPANS: tuple[tuple[str, str, str], ...] = (
    ("Time to detect", "started", "reported"),
    ("Time to acknowledge", "reported", "acknowledged"),
    ("Time to identify", "reported", "identified"),
    ("Time to mitigate", "reported", "mitigated"),
    ("Time to resolve", "reported", "resolved"),
    ("Acknowledged to mitigated", "acknowledged", "mitigated"),
    ("Mitigated to resolved", "mitigated", "resolved"),
)


def label(name: str) -> str:
    return LABELS.get(name) or name.capitalize()


def field_for(name: str) -> Field | None:
    """The Incident column holding milestone `name`, or None while the model has none."""
    field = Incident._meta.fields.get(f"{name}_at")
    return field if isinstance(field, Field) else None


def stored_fields() -> list[Field]:
    return [field for name in MILESTONES if (field := field_for(name)) is not None]


@dataclass(frozen=True)
class Span:
    label: str
    start: str
    end: str
    seconds: int | None


def times_of(incident: Incident) -> dict[str, dt.datetime | None]:
    return {name: getattr(incident, f"{name}_at", None) for name in MILESTONES}


def spans_of(times: dict[str, dt.datetime | None]) -> list[Span]:
    spans = []
    for label, start, end in SPANS:
        begin, finish = times.get(start), times.get(end)
        seconds = int((finish - begin).total_seconds()) if begin and finish else None
        spans.append(Span(label, start, end, seconds))
    return spans


def duration_seconds(incident: Incident, now: dt.datetime) -> tuple[int | None, bool]:
    """How long the incident lasted, and whether it is still going on.

    An open incident has lasted until now; a resolved one until its resolution time, which
    is unknown (None) where it was not recorded.
    """
    reported = incident.reported_at
    if incident.is_open:
        return max(0, int((now - reported).total_seconds())), True
    resolved = getattr(incident, "resolved_at", None)
    if resolved is None:
        return None, False
    return max(0, int((resolved - reported).total_seconds())), False


def next_update_due(incident: Incident, update_minutes: Mapping[int, int]) -> dt.datetime | None:
    """When an open incident's next update is due (its severity's interval after the last
    update, or after the report if none was posted): as the bot counts it for its reminder.
    None for a resolved incident, or a severity no update is asked for."""
    minutes = update_minutes.get(incident.severity) if incident.severity else None
    if not incident.is_open or not minutes:
        return None
    last = incident.last_update_at or incident.reported_at
    return max(last, incident.reported_at) + dt.timedelta(minutes=minutes)
