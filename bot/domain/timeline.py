"""Timeline entries from Slack messages: added by a pin, a reaction or a shortcut, kept while
any of those holds them, marked removed (never deleted) when none does, updated when edited
(each edit audited: who and when, not the words), marked when deleted."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import TypeGuard

from bot.domain.lifecycle import Duplicate, claim
from models import AuditEntry, Kind, Source, TimelineEvent, db
from models.db import write_transaction
from models.fields import utcnow
from models.timeline import hold_message

log = logging.getLogger(__name__)

# Each source of a message entry and the flag that records it.
SOURCE_FLAGS = {Kind.PIN: "pinned", Kind.REACTION: "reacted", Kind.SHORTCUT: "shortcut"}
MESSAGE_KINDS = tuple(SOURCE_FLAGS)


@dataclass(frozen=True)
class SlackMessage:
    message_ts: str
    text: str
    author_id: str | None
    author_name: str
    permalink: str
    files: list[dict[str, str]] = field(default_factory=list)
    added_by: str | None = None


_SLACK_TS = re.compile(r"^\d{1,12}(\.\d{1,9})?$")


def is_slack_ts(value: object) -> TypeGuard[str]:
    """Whether `value` has the shape of a Slack ts ("1718371411.000200"). A message keyed
    on anything else is not one Slack sent, and its time could not be read."""
    return isinstance(value, str) and _SLACK_TS.match(value) is not None


def ts_to_datetime(ts: str) -> dt.datetime:
    """A Slack message ts ("1718371411.000200") is its posting time in Unix seconds."""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


# Who put a message on the timeline, or took it off, as the audit names the way they did it.
SOURCE_OF = {Kind.PIN: Source.PIN, Kind.REACTION: Source.REACTION, Kind.SHORTCUT: Source.SHORTCUT}


def add_message(incident_id: int, message: SlackMessage, source: Kind) -> bool:
    """Put a message on the timeline for `source`; a repeat only re-asserts the source.

    True when the message newly went on the timeline (or came back after being taken
    off): then, and only then, an audit row says who put it there and how.
    """
    with db.connection_context(), write_transaction():
        added = hold_message(
            incident_id=incident_id,
            flag=SOURCE_FLAGS[source],
            kind=source,
            message_ts=message.message_ts,
            text=message.text,
            author_id=message.author_id,
            author_name=message.author_name,
            occurred_at=ts_to_datetime(message.message_ts),
            permalink=message.permalink,
            files=message.files,
            added_by_id=message.added_by,
            source=SOURCE_OF[source],
        )
        if added:
            _audit_entry(incident_id, "timeline_add", message.added_by, source, message.message_ts)
    log.info(
        "message on timeline",
        extra={
            "incident": incident_id,
            "source": source,
            "message_ts": message.message_ts,
            "new": added,
        },
    )
    return added


def _audit_entry(
    incident_id: int, action: str, actor_id: str | None, source: Kind, message_ts: str
) -> None:
    # The message's ts names its entry (unique per incident): no read to find the row's id
    # on the path every pin takes.
    AuditEntry.create(
        incident=incident_id,
        at=utcnow(),
        actor_id=actor_id,
        source=SOURCE_OF[source],
        action=action,
        details={"message_ts": message_ts},
    )


def remove_message(
    incident_id: int, message_ts: str, source: Kind, *, by: str | None = None
) -> bool:
    """Drop `source`'s hold on a message; when no source holds it, it leaves the timeline.

    It leaves the page, not the record: the row stays, marked removed (by whom, when), and
    an audit row says so. Returns True when the entry left the timeline.
    """
    flag = getattr(TimelineEvent, SOURCE_FLAGS[source])
    this = (TimelineEvent.incident == incident_id) & (TimelineEvent.message_ts == message_ts)
    with db.connection_context(), write_transaction():
        TimelineEvent.update({flag: False}).where(this).execute()
        removed = (
            TimelineEvent.update(removed_at=utcnow(), removed_by_id=by)
            .where(
                this
                & TimelineEvent.kind.in_(MESSAGE_KINDS)
                & ~TimelineEvent.pinned
                & ~TimelineEvent.reacted
                & ~TimelineEvent.shortcut
                & TimelineEvent.removed_at.is_null()
                # A message deleted in Slack stays as it is, marked deleted.
                & TimelineEvent.deleted_at.is_null()
            )
            .execute()
        )
        if removed:
            _audit_entry(incident_id, "timeline_remove", by, source, message_ts)
    log.info(
        "message source removed",
        extra={
            "incident": incident_id,
            "source": source,
            "message_ts": message_ts,
            "left": bool(removed),
        },
    )
    return bool(removed)


def name_author(incident_id: int, message_ts: str, author_id: str, name: str) -> None:
    """Give an entry its author's name where it was stored with only their id."""
    with db.connection_context():
        TimelineEvent.update(author_name=name[:255]).where(
            (TimelineEvent.incident == incident_id)
            & (TimelineEvent.message_ts == message_ts)
            & (TimelineEvent.author_id == author_id)
            & TimelineEvent.author_name.in_(["", author_id])
        ).execute()


