"""Which reminders are due, claiming one so it is sent exactly once, and snooze / dismiss.

Every replica computes the same due reminders from the same rows; the unique key on
(incident, kind, due_at) decides which one sends each. That holds on PostgreSQL with any
number of replicas and on SQLite too, but a SQLite deployment is one process by design
(one file, one bot), so the PostgreSQL case is the one that matters.

Rules, per open incident and kind:
- no_lead / no_severity: `REMINDER_NO_*_MINUTES` after the declaration if still unset, then
  again after twice the previous wait, at most an hour apart, until set or dismissed.
- update_overdue: every `interval` (by severity) since the last update, or since the
  declaration when there has been none; an update, a note, or a change of status, summary
  or impact starts the count again.
- open_long: open longer than `open_hours`: once per working day, in working hours.
A snooze silences a kind until `snoozed_until`, then it comes back once if still true. A
dismissal silences a kind while its basis holds: until the next update for update_overdue,
for the rest of the incident for the three others. Resolved incidents get nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from peewee import IntegrityError

from bot.domain.reminder_settings import ReminderSettings
from models import Incident, Reminder, db
from models.db import write_transaction
from models.incident import Status
from models.reminder import ReminderKind

log = logging.getLogger(__name__)

NO_LEAD, NO_SEVERITY, UPDATE_OVERDUE, OPEN_LONG = ReminderKind


@dataclass(frozen=True)
class DueReminder:
    """A reminder to send now: what, for which incident, and whom to ask."""

    incident_id: int
    kind: str
    due_at: dt.datetime
    basis: dt.datetime
    channel_id: str
    ask: str  # the user to mention: the lead, or the reporter while there is no lead
    title: str
    severity: int | None
    # The incident's opening message: reminders are threaded under it, out of the way of
    # the conversation (None while it is not known: then posted in the channel).
    thread_ts: str | None
    # How long the thing has been missing (no update since…, open since…), for the text.
    elapsed: dt.timedelta

    @property
    def number(self) -> int:
        return self.incident_id


@dataclass(frozen=True)
class _Situation:
    natural_due: dt.datetime  # the latest moment the reminder became due without snoozes
    basis: dt.datetime


def due(now: dt.datetime, settings: ReminderSettings) -> list[DueReminder]:
    """The reminders to send at `now` (aware), oldest incident first."""
    if not settings.enabled:
        return []
    with db.connection_context():
        incidents = list(
            Incident.select()
            .where(
                Incident.status != Status.RESOLVED,
                Incident.channel_id.is_null(False),
                Incident.channel_archived_at.is_null(),
            )
            .order_by(Incident.id)
        )
        history: dict[tuple[int, str], list[Reminder]] = defaultdict(list)
        if incidents:
            rows = Reminder.select().where(Reminder.incident.in_([i.id for i in incidents]))
            for row in rows:
                history[(row.incident_id, row.kind)].append(row)
    found: list[DueReminder] = []
    for incident in incidents:
        for kind, situation in _situations(incident, now, settings).items():
            due_at = _next_due(situation, history[(incident.id, kind)], now)
            if due_at is None:
                continue
            found.append(
                DueReminder(
                    incident_id=incident.id,
                    kind=kind,
                    due_at=due_at,
                    basis=situation.basis,
                    channel_id=incident.channel_id or "",  # not null, by the query
                    ask=incident.lead_id or incident.reporter_id,
                    title=incident.title,
                    severity=incident.severity,
                    thread_ts=incident.opening_message_ts,
                    elapsed=now - situation.basis,
                )
            )
    return found


def _situations(
    incident: Incident, now: dt.datetime, settings: ReminderSettings
) -> dict[str, _Situation]:
    """The kinds whose condition holds at `now`, with when each became due."""
    reported = incident.reported_at
    found: dict[str, _Situation] = {}
    for kind, missing, minutes in (
        (NO_LEAD, incident.lead_id is None, settings.no_lead_minutes),
        (NO_SEVERITY, incident.severity is None, settings.no_severity_minutes),
    ):
        at = backed_off(reported, dt.timedelta(minutes=minutes), now) if minutes else None
        if missing and at is not None:
            found[kind] = _Situation(at, reported)
    interval = settings.update_interval(incident.severity)
    if interval:
        basis = max(reported, incident.last_update_at or reported)
        periods = (now - basis) // interval
        if periods >= 1:
            found[UPDATE_OVERDUE] = _Situation(basis + periods * interval, basis)
    if (
        settings.open_hours
        and now - reported >= dt.timedelta(hours=settings.open_hours)
        and settings.is_working_time(now)
    ):
        # Today's working-day start identifies today's reminder, whenever it goes out.
        found[OPEN_LONG] = _Situation(settings.day_start(now), reported)
    return found


# The longest wait between two reminders of something still missing (a lead, a severity).
BACKOFF_CAP = dt.timedelta(hours=1)


def backed_off(start: dt.datetime, first: dt.timedelta, now: dt.datetime) -> dt.datetime | None:
    """The latest occurrence at or before `now` of a reminder due `first` after `start` and
    then again after twice the previous wait, never more than BACKOFF_CAP apart (5 min
    first: 5, 15, 35, 75, 135, 195… minutes in); None before the first."""
    at, wait = start + first, first
    if now < at:
        return None
    while at + min(wait * 2, BACKOFF_CAP) <= now:
        wait = min(wait * 2, BACKOFF_CAP)
        at += wait
        if wait == BACKOFF_CAP:
            # Hourly from here: jump straight to the last one before now.
            at += ((now - at) // wait) * wait
            break
    return at


def _next_due(situation: _Situation, rows: list[Reminder], now: dt.datetime) -> dt.datetime | None:
    """The due time of the occurrence to send now, or None (sent, snoozed or dismissed)."""
    if any(r.dismissed_at is not None and r.basis == situation.basis for r in rows):
        return None
    snoozed_until = max((r.snoozed_until for r in rows if r.snoozed_until), default=None)
    if snoozed_until is not None and snoozed_until > now:
        return None
    # A snooze that ran out while the condition still holds is an occurrence of its own.
    candidate = max(situation.natural_due, snoozed_until or situation.natural_due)
    last = max((r.due_at for r in rows), default=None)
    if last is not None and candidate <= last:
        return None
    return candidate


def claim(item: DueReminder, now: dt.datetime, by: str = "") -> Reminder | None:
    """Record the occurrence as ours to send; None when someone else already has it.

    The insert is the claim: on PostgreSQL a second replica inserting the same key waits
    for the first to commit and then fails. It commits before anything is posted, so a
    crash between here and Slack loses that one reminder rather than ever doubling it.
    """
    try:
        with db.connection_context(), write_transaction():
            still_open = (
                Incident.select()
                .where(Incident.id == item.incident_id, Incident.status != Status.RESOLVED)
                .exists()
            )
            if not still_open:
                return None
            row: Reminder = Reminder.create(
                incident=item.incident_id,
                kind=item.kind,
                due_at=item.due_at,
                basis=item.basis,
                claimed_at=now,
                claimed_by=by[:64],
                channel_id=item.channel_id,
            )
    except IntegrityError:
        return None
    return row


def mark_sent(reminder_id: int, message_ts: str, now: dt.datetime) -> None:
    with db.connection_context():
        Reminder.update(sent_at=now, message_ts=message_ts).where(
            Reminder.id == reminder_id
        ).execute()


def mark_failed(reminder_id: int, error: str) -> None:
    """Keep the claim (it is not retried: Slack may have posted before failing)."""
    with db.connection_context():
        Reminder.update(error=error[:64]).where(Reminder.id == reminder_id).execute()


def snooze(reminder_id: int, user_id: str, until: dt.datetime) -> Reminder | None:
    """Snooze a reminder once; None if unknown or already snoozed or dismissed."""
    return _act(reminder_id, snoozed_until=until, snoozed_by=user_id)


def dismiss(reminder_id: int, user_id: str, now: dt.datetime) -> Reminder | None:
    """Dismiss a reminder once; None if unknown or already snoozed or dismissed."""
    return _act(reminder_id, dismissed_at=now, dismissed_by=user_id)


def _act(reminder_id: int, **values: object) -> Reminder | None:
    # The WHERE makes it idempotent: of two clicks (or two replicas) one updates the row,
    # the other finds nothing left to do.
    with db.connection_context(), write_transaction():
        done = (
            Reminder.update(**values)
            .where(
                Reminder.id == reminder_id,
                Reminder.snoozed_until.is_null(),
                Reminder.dismissed_at.is_null(),
            )
            .execute()
        )
        return Reminder.get_by_id(reminder_id) if done else None


def get(reminder_id: int) -> Reminder | None:
    with db.connection_context():
        return Reminder.get_or_none(Reminder.id == reminder_id)
