"""Declaring incidents and recording where they live in Slack."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from peewee import Case, IntegrityError, fn

from bot.domain.metrics import DUPLICATES_SKIPPED
from models import (
    SEVERITIES,
    AuditEntry,
    DraftSource,
    Incident,
    Kind,
    StatusChange,
    TimelineEvent,
    db,
)
from models.db import generation, write_transaction
from models.fields import utcnow
from models.incident import TITLE_MAX_LENGTH, Source, Status
from models.membership import ChannelMember

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Declaration:
    title: str
    reporter_id: str
    summary: str = ""
    impact: str = ""
    severity: int | None = None
    lead_id: str | None = None
    is_private: bool = False
    started_at: dt.datetime | None = None  # when the impact started, if before the report


# Slack's clocks and ours may differ a little: an impact "starting" this far ahead is now.
CLOCK_SKEW = dt.timedelta(minutes=2)


class FieldProblem(ValueError):
    """A field's value cannot be stored; `field` names it, so a form can say where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def checked_start(started: dt.datetime, *, now: dt.datetime | None = None) -> dt.datetime:
    """When the impact started, in UTC to the minute; FieldProblem if it is in the future."""
    if started.tzinfo is None:
        raise FieldProblem("started", "The time the impact started has no time zone.")
    moment = started.astimezone(dt.UTC).replace(second=0, microsecond=0)
    if moment > (now or utcnow()) + CLOCK_SKEW:
        raise FieldProblem(
            "started", "The impact cannot start in the future; pick a time before now."
        )
    return moment


def title_length(title: str) -> int:
    """Characters as Slack's inputs count them (UTF-16 units: an emoji may count two), so a
    stored title always fits the form it is edited in."""
    return len(title) if title.isascii() else len(title.encode("utf-16-le")) // 2


def title_problem(title: str | None) -> str | None:
    """What is wrong with a title, in words for the person typing it; None if fine."""
    if title is None or not title.strip():
        return "Give the incident a title."
    length = title_length(title.strip())
    if length > TITLE_MAX_LENGTH:
        return f"Keep the title to {TITLE_MAX_LENGTH} characters (this one has {length})."
    return None


def declare(declaration: Declaration, *, key: str | None = None) -> Incident | None:
    """Store a new incident; None when `key` was already used (a repeated delivery)."""
    problem = title_problem(declaration.title)
    if problem:
        raise ValueError(problem)
    if declaration.severity is not None and declaration.severity not in SEVERITIES:
        raise ValueError(f"unknown severity {declaration.severity!r}")
    now = utcnow()
    started = declaration.started_at and min(checked_start(declaration.started_at, now=now), now)
    try:
        with db.connection_context(), write_transaction():
            incident: Incident = Incident.create(
                title=declaration.title.strip(),
                summary=declaration.summary.strip(),
                impact=declaration.impact.strip(),
                severity=declaration.severity,
                lead_id=declaration.lead_id,
                reporter_id=declaration.reporter_id,
                is_private=declaration.is_private,
                reported_at=now,
                started_at=started,
                acknowledged_at=now if declaration.lead_id else None,
                updated_at=now,
                declare_key=key,
            )
            # The history starts at the declaration, so it tells the whole story.
            StatusChange.create(
                incident=incident,
                from_status=None,
                status=incident.status,
                changed_at=now,
                changed_by=declaration.reporter_id,
                source=Source.DECLARE,
            )
            TimelineEvent.create(
                incident=incident,
                kind=Kind.DECLARED,
                occurred_at=now,
                text=f"Incident declared: {incident.title}",
                author_id=declaration.reporter_id,
                source=Source.DECLARE,
                created_at=now,
            )
            AuditEntry.create(
                incident=incident,
                at=now,
                actor_id=declaration.reporter_id,
                source=Source.DECLARE,
                action="declared",
                new_value=incident.title,
                details={
                    "severity": declaration.severity,
                    "lead": declaration.lead_id,
                    "private": declaration.is_private,
                    "started": started.isoformat() if started else None,
                },
            )
    except IntegrityError:
        if key is None:
            raise
        log.info("declaration already stored", extra={"declare_key": key})
        DUPLICATES_SKIPPED.inc()
        return None
    log.info("incident declared", extra={"incident": incident.id})
    return incident