def add_pin(incident_id: int, pin: SlackMessage) -> bool:
    return add_message(incident_id, pin, Kind.PIN)


def remove_pin(incident_id: int, message_ts: str, *, by: str | None = None) -> bool:
    return remove_message(incident_id, message_ts, Kind.PIN, by=by)


def entries(incident_id: int) -> list[TimelineEvent]:
    """The entries on the timeline now (not those taken off it), oldest first."""
    with db.connection_context():
        return list(
            TimelineEvent.select()
            .where((TimelineEvent.incident == incident_id) & TimelineEvent.removed_at.is_null())
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )


def entry(incident_id: int, message_ts: str) -> TimelineEvent | None:
    """The incident's entry for a Slack message, if it has one."""
    with db.connection_context():
        return TimelineEvent.get_or_none(
            (TimelineEvent.incident == incident_id) & (TimelineEvent.message_ts == message_ts)
        )


def latest(incident_id: int, kind: Kind) -> TimelineEvent | None:
    """The most recent entry of `kind` that is still there (not deleted in Slack)."""
    with db.connection_context():
        return (
            TimelineEvent.select()
            .where(
                (TimelineEvent.incident == incident_id)
                & (TimelineEvent.kind == kind)
                & TimelineEvent.deleted_at.is_null()
            )
            .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc())
            .first()
        )


@dataclass(frozen=True)
class Edit:
    """A message's text changed in Slack: who, when (the edit's own ts) and to what."""

    message_ts: str
    new_text: str
    edited_ts: str
    editor_id: str | None


def edit_message(incident_id: int, edit: Edit) -> bool:
    """Apply an edit to the entry for the message; False when there is none or it was seen.

    Every edit writes one audit row saying who edited the message and when, never what it
    said: people edit a message to take out what they should not have pasted, and the audit
    cannot be changed. A redelivered edit finds its key (incident, message, edit ts) taken
    and writes nothing. The entry takes the newest text: an older edit arriving late is
    audited but does not overwrite a newer one. A deleted message takes no edit.
    """
    edited_at = ts_to_datetime(edit.edited_ts)
    this = (TimelineEvent.incident == incident_id) & (TimelineEvent.message_ts == edit.message_ts)
    try:
        with db.connection_context(), write_transaction():
            found = TimelineEvent.get_or_none(this)
            if found is None or found.deleted_at is not None:
                return False
            claim(f"timeline-edit:{incident_id}:{edit.message_ts}:{edit.edited_ts}")
            (
                TimelineEvent.update(text=edit.new_text, edited_at=edited_at)
                .where(
                    this
                    & (TimelineEvent.edited_at.is_null() | (TimelineEvent.edited_at < edited_at))
                )
                .execute()
            )
            AuditEntry.create(
                incident=incident_id,
                at=utcnow(),
                actor_id=edit.editor_id,
                source=Source.SLACK,
                action="timeline_edit",
                old_value=None,
                new_value=None,
                details={
                    "timeline_event": found.get_id(),
                    "message_ts": edit.message_ts,
                    "edited_ts": edit.edited_ts,
                },
            )
    except Duplicate:
        log.info(
            "edit already applied", extra={"incident": incident_id, "message_ts": edit.message_ts}
        )
        return False
    log.info(
        "timeline message edited", extra={"incident": incident_id, "message_ts": edit.message_ts}
    )
    return True


def mark_deleted(
    incident_id: int,
    message_ts: str,
    *,
    event_ts: str | None = None,
    actor_id: str | None = None,
) -> bool:
    """Mark the entry for a message deleted in Slack (at `event_ts`): the row stays (when,
    who wrote it, who put it on the timeline), its words and files leave the database.

    True only the first time: a redelivery finds it marked already and writes no audit row.
    """
    # When the event's own time cannot be read, its arrival is the best time there is.
    deleted_at = ts_to_datetime(event_ts) if is_slack_ts(event_ts) else utcnow()
    this = (TimelineEvent.incident == incident_id) & (TimelineEvent.message_ts == message_ts)
    with db.connection_context(), write_transaction():
        marked = (
            TimelineEvent.update(deleted_at=deleted_at, text="", files=[])
            .where(this & TimelineEvent.deleted_at.is_null())
            .execute()
        )
        if not marked:
            return False
        found = TimelineEvent.get(this)
        AuditEntry.create(
            incident=incident_id,
            at=utcnow(),
            actor_id=actor_id,
            source=Source.SLACK,
            action="timeline_delete",
            old_value=None,
            new_value=None,
            details={"timeline_event": found.get_id(), "message_ts": message_ts},
        )
    log.info("timeline message deleted", extra={"incident": incident_id, "message_ts": message_ts})
    return True
