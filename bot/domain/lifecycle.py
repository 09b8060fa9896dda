"""Changing an incident: status, severity, lead, title, summary, impact, notes and updates.

Each change is one transaction that stores the new state, the timeline entry (old → new,
who, from where), the audit row and, for statuses, the history and milestones. A delivery
key, when given, is claimed in the same transaction: a redelivered command finds its key
taken and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peewee import IntegrityError

from bot.domain.incidents import FieldProblem, checked_start, title_length
from bot.domain.metrics import DUPLICATES_SKIPPED
from bot.domain.mrkdwn import escape_but_mentions
from models import (
    SEVERITIES,
    STATUSES,
    AuditEntry,
    Delivery,
    Incident,
    Kind,
    Source,
    StatusChange,
    TimelineEvent,
    db,
)
from models.db import write_transaction
from models.fields import utcnow
from models.incident import STATUS_MILESTONES, TITLE_MAX_LENGTH, Status

log = logging.getLogger(__name__)

DELIVERY_KEY_MAX = 128  # models.Delivery.key


class Duplicate(Exception):
    """The delivery key was already used: this change was made before."""


class NotAllowed(ValueError):
    """The change makes no sense now (e.g. reopening an open incident); says why."""


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


# How a change reads, in one wording wherever it is shown: on the stored timeline (plain,
# below) and in Slack (mrkdwn: bot.slack.blocks.MRKDWN).
TEXT_FIELDS = ("title", "summary", "impact")
# A changed summary or impact is quoted up to this many characters; the rest stays on the
# incident itself.
TEXT_SHOWN_MAX = 2500


def _as_stored(text: str, _limit: int) -> str:
    # The timeline's text is mrkdwn: people's words in it are shown, never a link or a ping.
    return escape_but_mentions(text)


def _user(user_id: str) -> str:
    return f"<@{user_id}>"


def _name(text: str) -> str:
    return text


def _plain_time(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


# A field's name where its attribute's would not read well.
FIELD_NAMES = {"started": "Impact started"}


@dataclass(frozen=True)
class Markup:
    """How the parts of a change are marked up where it is shown."""

    name: Callable[[str], str] = _name  # the field's name
    words: Callable[[str, int], str] = _as_stored  # people's words, at most so many characters
    person: Callable[[str], str] = _user
    unset: str = "not set"
    when: Callable[[dt.datetime], str] = _plain_time


PLAIN = Markup()


def value(field: str, raw: Any, markup: Markup = PLAIN) -> str:
    if raw is None or raw == "":
        return markup.unset
    if field == "severity":
        return markup.words(SEVERITIES.get(raw, str(raw)), TEXT_SHOWN_MAX)
    if field == "lead":
        return markup.person(str(raw))
    if field == "status":
        return markup.words(str(raw).capitalize(), TEXT_SHOWN_MAX)
    if isinstance(raw, dt.datetime):
        return markup.when(raw)
    return markup.words(str(raw), TEXT_SHOWN_MAX)


def describe(change: Change, markup: Markup = PLAIN) -> str:
    """ "Status: Investigating → Identified"; "Summary is now: …" for the texts."""
    name = markup.name(FIELD_NAMES.get(change.field, change.field.capitalize()))
    new = value(change.field, change.new, markup)
    if change.field in TEXT_FIELDS:
        return f"{name} is now: {new}"
    return f"{name}: {value(change.field, change.old, markup)} → {new}"


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    source: Source
    name: str = ""


@dataclass
class Outcome:
    incident: Incident
    changes: list[Change] = field(default_factory=list)
    # How the change was made (the actor's source), for what Slack does because of it.
    source: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def change(self, name: str) -> Change | None:
        return next((c for c in self.changes if c.field == name), None)


def parse_severity(text: str) -> int:
    """'1', 'sev1', 'SEV1', 'critical', 'SEV1 Critical' → 1; ValueError naming the choices."""
    value = text.strip().lower().replace(" ", "")
    for level, label in SEVERITIES.items():
        number, word = label.lower().split(" ", 1)
        if value in (str(level), number, word, number + word):
            return level
    raise ValueError("Severity is one of: " + ", ".join(SEVERITIES.values()) + " (or just 1 to 4).")


def parse_status(text: str) -> str:
    value = text.strip().lower()
    if value in STATUSES:
        return value
    raise ValueError("Status is one of: " + ", ".join(STATUSES) + ".")


def claim(key: str | None) -> None:
    """Record a delivery key in the current transaction; Duplicate if it was seen before."""
    if key is None:
        return
    if len(key) > DELIVERY_KEY_MAX:  # keys quote payload fields, which may be any length
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        with db.atomic():
            Delivery.create(key=key, received_at=utcnow())
    except IntegrityError as error:
        DUPLICATES_SKIPPED.inc()
        raise Duplicate(key) from error


def claim_once(key: str) -> bool:
    """Claim a delivery key in a transaction of its own; False when it was already claimed.

    For side effects that are only Slack posts (a welcome): claim, post, and `release` if
    the post failed so that Slack's redelivery can try again.
    """
    try:
        with db.connection_context(), write_transaction():
            claim(key)
    except Duplicate:
        return False
    return True


def release(key: str) -> None:
    with db.connection_context():
        Delivery.delete().where(Delivery.key == key).execute()


def _record(incident: Incident, change: Change, actor: Actor, now: Any) -> None:
    TimelineEvent.create(
        incident=incident,
        kind=change.field,
        text=describe(change),
        author_id=actor.user_id,
        author_name=actor.name,
        occurred_at=now,
        source=actor.source,
        details={"old": _stored(change.old), "new": _stored(change.new)},
        created_at=now,
    )
    AuditEntry.create(
        incident=incident,
        at=now,
        actor_id=actor.user_id,
        source=actor.source,
        action=change.field,
        old_value=None if change.old is None else str(_stored(change.old)),
        new_value=None if change.new is None else str(_stored(change.new)),
    )


def _apply_status(incident: Incident, status: str, actor: Actor, now: Any) -> None:
    previous = incident.status
    incident.status = status
    milestone = STATUS_MILESTONES.get(status)
    if milestone and getattr(incident, milestone) is None:
        setattr(incident, milestone, now)
    if previous == Status.RESOLVED and status != Status.RESOLVED:
        incident.resolved_at = None
        # The archive it was told of is off: a later resolution announces its own (and
        # may archive a channel people had kept open).
        incident.archive_warned_at = None
        incident.archive_error = None
    StatusChange.create(
        incident=incident,
        from_status=previous,
        status=status,
        changed_at=now,
        changed_by=actor.user_id,
        source=actor.source,
    )


@dataclass(frozen=True)
class Fields:
    """What a change asks for; a field left None stays as it is."""

    status: str | None = None
    severity: int | None = None
    lead: str | None = None
    title: str | None = None
    summary: str | None = None
    impact: str | None = None
    started: dt.datetime | None = None  # when the impact started (aware)

    def checked(self) -> dict[str, Any]:
        """The fields asked for, as they will be stored; ValueError for one that cannot be."""
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(parse_status(self.status))
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        title = None if self.title is None else self.title.strip()
        if title is not None and (not title or title_length(title) > TITLE_MAX_LENGTH):
            raise ValueError(f"A title has 1 to {TITLE_MAX_LENGTH} characters.")
        wanted = {
            "lead": self.lead or None,  # a lead is changed here, never cleared
            "status": self.status,
            "severity": self.severity,
            "title": title,
            "summary": None if self.summary is None else self.summary.strip(),
            "impact": None if self.impact is None else self.impact.strip(),
            "started": None if self.started is None else checked_start(self.started),
        }
        return {name: value for name, value in wanted.items() if value is not None}


def _start_problem(incident: Incident, started: dt.datetime) -> None:
    # Impact that started after the report would make "time to detect" negative: the
    # report came first, so the impact started then at the latest.
    if started > incident.reported_at:
        reported = _plain_time(incident.reported_at)
        raise FieldProblem(
            "started",
            f"The impact started before it was reported ({reported}) or when it was; "
            "pick that time or an earlier one.",
        )


def _stored(raw: Any) -> Any:
    return raw.isoformat() if isinstance(raw, dt.datetime) else raw


def _locked(number: int) -> Incident:
    query = Incident.select().where(Incident.id == number)
    if db.obj.for_update:
        # Two replicas changing one incident take turns; the second sees the first's
        # result, so its old → new is true. (SQLite serialises writers by itself.)
        query = query.for_update()
    incident = query.get_or_none()
    if incident is None:
        raise LookupError(f"no incident {number}")
    return incident


def _apply(incident: Incident, wanted: dict[str, Any], actor: Actor, now: Any) -> list[Change]:
    """Set on `incident` each wanted field that differs; the changes, in the order asked."""
    changes: list[Change] = []
    for name, value in wanted.items():
        attribute = ATTRIBUTES.get(name, name)
        if name == "started":
            _start_problem(incident, value)
        old = getattr(incident, attribute)
        if value == old:
            continue
        changes.append(Change(name, old, value))
        if name == "status":
            _apply_status(incident, value, actor, now)
        else:
            setattr(incident, attribute, value)
        if name == "lead" and value and incident.acknowledged_at is None:
            incident.acknowledged_at = now
    return changes


ATTRIBUTES = {"lead": "lead_id", "started": "started_at"}
# Changing these tells people where the incident stands: it counts as an update for the
# "update due" reminder, as a posted update or note does.
NEWS_FIELDS = frozenset({"status", "summary", "impact"})
NEWS_KINDS = frozenset({Kind.UPDATE, Kind.NOTE})


def change(number: int, actor: Actor, fields: Fields, *, key: str | None = None) -> Outcome:
    """Apply every given field that differs from the stored one, all or nothing."""
    wanted = fields.checked()
    with db.connection_context(), write_transaction():
        claim(key)
        incident = _locked(number)
        now = utcnow()
        changes = _apply(incident, wanted, actor, now)
        if changes:
            incident.updated_at = now
            incident.revision += 1
            if any(c.field in NEWS_FIELDS for c in changes):
                # Telling everyone where it stands is an update, whichever way it is told.
                incident.last_update_at = now
            incident.save()
            for item in changes:
                _record(incident, item, actor, now)
    if changes:
        log.info(
            "incident changed", extra={"incident": number, "fields": [c.field for c in changes]}
        )
    return Outcome(incident, changes, actor.source)


def reopen(number: int, actor: Actor, *, key: str | None = None) -> Outcome:
    current = _get(number)
    if current.status != Status.RESOLVED:
        raise NotAllowed(f"Incident {number} is not resolved; it is {current.status}.")
    return change(number, actor, Fields(status=Status.INVESTIGATING), key=key)


def resolve(number: int, actor: Actor, *, key: str | None = None) -> Outcome:
    current = _get(number)
    if current.status == Status.RESOLVED:
        raise NotAllowed(f"Incident {number} is already resolved.")
    return change(number, actor, Fields(status=Status.RESOLVED), key=key)


def add_entry(
    number: int,
    kind: Kind,
    text: str,
    actor: Actor,
    *,
    key: str | None = None,
    message_ts: str | None = None,
    permalink: str = "",
) -> TimelineEvent:
    """A note or an update: a timeline entry written by a person through the bot."""
    if not text.strip():
        raise ValueError(f"An empty {kind} says nothing; add some text.")
    with db.connection_context(), write_transaction():
        claim(key)
        incident = _get(number)
        now = utcnow()
        entry: TimelineEvent = TimelineEvent.create(
            incident=incident,
            kind=kind,
            text=text.strip(),
            author_id=actor.user_id,
            author_name=actor.name,
            occurred_at=now,
            source=actor.source,
            message_ts=message_ts,
            permalink=permalink,
            created_at=now,
        )
        AuditEntry.create(
            incident=incident,
            at=now,
            actor_id=actor.user_id,
            source=actor.source,
            action=kind,
            new_value=text.strip(),
        )
        if kind in NEWS_KINDS:
            Incident.update(last_update_at=now).where(Incident.id == number).execute()
    return entry


def _get(number: int) -> Incident:
    with db.connection_context():
        incident = Incident.get_or_none(Incident.id == number)
    if incident is None:
        raise LookupError(f"no incident {number}")
    return incident


def update(
    number: int, actor: Actor, fields: Fields, *, key: str | None, message: str = ""
) -> Outcome:
    """The Update form: field changes and the update message, all stored or none."""
    with db.connection_context(), write_transaction():
        outcome = change(number, actor, fields, key=key)
        if message.strip():
            add_entry(number, Kind.UPDATE, message, actor)
    return outcome


def record_rename(
    channel_id: str,
    old: str | None,
    new: str,
    *,
    by: str | None,
    source: Source,
    key: str,
) -> int | None:
    """A rename of the incident's channel, by `by`: the name stored, a timeline entry and an
    audit row, once per `key` (the command's delivery, or the ts of Slack's message about
    it), whichever of Slack's notices of the same rename arrives first."""
    name = new[:80]
    try:
        with db.connection_context(), write_transaction():
            incident = Incident.get_or_none(Incident.channel_id == channel_id)
            if incident is None:
                return None
            claim(key)
            old = old or incident.channel_name
            Incident.update(channel_name=name, revision=Incident.revision + 1).where(
                Incident.id == incident.id
            ).execute()
            now = utcnow()
            TimelineEvent.create(
                incident=incident.id,
                kind=Kind.RENAMED,
                text=f"Channel renamed: #{old} → #{name}" if old else f"Channel named #{name}",
                author_id=by,
                occurred_at=now,
                source=source,
                details={"old": old, "new": name},
                created_at=now,
            )
            AuditEntry.create(
                incident=incident.id,
                at=now,
                actor_id=by,
                source=source,
                action="renamed",
                old_value=old,
                new_value=name,
            )
    except Duplicate:
        return None
    return int(incident.id)