def attach_channel(incident_id: int, channel_id: str, channel_name: str) -> None:
    """The incident now lives in this channel: opened in Slack (the claim is done with)."""
    _forget_ordinary(channel_id)
    with db.connection_context():
        Incident.update(
            channel_id=channel_id,
            channel_name=channel_name,
            updated_at=utcnow(),
            opening_claimed_at=None,
            open_problem=None,
            revision=Incident.revision + 1,
        ).where(Incident.id == incident_id).execute()


def rename_channel(channel_id: str, channel_name: str) -> int | None:
    """The incident channel has a new name (Slack's rename event, which names nobody): the
    stored name follows; its number, if it is one. Who renamed it is recorded by
    `lifecycle.record_rename`, from the bot's command or from Slack's message about it."""
    with db.connection_context():
        Incident.update(channel_name=channel_name[:80], revision=Incident.revision + 1).where(
            (Incident.channel_id == channel_id)
            & (Incident.channel_name.is_null() | (Incident.channel_name != channel_name[:80]))
        ).execute()
        return Incident.number_in_channel(channel_id)


# How long one attempt to open an incident in Slack may hold its claim: far longer than any
# attempt takes (Slack's retries included), short enough that a crashed one frees it soon.
OPENING_LEASE = dt.timedelta(minutes=10)


def claim_opening(incident_id: int, now: dt.datetime) -> bool:
    """Take the right to open the incident in Slack: True for exactly one caller while it
    has no channel and nobody else holds a fresh claim (any replica, any number of clicks)."""
    with db.connection_context():
        taken = (
            Incident.update(opening_claimed_at=now)
            .where(
                (Incident.id == incident_id)
                & Incident.channel_id.is_null()
                & (
                    Incident.opening_claimed_at.is_null()
                    | (Incident.opening_claimed_at < now - OPENING_LEASE)
                )
            )
            .execute()
        )
    return bool(taken)


def opening_failed(incident_id: int, problem: str) -> None:
    """Opening did not work: free the claim and say why, so a retry can try again."""
    with db.connection_context():
        Incident.update(opening_claimed_at=None, open_problem=problem[:2000]).where(
            (Incident.id == incident_id) & Incident.channel_id.is_null()
        ).execute()


def revision_of(incident_id: int) -> int | None:
    with db.connection_context():
        row = Incident.select(Incident.revision).where(Incident.id == incident_id).first()
    return row.revision if row is not None else None


def record_messages(
    incident_id: int,
    *,
    opening_message_ts: str | None = None,
    announcement_channel_id: str | None = None,
    announcement_ts: str | None = None,
) -> None:
    """Remember the posts that later changes edit in place."""
    fields = {
        name: value
        for name, value in (
            ("opening_message_ts", opening_message_ts),
            ("announcement_channel_id", announcement_channel_id),
            ("announcement_ts", announcement_ts),
        )
        if value is not None
    }
    if not fields:
        return
    with db.connection_context():
        Incident.update(**fields).where(Incident.id == incident_id).execute()


def for_channel(channel_id: str) -> Incident | None:
    with db.connection_context():
        return Incident.get_or_none(Incident.channel_id == channel_id)


# channel id → incident number. An incident's channel never changes once attached, so a
# found pair can be kept for good. "Not an incident channel" is kept briefly: every
# /incident typed in an ordinary channel asks, and a channel becomes an incident's only by
# being created for one (attach_channel forgets it here; nobody else is in such a channel
# yet to send anything another replica could have remembered).
_numbers: dict[tuple[int, str], int] = {}
_NUMBERS_MAX = 10_000
_ordinary: dict[tuple[int, str], float] = {}  # → when it stops being believed (monotonic)
ORDINARY_FOR_SECONDS = 30.0


