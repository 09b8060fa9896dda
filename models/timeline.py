"""Timeline entries: the story of an incident, one row per message or event worth keeping."""

from __future__ import annotations

from peewee import BooleanField, CharField, ForeignKeyField, TextField

from models.db import BaseModel
from models.fields import JSONTextField, UTCDateTimeField, utcnow
from models.incident import Incident

# What a timeline entry is. Message entries (pin, reaction, shortcut) carry message_ts and
# the flags saying which sources hold them; the others are written by the bot.
KINDS = ("pin", "reaction", "shortcut", "note", "update", "status", "severity", "lead",
         "summary", "impact", "title", "declared", "resolved", "reopened", "action")


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
    # Which sources keep a message on the timeline: it leaves when none is left.
    pinned = BooleanField(default=False)
    reacted = BooleanField(default=False)
    shortcut = BooleanField(default=False)
    # Where a change came from (command, modal, button, slack) and its old → new values.
    source = CharField(max_length=16, null=True)
    details = JSONTextField(null=True)
    edited_at = UTCDateTimeField(null=True)
    deleted_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "timeline_event"
        indexes = ((("incident", "message_ts"), True), (("incident", "occurred_at"), False))
