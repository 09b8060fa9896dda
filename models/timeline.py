"""Timeline entries: the story of an incident, one row per message or event worth keeping."""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, TextField

from models.db import BaseModel
from models.fields import JSONTextField, UTCDateTimeField, utcnow
from models.incident import Incident, Source


class Kind(StrEnum):
    """What a timeline entry is. Message entries (pin, reaction, shortcut) carry message_ts
    and the flags saying which sources hold them; the others are written by the bot."""

    PIN = "pin"
    REACTION = "reaction"
    SHORTCUT = "shortcut"
    NOTE = "note"
    UPDATE = "update"
    STATUS = "status"
    SEVERITY = "severity"
    LEAD = "lead"
    SUMMARY = "summary"
    IMPACT = "impact"
    TITLE = "title"
    STARTED = "started"  # when the impact started was set or changed
    DECLARED = "declared"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ACTION = "action"
    RENAMED = "renamed"  # the incident channel's name changed


class TimelineEvent(BaseModel):
    id = AutoField()
    incident = ForeignKeyField(Incident, backref="timeline", on_delete="CASCADE")
    kind = CharField(max_length=32, default=Kind.PIN.value)
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


_HOLD_COLUMNS = (
    "incident_id",
    "kind",
    "message_ts",
    "text",
    "author_id",
    "author_name",
    "occurred_at",
    "permalink",
    "files",
    "added_by_id",
    "source",
    "pinned",
    "reacted",
    "shortcut",
    "created_at",
)
_FLAGS = ("pinned", "reacted", "shortcut")


def hold_message(
    *,
    incident_id: int,
    flag: str,
    kind: str,
    message_ts: str,
    text: str,
    author_id: str | None,
    author_name: str,
    occurred_at: Any,
    permalink: str,
    files: list[dict[str, str]],
    added_by_id: str | None,
) -> None:
    """Put a Slack message on an incident's timeline held by `flag`, or, when it is there
    already, only set that flag.

    Hand-written SQL on purpose: every pin, reaction and shortcut runs it, and building the
    upsert through the ORM costs more than running it. Values go through the fields'
    db_value, exactly as the ORM would send them.
    """
    if flag not in _FLAGS:
        raise ValueError(f"unknown timeline flag {flag!r}")
    database = TimelineEvent._meta.database
    param = database.param
    values = [
        incident_id,
        kind,
        message_ts,
        text,
        author_id,
        author_name,
        TimelineEvent.occurred_at.db_value(occurred_at),
        permalink,
        TimelineEvent.files.db_value(files),
        added_by_id,
        Source.SLACK.value,
        flag == "pinned",
        flag == "reacted",
        flag == "shortcut",
        TimelineEvent.created_at.db_value(utcnow()),
    ]
    database.execute_sql(_hold_sql(flag, param), (*values, True))


@functools.cache
def _hold_sql(flag: str, param: str) -> str:
    columns = ", ".join(f'"{column}"' for column in _HOLD_COLUMNS)
    placeholders = ", ".join([param] * len(_HOLD_COLUMNS))
    return (
        f'INSERT INTO "timeline_event" ({columns}) VALUES ({placeholders}) '
        f'ON CONFLICT ("incident_id", "message_ts") DO UPDATE SET "{flag}" = {param}'
    )