def number_for_channel(channel_id: str) -> int | None:
    """The incident living in `channel_id`, answered from memory after the first time: the
    hot path of every pin, reaction, edit and command."""
    key = (generation(), channel_id)
    found = _numbers.get(key)
    if found is not None:
        return found
    now = time.monotonic()
    if _ordinary.get(key, 0.0) > now:
        return None
    with db.connection_context():
        number = Incident.number_in_channel(channel_id)
    if number is None:
        if len(_ordinary) >= _NUMBERS_MAX:
            _ordinary.clear()
        _ordinary[key] = now + ORDINARY_FOR_SECONDS
        return None
    if len(_numbers) >= _NUMBERS_MAX:
        _numbers.clear()
    _numbers[key] = number
    return number


def _forget_ordinary(channel_id: str) -> None:
    _ordinary.pop((generation(), channel_id), None)


def get(number: int) -> Incident | None:
    with db.connection_context():
        return Incident.get_or_none(Incident.id == number)


def open_incidents() -> list[Incident]:
    with db.connection_context():
        return list(
            Incident.select()
            .where(Incident.status != Status.RESOLVED)
            .order_by(Incident.severity.asc(nulls="LAST"), Incident.reported_at.desc())
        )


def open_incidents_for(user_id: str, channel_id: str | None) -> list[Incident]:
    """The open incidents `user_id` may be told of: every public one, and the private ones
    whose channel they are in (as the bot last heard), or that are asked about from inside."""
    with db.connection_context():
        theirs = ChannelMember.select(ChannelMember.channel_id).where(
            ChannelMember.user_id == user_id
        )
        allowed = ~Incident.is_private | Incident.channel_id.in_(theirs)
        if channel_id:
            allowed = allowed | (Incident.channel_id == channel_id)
        return list(
            Incident.select()
            .where((Incident.status != Status.RESOLVED) & allowed)
            .order_by(Incident.severity.asc(nulls="LAST"), Incident.reported_at.desc())
        )


def imported_open_announcements() -> list[int]:
    """Open incidents imported from another tool whose announcement is that tool's post
    (public ones: a private incident's announcement is not kept in step)."""
    with db.connection_context():
        rows = Incident.select(Incident.id).where(
            (Incident.status != Status.RESOLVED)
            & Incident.imported_from.is_null(False)
            & Incident.announcement_ts.is_null(False)
            & ~Incident.is_private
        )
        return [row.id for row in rows]


def resolved_before(cutoff: dt.datetime) -> list[Incident]:
    """Resolved incidents whose channel is still open and whose resolution is older. Of
    the imported ones, only those resolved here: a channel the old tool left open when it
    closed the incident stays as the team left it, rather than hundreds archived at once on
    the first start."""
    resolved_here = StatusChange.select(StatusChange.id).where(
        (StatusChange.incident == Incident.id)
        & (StatusChange.status == Status.RESOLVED)
        & (StatusChange.source.is_null() | (StatusChange.source != Source.IMPORT.value))
    )
    with db.connection_context():
        return list(
            Incident.select().where(
                (Incident.status == Status.RESOLVED)
                & (Incident.resolved_at <= cutoff)
                & Incident.channel_archived_at.is_null()
                & Incident.archive_error.is_null()
                & Incident.channel_id.is_null(False)
                & (Incident.imported_from.is_null() | fn.EXISTS(resolved_here))
            )
        )


# Long enough for one archive call and its retries; a crashed claimer frees it after this.
ARCHIVE_LEASE = dt.timedelta(minutes=5)


def claim_archive(number: int, now: dt.datetime) -> bool:
    """The right to archive the channel now; True for one caller (replica) at a time."""
    with db.connection_context():
        taken = (
            Incident.update(archive_claimed_at=now)
            .where(
                (Incident.id == number)
                & Incident.channel_archived_at.is_null()
                & Incident.archive_error.is_null()
                & (
                    Incident.archive_claimed_at.is_null()
                    | (Incident.archive_claimed_at < now - ARCHIVE_LEASE)
                )
            )
            .execute()
        )
    return bool(taken)


