"""Timeline entries from pinned messages: added once, removed on unpin."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from models import TimelineEvent, db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PinnedMessage:
    message_ts: str
    text: str
    author_id: str | None
    author_name: str
    permalink: str
    files: list[dict[str, str]] = field(default_factory=list)
    pinned_by: str | None = None


def ts_to_datetime(ts: str) -> dt.datetime:
    """A Slack message ts ("1718371411.000200") is its posting time in Unix seconds."""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


def add_pin(incident_id: int, pin: PinnedMessage) -> bool:
    """Add a pinned message; False when it was already there (a repeated delivery)."""
    with db.connection_context():
        inserted = (
            TimelineEvent.insert(
                incident=incident_id,
                kind="pin",
                message_ts=pin.message_ts,
                text=pin.text,
                author_id=pin.author_id,
                author_name=pin.author_name,
                occurred_at=ts_to_datetime(pin.message_ts),
                permalink=pin.permalink,
                files=pin.files,
                added_by_id=pin.pinned_by,
            )
            # The unique (incident, message_ts) key makes a duplicate a no-op, with no window
            # between a check and an insert for a second replica to slip through.
            .on_conflict_ignore()
            .execute()
        )
    added = bool(inserted)
    log.info(
        "pin %s",
        "added" if added else "already present",
        extra={"incident": incident_id, "message_ts": pin.message_ts},
    )
    return added


def remove_pin(incident_id: int, message_ts: str) -> bool:
    with db.connection_context():
        removed = (
            TimelineEvent.delete()
            .where(
                (TimelineEvent.incident == incident_id)
                & (TimelineEvent.message_ts == message_ts)
                & (TimelineEvent.kind == "pin")
            )
            .execute()
        )
    log.info("pin removed", extra={"incident": incident_id, "message_ts": message_ts})
    return bool(removed)


def entries(incident_id: int) -> list[TimelineEvent]:
    with db.connection_context():
        return list(
            TimelineEvent.select()
            .where(TimelineEvent.incident == incident_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
