"""Timeline entries: the story of an incident, one row per message or event worth keeping."""

from __future__ import annotations

from peewee import CharField, ForeignKeyField, TextField

from models.db import BaseModel
from models.fields import JSONTextField, UTCDateTimeField, utcnow
from models.incident import Incident


class TimelineEvent(BaseModel):
    incident = ForeignKeyField(Incident, backref="timeline", on_delete="CASCADE")
    kind = CharField(max_length=32, default="pin")
    # For entries that are Slack messages, their ts; unique per incident so a retried or
    # duplicated delivery lands on the same row.
    message_ts = CharField(max_length=32, null=True)
    text = TextField(default="")
    author_id = CharField(max_length=32, null=True)
    author_name = CharField(max_length=255, default="")
    occurred_at = UTCDateTimeField()
    permalink = TextField(default="")
    files = JSONTextField(default=list)
    added_by_id = CharField(max_length=32, null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "timeline_event"
        indexes = ((("incident", "message_ts"), True), (("incident", "occurred_at"), False))
