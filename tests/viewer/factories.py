"""Rows for viewer tests, written through a read-write connection of their own.

The viewer points the shared model proxy at a read-only connection, so seeding binds the
models to the test's read-write database for the duration of each call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from peewee import Database

from models import (
    AuditEntry,
    ChannelMember,
    FollowUpAction,
    Incident,
    SlackUser,
    StatusChange,
    TimelineEvent,
)

MODELS = [Incident, SlackUser, TimelineEvent, ChannelMember, AuditEntry, FollowUpAction]
T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


class Seeder:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._ts = 0

    @contextmanager
    def bound(self) -> Iterator[None]:
        with self.database.bind_ctx(MODELS), self.database.connection_context():
            yield

    def incident(self, **fields: Any) -> Incident:
        fields.setdefault("title", "Checkout errors")
        fields.setdefault("reporter_id", "UREPORTER")
        fields.setdefault("reported_at", T0)
        with self.bound():
            return Incident.create(**fields)

    def event(self, incident: Incident, **fields: Any) -> TimelineEvent:
        self._ts += 1
        fields.setdefault("message_ts", f"1700000000.{self._ts:06d}")
        fields.setdefault("occurred_at", T0 + dt.timedelta(minutes=self._ts))
        fields.setdefault("text", f"Entry {self._ts}")
        with self.bound():
            return TimelineEvent.create(incident=incident.id, **fields)

    def user(self, user_id: str, display_name: str, **fields: Any) -> SlackUser:
        with self.bound():
            return SlackUser.create(user_id=user_id, display_name=display_name, **fields)

    def action(self, incident: Incident, title: str, **fields: Any) -> FollowUpAction:
        with self.bound():
            return FollowUpAction.create(incident=incident.id, title=title, **fields)

    def status_change(self, incident: Incident, **fields: Any) -> StatusChange:
        with self.bound():
            return StatusChange.create(incident=incident.id, **fields)

    def member(self, channel_id: str, *user_ids: str) -> None:
        with self.bound():
            for user_id in user_ids:
                ChannelMember.create(channel_id=channel_id, user_id=user_id)

    def audit_entries(self) -> list[AuditEntry]:
        with self.bound():
            return list(AuditEntry.select().order_by(AuditEntry.id))
