"""Timeline entries: the story of an incident, one row per message or event worth keeping."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, TextField

from models.db import BaseModel
from models.fields import JSONTextField, UTCDateTimeField, utcnow
from models.incident import Incident


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
    ARCHIVED = "archived"  # the incident channel was archived
    UNARCHIVED = "unarchived"  # and brought back


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
    # Taken off the timeline (unpinned, its reaction removed): kept, marked, out of view.
    removed_at = UTCDateTimeField(null=True)
    removed_by_id = CharField(max_length=32, null=True)

    class Meta:
        table_name = "timeline_event"
        indexes = ((("incident", "message_ts"), True), (("incident", "occurred_at"), False))


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
    source: str,
) -> bool:
    """Put a Slack message on an incident's timeline held by `flag`, or, when it is there
    already, only set that flag (and bring it back if it had been taken off).

    True when this call is what put it on the timeline (new, or back after a removal),
    False when it was there already: a repeated or concurrent delivery writes nothing new.
    The INSERT's unique key decides who adds it, and the UPDATE's WHERE (on the very
    removal read just before) who brings it back: no window for a second replica.
    """
    if flag not in _FLAGS:
        raise ValueError(f"unknown timeline flag {flag!r}")
    held = getattr(TimelineEvent, flag)
    this = (TimelineEvent.incident == incident_id) & (TimelineEvent.message_ts == message_ts)
    # The common case first: a message new to the timeline is one INSERT.
    inserted = (
        TimelineEvent.insert(
            incident=incident_id,
            kind=kind,
            message_ts=message_ts,
            text=text,
            author_id=author_id,
            author_name=author_name,
            occurred_at=occurred_at,
            permalink=permalink,
            files=files,
            added_by_id=added_by_id,
            source=source,
            pinned=flag == "pinned",
            reacted=flag == "reacted",
            shortcut=flag == "shortcut",
            created_at=utcnow(),
        )
        .on_conflict_ignore()
        .as_rowcount()
        .execute()
    )
    if inserted:
        return True
    gone = (
        TimelineEvent.select(
            TimelineEvent.removed_at, TimelineEvent.removed_by_id, TimelineEvent.details
        )
        .where(this & TimelineEvent.removed_at.is_null(False))
        .first()
    )
    if gone is not None:
        # Back after a removal: put there again, by whoever did it this time. The removal
        # stays in the entry's story (who took it off, when); the WHERE on that very
        # removal lets one of two concurrent holds bring it back.
        earlier = (gone.details or {}).get("removals") or []
        removal = {
            "removed_at": gone.removed_at.isoformat(),
            "removed_by": gone.removed_by_id,
        }
        back = (
            TimelineEvent.update(
                {
                    held: True,
                    TimelineEvent.kind: kind,  # held now by this source, so named by it
                    TimelineEvent.removed_at: None,
                    TimelineEvent.removed_by_id: None,
                    TimelineEvent.added_by_id: added_by_id,
                    TimelineEvent.source: source,
                    TimelineEvent.details: {"removals": [*earlier, removal]},
                }
            )
            .where(this & (TimelineEvent.removed_at == gone.removed_at))
            .execute()
        )
        if back:
            return True
    # There already: at most one more hold (another source), which is not news.
    TimelineEvent.update({held: True}).where(this & (held == False)).execute()  # noqa: E712
    return False