def claim_archive_warning(number: int, now: dt.datetime) -> bool:
    """The right to tell the channel it is about to be archived: True once per resolution
    (any replica, any run); reopening the incident clears it."""
    with db.connection_context():
        taken = (
            Incident.update(archive_warned_at=now)
            .where(
                (Incident.id == number)
                & (Incident.status == Status.RESOLVED)
                & Incident.archive_warned_at.is_null()
                & Incident.channel_archived_at.is_null()
            )
            .execute()
        )
    return bool(taken)


def archive_warning_failed(number: int) -> None:
    """The heads-up did not reach Slack: it is posted again on a later run, and the archive
    waits for it."""
    with db.connection_context():
        Incident.update(archive_warned_at=None).where(Incident.id == number).execute()


def archived(number: int, now: dt.datetime) -> bool:
    """Slack archived the channel: on the timeline and in the audit, by the scheduler."""
    return _channel_event(
        number,
        now,
        Kind.ARCHIVED,
        "Channel archived",
        None,
        Source.SCHEDULER,
        channel_archived_at=now,
        archive_claimed_at=None,
    )


# Why a resolved incident's channel is not archived again: people brought it back.
KEPT_OPEN = "unarchived by people"


def unarchived(number: int, by: str | None, source: Source) -> bool:
    """The channel is open again (someone unarchived it): on the timeline and in the
    audit. People who unarchive a resolved incident's channel want it (the review, a late
    question): it is not archived again until the incident is next resolved. True the
    first time."""
    return _channel_event(
        number,
        utcnow(),
        Kind.UNARCHIVED,
        "Channel unarchived",
        by,
        source,
        channel_archived_at=None,
        archive_warned_at=None,
        archive_error=Case(None, ((Incident.status == Status.RESOLVED, KEPT_OPEN),), None),
    )


def _channel_event(
    number: int,
    now: dt.datetime,
    kind: Kind,
    text: str,
    by: str | None,
    source: Source,
    **fields: Any,
) -> bool:
    with db.connection_context(), write_transaction():
        done = (
            Incident.update(**fields, revision=Incident.revision + 1)
            .where(
                (Incident.id == number)
                & (
                    Incident.channel_archived_at.is_null()
                    if kind == Kind.ARCHIVED
                    else Incident.channel_archived_at.is_null(False)
                )
            )
            .execute()
        )
        if not done:
            return False  # recorded already (a second replica, a repeated event)
        TimelineEvent.create(
            incident=number,
            kind=kind,
            text=text,
            author_id=by,
            occurred_at=now,
            source=source,
            created_at=now,
        )
        AuditEntry.create(incident=number, at=now, actor_id=by, source=source, action=str(kind))
    log.info(text.lower(), extra={"incident": number})
    return True


def archive_failed(number: int, error: str | None) -> None:
    """Free the claim; with `error`, Slack refused for good and it is not tried again."""
    with db.connection_context():
        Incident.update(archive_claimed_at=None, archive_error=error[:64] if error else None).where(
            Incident.id == number
        ).execute()


# A declare form left open longer than this is not coming back for its message.
DRAFT_KEPT = dt.timedelta(days=1)


def keep_source(view_id: str, source: dict[str, Any]) -> None:
    """The message the declare form `view_id` was opened from, until it is submitted."""
    now = utcnow()
    with db.connection_context(), db.atomic():
        DraftSource.delete().where(DraftSource.created_at < now - DRAFT_KEPT).execute()
        DraftSource.insert(view_id=view_id[:32], source=source, created_at=now).on_conflict(
            conflict_target=[DraftSource.view_id], update={"source": source}
        ).execute()


def take_source(view_id: str) -> dict[str, Any] | None:
    """The message kept for the form, and forget it (None if there was none)."""
    with db.connection_context(), db.atomic():
        row = DraftSource.get_or_none(DraftSource.view_id == view_id[:32])
        if row is None:
            return None
        DraftSource.delete().where(DraftSource.view_id == row.view_id).execute()
    return row.source if isinstance(row.source, dict) else None
