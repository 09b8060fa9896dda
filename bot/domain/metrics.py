"""Prometheus metrics of the bot: what it declared, what is open, how Slack answers, how
fast events are handled, what was deduplicated, and how reminders keep time. (No Slack
imports here: the domain counts duplicates and declarations too.)

One registry per process (the default one); `/metrics` on the health port serves it, in
both modes (never on the port an Ingress routes to /slack/events).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, cast

from peewee import DatabaseError, fn
from prometheus_client import Counter, Histogram
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from models import Incident, db
from models.incident import Status

log = logging.getLogger(__name__)

SLACK_CALLS = Counter(
    "incident_bot_slack_api_calls_total",
    "Slack Web API attempts by method and outcome (ok, an error code, ratelimited, "
    "server_error, connection_error); retries count as attempts.",
    ["method", "outcome"],
)
EVENT_SECONDS = Histogram(
    "incident_bot_request_handling_seconds",
    "Time to handle one delivery from Slack (until its answer), by kind.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DUPLICATES_SKIPPED = Counter(
    "incident_bot_duplicate_deliveries_total",
    "Deliveries recognised as repeats (by their delivery key) and not acted on again.",
)
REMINDERS_SENT = Counter("incident_bot_reminders_sent_total", "Reminders posted.", ["kind"])
REMINDER_LAG = Histogram(
    "incident_bot_reminder_lag_seconds",
    "How late a reminder was posted after it fell due.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 900),
)


class OpenIncidents(Collector):
    """Open incidents by severity, and every incident declared and resolved, counted in the
    database at scrape time: every replica reports the same truth, and a restart does not
    set the counters back to zero (a process's own count would, and would only count what
    that replica happened to handle)."""

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        family = GaugeMetricFamily(
            "incident_bot_open_incidents", "Open incidents by severity.", labels=["severity"]
        )
        counts = {"1": 0, "2": 0, "3": 0, "4": 0, "none": 0}
        try:
            with db.connection_context():
                # .tuples() yields (severity, n) rows; peewee-stubs keep the model's type.
                rows = cast(
                    "Iterable[tuple[int | None, int]]",
                    Incident.select(Incident.severity, fn.COUNT(Incident.id).alias("n"))
                    .where(Incident.status != Status.RESOLVED)
                    .group_by(Incident.severity)
                    .tuples(),
                )
                for severity, count in rows:
                    counts[str(severity) if severity else "none"] = count
        except DatabaseError:
            log.warning("open incidents not counted: database unavailable")
            return
        for label, count in counts.items():
            family.add_metric([label], count)
        yield family
        try:
            with db.connection_context():
                declared = Incident.select().where(Incident.imported_from.is_null()).count()
                resolved = (
                    Incident.select()
                    .where(Incident.imported_from.is_null() & Incident.resolved_at.is_null(False))
                    .count()
                )
        except DatabaseError:
            log.warning("incidents not counted: database unavailable")
            return
        yield CounterMetricFamily(
            "incident_bot_incidents_declared",
            "Incidents declared in Slack, all time (imported ones left out), from the database.",
            value=declared,
        )
        yield CounterMetricFamily(
            "incident_bot_incidents_resolved",
            "Incidents declared in Slack and resolved, all time, from the database.",
            value=resolved,
        )


_registered = False


def register_collectors() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OpenIncidents())
        _registered = True


def delivery_kind(body: dict[str, Any]) -> str:
    """The label a delivery's handling time is counted under."""
    kind = body.get("type") or ("command" if "command" in body else "other")
    if kind == "event_callback":
        event = body.get("event")
        kind = f"event:{event.get('type', 'unknown') if isinstance(event, dict) else 'unknown'}"
    return str(kind)


def observe_handling(body: dict[str, Any], seconds: float) -> None:
    EVENT_SECONDS.labels(kind=delivery_kind(body)).observe(seconds)
