"""A large data set built with bulk inserts: 10,000 incidents, the last with 2,000 timeline
entries and the one before it with 500.

Shared by the query-count tests and bench/viewer_bench.py.
"""

from __future__ import annotations

import datetime as dt

from peewee import Database, chunked

from models import Incident, SlackUser, TimelineEvent

INCIDENTS = 10_000
BIG_TIMELINE = 2_000
MEDIUM_TIMELINE = 500
T0 = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
STATUSES = ("investigating", "identified", "monitoring", "resolved", "resolved", "resolved")


def populate(
    database: Database,
    incidents: int = INCIDENTS,
    timeline: int = BIG_TIMELINE,
    medium: int = MEDIUM_TIMELINE,
) -> int:
    """Fill an empty database; return the number of the incident with the long timeline
    (`timeline` entries; the one numbered one less has `medium`)."""
    models = [Incident, SlackUser, TimelineEvent]
    with database.bind_ctx(models), database.connection_context(), database.atomic():
        SlackUser.insert_many(
            [{"user_id": f"U{n:05d}", "display_name": f"person {n}"} for n in range(200)]
        ).execute()
        rows = [
            {
                "title": f"Incident {n}: {'database' if n % 7 == 0 else 'network'} trouble",
                "summary": f"Summary of incident {n}",
                "impact": "Some customers" if n % 3 else "",
                "severity": (n % 4) + 1 if n % 10 else None,
                "status": STATUSES[n % len(STATUSES)],
                "is_private": n % 50 == 0,
                "reporter_id": f"U{n % 200:05d}",
                "lead_id": f"U{(n * 7) % 200:05d}",
                "reported_at": T0 + dt.timedelta(hours=n),
                "updated_at": T0 + dt.timedelta(hours=n),
                "channel_id": f"C{n:08d}",
                "channel_name": f"inc-{n}",
            }
            for n in range(incidents)
        ]
        for batch in chunked(rows, 500):
            Incident.insert_many(batch).execute()
        big = Incident.select(Incident.id).order_by(Incident.id.desc()).first().id
        events = [
            {
                "incident": number,
                "kind": ("pin", "note", "update")[n % 3],
                "message_ts": f"1700000000.{n:06d}",
                "text": f"*Step {n}* by <@U{n % 200:05d}> see <#C{n:08d}> :fire: "
                f"<https://example.com/{n}|log>",
                "author_id": f"U{n % 200:05d}",
                "author_name": f"person {n % 200}",
                "occurred_at": T0 + dt.timedelta(minutes=n),
                "created_at": T0 + dt.timedelta(minutes=n),
                "files": "[]",
            }
            for number, size in ((big, timeline), (big - 1, medium))
            for n in range(size)
        ]
        for batch in chunked(events, 500):
            TimelineEvent.insert_many(batch).execute()
    return big
