"""Timeline entries from Slack messages: added by a pin, a reaction or a shortcut, kept while
any of those holds them, updated when edited, marked when deleted."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from models import TimelineEvent, db

log = logging.getLogger(__name__)

# Each source of a message entry and the flag that records it.
SOURCE_FLAGS = {"pin": "pinned", "reaction": "reacted", "shortcut": "shortcut"}
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


# The name the pin feature knew it by.
PinnedMessage = SlackMessage


def ts_to_datetime(ts: str) -> dt.datetime:
    """A Slack message ts ("1718371411.000200") is its posting time in Unix seconds."""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


def add_message(incident_id: int, message: SlackMessage, source: str) -> None:
    """Put a message on the timeline for `source`; a repeat only re-asserts the source.

    The unique (incident, message_ts) key makes a duplicate an update of the same row, with
    no window between a check and an insert for a second replica to slip through.
    """
    flag = getattr(TimelineEvent, SOURCE_FLAGS[source])
    with db.connection_context():
        (
            TimelineEvent.insert(
                incident=incident_id,
                kind=source,
                message_ts=message.message_ts,
                text=message.text,
                author_id=message.author_id,
                author_name=message.author_name,
                occurred_at=ts_to_datetime(message.message_ts),
                permalink=message.permalink,
                files=message.files,
                added_by_id=message.added_by,
                source="slack",
                **{SOURCE_FLAGS[source]: True},
            )
            .on_conflict(
                conflict_target=[TimelineEvent.incident, TimelineEvent.message_ts],
                update={flag: True},
            )
            .execute()
        )
    log.info("message on timeline", extra={"incident": incident_id, "source": source,
                                           "message_ts": message.message_ts})


def remove_message(incident_id: int, message_ts: str, source: str) -> bool:
    """Drop `source`'s hold on a message; the entry goes when no source holds it.

    Returns True when the entry left the timeline.
    """
    flag = getattr(TimelineEvent, SOURCE_FLAGS[source])
    this = (TimelineEvent.incident == incident_id) & (TimelineEvent.message_ts == message_ts)
    with db.connection_context(), db.atomic():
        TimelineEvent.update({flag: False}).where(this).execute()
        removed = (
            TimelineEvent.delete()
            .where(
                this
                & TimelineEvent.kind.in_(MESSAGE_KINDS)
                & ~TimelineEvent.pinned
                & ~TimelineEvent.reacted
                & ~TimelineEvent.shortcut
            )
            .execute()
        )
    log.info("message source removed", extra={"incident": incident_id, "source": source,
                                              "message_ts": message_ts, "left": bool(removed)})
    return bool(removed)


def add_pin(incident_id: int, pin: SlackMessage) -> None:
    add_message(incident_id, pin, "pin")


def remove_pin(incident_id: int, message_ts: str) -> bool:
    return remove_message(incident_id, message_ts, "pin")


def entries(incident_id: int) -> list[TimelineEvent]:
    with db.connection_context():
        return list(
            TimelineEvent.select()
            .where(TimelineEvent.incident == incident_id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
