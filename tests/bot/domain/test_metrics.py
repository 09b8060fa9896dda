"""The counters /metrics reads from the database: the same on every replica and after a
restart, since they count what is stored rather than what one process handled."""

from __future__ import annotations

import datetime as dt

from prometheus_client.core import CollectorRegistry

from bot.domain.metrics import OpenIncidents
from models import Incident

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _scrape() -> dict[str, float]:
    # A registry of its own each time: what a freshly started process would report.
    registry = CollectorRegistry()
    registry.register(OpenIncidents())
    return {
        (s.name + (str(sorted(s.labels.items())) if s.labels else "")): s.value
        for family in registry.collect()
        for s in family.samples
    }


def test_declared_and_resolved_are_counted_from_the_database(database) -> None:
    with database.connection_context():
        Incident.create(title="Open", reporter_id="U1", reported_at=T0, severity=1)
        Incident.create(
            title="Done", reporter_id="U1", reported_at=T0, status="resolved", resolved_at=T0
        )
        Incident.create(
            title="Imported",
            reporter_id="U1",
            reported_at=T0,
            imported_from="response",
            status="resolved",
            resolved_at=T0,
        )
    first = _scrape()
    assert first["incident_bot_incidents_declared_total"] == 2  # imports are not declarations
    assert first["incident_bot_incidents_resolved_total"] == 1
    assert first["incident_bot_open_incidents[('severity', '1')]"] == 1
    # A restart (a new collector) reads the same, rather than starting again at zero.
    assert _scrape() == first
