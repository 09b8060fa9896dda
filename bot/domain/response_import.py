"""A monzo/response incident, with everything that hangs off it, in this bot's terms.

`plan` turns one source incident (its rows from `models.response`, read whole) into the rows
this bot keeps; `store` writes a plan in the caller's transaction, replacing what an earlier
import of the same incident wrote and nothing else. Slack-free: texts stay in the mrkdwn
people wrote, and the fork's sanitising is undone without bringing back any markup that
could ping (`<!here>` and the like are gone from its copies for good).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.domain.lifecycle import Change, describe
from bot.domain.mrkdwn import readable
from bot.domain.reminder_settings import ReminderSettings
from models import (
    AuditEntry,
    ChannelMember,
    FollowUpAction,
    ImportedRow,
    Incident,
    Kind,
    Reminder,
    ReminderKind,
    SlackUser,
    Source,
    Status,
    StatusChange,
    TimelineEvent,
)
from models.bulk import insert_rows
from models.fields import utcnow
from models.incident import TITLE_MAX_LENGTH

TOOL = "response"
# Who claimed the reminders an import marks as already sent.
IMPORTED_BY = "import"
SEVERITY_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4}
PRIORITIES = {"1": "high", "2": "medium", "3": "low"}
CATEGORIES = {"1": "detective", "2": "preventative", "3": "corrective"}
UPDATE_FIELDS = {
    "incident_lead": "lead",
    "incident_report": "title",
    "incident_summary": "summary",
    "incident_impact": "impact",
    "incident_severity": "severity",
}
# Long ago: a person imported is looked up again in Slack the first time the bot needs them.
NEVER_FETCHED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
# What people type that Slack would act on: kept as text, never as a live token.
_LIVE = re.compile(r"<!([^|>]*)(?:\|([^>]*))?>")


def unsanitised(text: str | None) -> str:
    """The fork's bleach-escaped text as it was typed: `&lt;@U1&gt;` → `<@U1>`, `&amp;` → `&`.

    In one pass, so `&amp;lt;` (a typed `&lt;`) comes back as `&lt;`. A broadcast token that
    survived (`<!here>`) is turned back into plain words."""
    plain = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text or "")
    return inert(plain)


Names = dict[str, str]  # Slack user id → the name the fork showed


def words(text: str | None, names: Names) -> str:
    """A field people typed (title, summary, impact, a note, an action) as this bot keeps
    such words: plain text, a mention read as `@name`, a link as `label (url)`. Only
    messages (pins) stay in Slack's markup."""
    return readable(unsanitised(text), lambda user_id: names.get(user_id, ""))


def inert(text: str) -> str:
    """Slack's broadcast and group tokens as the words they show, so nothing imported can
    ping: `<!here>` → `@here`, `<!subteam^S1|@platops>` → `@platops`."""
    return _LIVE.sub(lambda m: m.group(2) or "@" + m.group(1).split("^")[0], text)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """The fork stores naive UTC wall-clock times in timestamptz columns: read as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (as_utc(value) or value).isoformat()  # whatever the session's time zone
    return str(value)


def fingerprint(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=_plain, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    user_id: str
    display_name: str
    full_name: str | None
    email: str | None
    deleted: bool

    @property
    def shown(self) -> str:
        """Their name as the fork showed it; the handle when the fork has no full name."""
        return self.full_name or self.display_name or self.user_id


@dataclass
class Bundle:
    """One source incident and every row that hangs off it, read from the fork."""

    incident: dict[str, Any]
    channel: dict[str, Any] | None = None
    headline: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] = field(default_factory=list)
    pins: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    stats: list[dict[str, Any]] = field(default_factory=list)
    # The incident's snapshots from the event feed, their payloads parsed.
    events: list[dict[str, Any]] = field(default_factory=list)

    def digest(self, announcements: str | None) -> str:
        """What the import takes from the fork (message counts, which it does not take and
        the fork keeps counting, left out), and the setting it was read with."""
        stats = [(s["user_id"], s["join_time"]) for s in self.stats]
        return fingerprint({**self.__dict__, "stats": stats, "announcements": announcements})


@dataclass
class Plan:
    """The rows one incident becomes here."""

    number: int
    incident: dict[str, Any]
    history: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    members: list[dict[str, Any]]
    # The fork's second deliveries of a pin (its timeline event ids), left out.
    duplicates: list[int] = field(default_factory=list)


def _user(people: dict[int, Person], row_id: Any) -> Person | None:
    return people.get(row_id) if isinstance(row_id, int) else None


def _snapshot_id(snapshot: Any) -> str | None:
    """A user snapshot in the fork's metadata or event feed → its Slack id."""
    if isinstance(snapshot, dict) and isinstance(snapshot.get("external_id"), str):
        return snapshot["external_id"]
    return None


def parsed_json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _change_value(name: str, raw: Any, names: Names) -> Any:
    if name == "lead":
        return _snapshot_id(raw)
    if name == "severity":
        number = raw.get("id") if isinstance(raw, dict) else raw
        return SEVERITY_WORDS.get(str(number)) if number is not None else None
    return words(raw, names) if isinstance(raw, str) else None


def _entry(kind: str, at: dt.datetime, text: str, **extra: Any) -> dict[str, Any]:
    """A timeline row with every column set: rows are inserted many at a time, and a batch
    takes its columns from its first row."""
    return {
        "kind": kind,
        "occurred_at": at,
        "text": text,
        "source": Source.IMPORT,
        "created_at": at,
        "message_ts": None,
        "author_id": None,
        "author_name": "",
        "pinned": False,
        "details": None,
        **extra,
    }


def _pin_entries(
    source: Bundle, people: dict[int, Person]
) -> tuple[list[dict[str, Any]], list[int]]:
    """Pinned messages, once each: the raw text the fork kept, else its sanitised copy; and
    the fork's timeline events for a pin it was told of again (Slack delivered pin_added
    twice), which are left out, and said."""
    entries: dict[str, dict[str, Any]] = {}
    delivered: set[str] = set()
    twice: list[int] = []
    for pin in sorted(source.pins, key=lambda p: p["id"]):
        author = _user(people, pin["author_id"])
        entries.setdefault(
            pin["message_ts"],
            _entry(
                Kind.PIN,
                as_utc(pin["timestamp"]) or utcnow(),
                inert(pin["text"] or ""),
                message_ts=pin["message_ts"],
                author_id=author.user_id if author else None,
                author_name=author.shown if author else "",
                pinned=True,
                details={"from": f"{TOOL}:pinnedmessage:{pin['id']}"},
            ),
        )
    for event in source.timeline:
        meta = parsed_json(event["metadata"]) or {}
        ts = meta.get("message_ts") if event["event_type"] == "slack_pin" else None
        if not isinstance(ts, str):
            continue
        if ts in delivered:
            twice.append(int(event["id"]))
        delivered.add(ts)
        if ts in entries:
            continue
        author = meta.get("author")
        snapshot: dict[str, Any] = author if isinstance(author, dict) else {}
        entries[ts] = _entry(
            Kind.PIN,
            as_utc(event["timestamp"]) or utcnow(),
            unsanitised(event["text"]),
            message_ts=ts,
            author_id=_snapshot_id(snapshot),
            author_name=str(snapshot.get("full_name") or snapshot.get("display_name") or ""),
            pinned=True,
            details={"from": _origin(event)},
        )
    return list(entries.values()), twice


def _origin(event: dict[str, Any]) -> str:
    """The source row a timeline entry came from, as its details say."""
    return f"{TOOL}:timelineevent:{event['id']}"


def _update_entries(source: Bundle, names: Names) -> list[dict[str, Any]]:
    entries = []
    for event in source.timeline:
        at = as_utc(event["timestamp"]) or utcnow()
        origin = {"from": _origin(event)}
        if event["event_type"] == "text":
            entries.append(_entry(Kind.NOTE, at, words(event["text"], names), details=origin))
            continue
        if event["event_type"] != "incident_update":
            continue
        meta = parsed_json(event["metadata"]) or {}
        name = UPDATE_FIELDS.get(str(meta.get("update_type")))
        if name is None:
            entries.append(_entry(Kind.NOTE, at, words(event["text"], names), details=origin))
            continue
        change = Change(
            name,
            _change_value(name, meta.get("old_value"), names),
            _change_value(name, meta.get("new_value"), names),
        )
        values = {"old": change.old, "new": change.new, **origin}
        entries.append(_entry(name, at, describe(change), details=values))
    return entries


def _snapshots(source: Bundle) -> list[tuple[dt.datetime, dict[str, Any]]]:
    found = []
    for event in source.events:  # incident snapshots, their payloads parsed by the reader
        found.append((as_utc(event["timestamp"]) or utcnow(), event["payload"]))
    return sorted(found, key=lambda pair: pair[0])


def _history(
    source: Bundle, reporter: str | None, status: str, resolved_at: dt.datetime | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The status history and its timeline lines: declared, then every close and reopen the
    event feed shows (or, without one, the close the incident row shows); channel renames."""
    reported = as_utc(source.incident["report_time"]) or utcnow()
    history = [_status(None, Status.INVESTIGATING, reported, reporter)]
    lines: list[dict[str, Any]] = []
    closed, name = False, None
    snapshots = _snapshots(source)
    for at, payload in snapshots:
        now_closed = bool(payload.get("is_closed"))
        if now_closed != closed:
            old, new = (
                (Status.INVESTIGATING, Status.RESOLVED)
                if now_closed
                else (Status.RESOLVED, Status.INVESTIGATING)
            )
            history.append(_status(old, new, at, None))
            lines.append(_status_line(old, new, at))
            closed = now_closed
        channel = payload.get("comms_channel")
        new_name = channel.get("channel_name") if isinstance(channel, dict) else None
        if isinstance(new_name, str) and name is not None and new_name != name:
            lines.append(_entry(Kind.RENAMED, at, f"Channel renamed: #{name} → #{new_name}"))
        name = new_name if isinstance(new_name, str) else name
    current = (source.channel or {}).get("channel_name")
    if name is not None and isinstance(current, str) and current != name:
        # Renamed in Slack, which the fork's feed does not record: when is not known, so the
        # line goes after the last thing the feed saw (its last snapshot still had the old
        # name).
        at = max(
            [
                reported,
                *(h["changed_at"] for h in history),
                *(e["occurred_at"] for e in lines),
                *(seen for seen, _ in snapshots),
            ]
        )
        lines.append(
            _entry(Kind.RENAMED, at, f"Channel renamed: #{name} → #{current} (time not recorded)")
        )
    final = history[-1]["status"]
    if final == status == Status.RESOLVED and resolved_at is not None:
        # The feed has when the close was saved; the incident's end time is when it ended.
        history[-1]["changed_at"] = resolved_at
        closes = [line for line in lines if line["kind"] == Kind.STATUS]
        if closes:
            closes[-1]["occurred_at"] = closes[-1]["created_at"] = resolved_at
    if final != status:
        at = resolved_at or reported
        history.append(_status(final, status, at, None))
        lines.append(_status_line(final, status, at))
    return history, lines


def _status_line(old: str, new: str, at: dt.datetime) -> dict[str, Any]:
    change = Change("status", old, new)
    return _entry(Kind.STATUS, at, describe(change), details={"old": old, "new": new})


def _status(old: str | None, new: str, at: dt.datetime, by: str | None) -> dict[str, Any]:
    return {
        "from_status": old,
        "status": new,
        "changed_at": at,
        "changed_by": by,
        "source": Source.IMPORT,
    }


def _title(report: str, names: Names) -> str:
    title = words(report, names).strip() or "(untitled)"
    return title if len(title) <= TITLE_MAX_LENGTH else title[: TITLE_MAX_LENGTH - 1] + "…"


def _acknowledged(
    timeline: list[dict[str, Any]], reported: dt.datetime, has_lead: bool
) -> dt.datetime | None:
    """When a lead was first set: at the report if the first lead change replaced one (or
    there is a lead and no change), else at that change."""
    changes = sorted(
        (e for e in timeline if e["kind"] == "lead" and e["details"]),
        key=lambda e: e["occurred_at"],
    )
    if not changes:
        return reported if has_lead else None
    first = changes[0]
    if first["details"].get("old") is not None:
        return reported
    firsts = [e for e in changes if e["details"].get("new") is not None]
    return firsts[0]["occurred_at"] if firsts else None


def plan(source: Bundle, people: dict[int, Person], announcements: str | None) -> Plan:
    """What the source incident becomes here (nothing is written)."""
    row = source.incident
    names = {person.user_id: person.shown for person in people.values()}
    reporter, lead = _user(people, row["reporter_id"]), _user(people, row["lead_id"])
    reported = as_utc(row["report_time"]) or utcnow()
    ended = as_utc(row["end_time"])
    # A report-only incident was never live: kept closed (nothing reminds anyone of it) and
    # marked as a report wherever it is shown.
    closed = ended is not None or row["report_only"]
    status = Status.RESOLVED if closed else Status.INVESTIGATING
    resolved_at = (ended or reported) if closed else None
    channel, headline = source.channel or {}, source.headline or {}
    history, status_lines = _history(
        source, reporter.user_id if reporter else None, status, resolved_at
    )
    pins, duplicates = _pin_entries(source, people)
    timeline = [
        _entry(
            Kind.DECLARED,
            reported,
            f"Incident declared: {_title(row['report'], names)}",
            author_id=reporter.user_id if reporter else None,
            author_name=reporter.shown if reporter else "",
        ),
        *pins,
        *_update_entries(source, names),
        *status_lines,
    ]
    incident = {
        "id": row["id"],
        "title": _title(row["report"], names),
        "summary": words(row["summary"], names).strip(),
        "impact": words(row["impact"], names).strip(),
        "severity": SEVERITY_WORDS.get(str(row["severity"])),
        "status": status,
        "is_private": bool(row["private"]),
        "report_only": bool(row["report_only"]),
        "reporter_id": reporter.user_id if reporter else "",
        "lead_id": lead.user_id if lead else None,
        "reported_at": reported,
        "started_at": as_utc(row["start_time"]),
        "acknowledged_at": _acknowledged(timeline, reported, lead is not None),
        "resolved_at": resolved_at,
        "channel_id": channel.get("channel_id"),
        "channel_name": channel.get("channel_name"),
        "announcement_channel_id": announcements if headline.get("message_ts") else None,
        "announcement_ts": headline.get("message_ts"),
        "imported_from": TOOL,
        "updated_at": max([reported, *(e["occurred_at"] for e in timeline)]),
    }
    return Plan(
        number=row["id"],
        incident=incident,
        history=history,
        timeline=timeline,
        actions=[_action(a, people, names) for a in sorted(source.actions, key=lambda a: a["id"])],
        members=_members(source, people, reported),
        duplicates=duplicates,
    )


def _action(action: dict[str, Any], people: dict[int, Person], names: Names) -> dict[str, Any]:
    owner = _user(people, action["user_id"])
    done_at = as_utc(action["done_date"])
    return {
        "title": words(action["details"], names).strip() or "(no details)",
        "owner_id": owner.user_id if owner else None,
        "created_by": owner.user_id if owner else None,
        "created_at": as_utc(action["created_date"]) or utcnow(),
        "done": bool(action["done"]),
        "done_at": done_at,
        "due_at": as_utc(action["due_date"]),
        "priority": PRIORITIES.get(str(action["priority"])),
        "category": CATEGORIES.get(str(action["type"])),
        "imported_key": f"{TOOL}:action:{action['id']}",
    }


def _members(
    source: Bundle, people: dict[int, Person], reported: dt.datetime
) -> list[dict[str, Any]]:
    channel = (source.channel or {}).get("channel_id")
    if not channel:
        return []
    members = {}
    for stat in source.stats:
        person = _user(people, stat["user_id"])
        if person is not None:
            members[person.user_id] = {
                "channel_id": channel,
                "user_id": person.user_id,
                "joined_at": as_utc(stat["join_time"]) or reported,
            }
    return list(members.values())


class NumberTaken(Exception):
    """An incident declared here already has the source incident's number."""


@dataclass(frozen=True)
class Planned:
    plan: Plan
    digest: str  # the source incident as imported now
    replacing: bool  # an earlier import wrote it


class ChangedHere(Exception):
    """The bot changed an imported incident since (a command, a pin, a follow-up done…):
    its record here wins over the fork's."""


def store(
    batch: list[Planned], *, source_label: str, by: str, reminders: ReminderSettings
) -> dict[int, Outcomes]:
    """Write every plan in `batch` in the caller's transaction, a few statements per table
    for the whole batch. A replaced incident loses what an earlier import wrote, if the bot
    has not touched it since (ChangedHere). NumberTaken if an incident declared here has a
    number. Returns, per incident, what became of its rows (see `compared`)."""
    new = [p.plan.number for p in batch if not p.replacing]
    taken = Incident.select(Incident.id).where(Incident.id.in_(new)) if new else []
    for row in taken:
        raise NumberTaken(row.id)
    now = utcnow()
    before = {p.plan.number: _replace(p, source_label, now) for p in batch if p.replacing}
    insert_rows(Incident, [_live_from(p.plan, now) for p in batch if not p.replacing])
    insert_rows(Reminder, [r for p in batch for r in _reminded(p.plan, now, reminders)])
    held = _held_here([p.plan.number for p in batch])
    timeline = {
        p.plan.number: [e for e in p.plan.timeline if (p.plan.number, e["message_ts"]) not in held]
        for p in batch
    }
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (StatusChange, [{**h, "incident": p.plan.number} for p in batch for h in p.plan.history]),
        (TimelineEvent, [{**e, "incident": n} for n, entries in timeline.items() for e in entries]),
        (FollowUpAction, [{**a, "incident": p.plan.number} for p in batch for a in p.plan.actions]),
        (AuditEntry, [_audit(p, source_label, by, now) for p in batch]),
    ]
    for model, rows in tables:
        insert_rows(model, rows)
    members = [m for p in batch for m in p.plan.members]
    insert_rows(ChannelMember, members, skip_conflicts=True)
    outcomes = {}
    for p in batch:
        number = p.plan.number
        digests = row_digests(timeline[number], p.plan.actions, p.plan.members)
        outcomes[number] = compared(before[number] if p.replacing else {}, digests)
        note = {"written": _written(timeline[number], p.plan.actions), "rows": digests}
        _remember(source_label, "incident", number, number, number, p.digest, json.dumps(note))
    return outcomes


def _replace(planned: Planned, source_label: str, now: dt.datetime) -> RowDigests | None:
    """The incident's row brought up to date, what the last import wrote for it gone; what
    that import noted of its rows (None if it noted none)."""
    number = planned.plan.number
    note = _untouched(number, source_label)
    if note is None:
        raise ChangedHere(number)
    _forget(number)
    fields = {k: v for k, v in _live_from(planned.plan, now).items() if k != "id"}
    Incident.update(**fields).where(Incident.id == number).execute()
    rows = note.get("rows")
    return rows if isinstance(rows, dict) else None


def _untouched(number: int, source_label: str) -> dict[str, Any] | None:
    """What the last import noted of the incident, if the bot has not changed it since;
    None if it has (or no import noted it)."""
    seen = ImportedRow.get_or_none(
        (ImportedRow.source == source_label)
        & (ImportedRow.kind == "incident")
        & (ImportedRow.old_id == str(number))
    )
    note = json.loads(seen.note) if seen is not None and seen.note else None
    if not isinstance(note, dict):
        return None
    # An import before the rows were noted kept the counts alone.
    return note if note.get("written", note) == _as_now(number) else None


# Per kind of row ("timeline entries", "follow-ups", "participants"): the source row each
# came from, and a short digest of what was written for it.
RowDigests = dict[str, dict[str, str]]
# Per kind of row: how many were imported, updated, unchanged (and removed, if any).
Outcomes = dict[str, dict[str, int]]


def row_digests(
    timeline: list[dict[str, Any]], actions: list[dict[str, Any]], members: list[dict[str, Any]]
) -> RowDigests:
    """What an import writes for one incident, row by row, so that the next import can say
    which rows are new, changed or as they were."""
    entries: dict[str, str] = {}
    for entry in timeline:
        # Lines the import makes itself (declared, status, renames) have no source row.
        key = str((entry["details"] or {}).get("from") or f"{entry['kind']}@{entry['occurred_at']}")
        while key in entries:
            key += "+"
        entries[key] = fingerprint(entry)[:16]
    return {
        "timeline entries": entries,
        "follow-ups": {str(a["imported_key"]): fingerprint(a)[:16] for a in actions},
        "participants": {str(m["user_id"]): fingerprint(m)[:16] for m in members},
    }


def compared(before: RowDigests | None, now: RowDigests) -> Outcomes:
    """Each kind's rows as imported, updated or unchanged since `before` (the last import's
    digests; None when it noted none, and then every row counts as updated); rows the
    source no longer has as removed."""
    outcomes = {}
    for kind, rows in now.items():
        counts = {"imported": 0, "updated": 0, "unchanged": 0}
        old = before.get(kind, {}) if before is not None else None
        for key, digest in rows.items():
            if old is None:
                counts["updated"] += 1
            elif key not in old:
                counts["imported"] += 1
            else:
                counts["updated" if old[key] != digest else "unchanged"] += 1
        removed = len(old.keys() - rows.keys()) if old is not None else 0
        if removed:
            counts["removed"] = removed
        outcomes[kind] = counts
    return outcomes


def noted_sizes(note: str | None) -> dict[str, int]:
    """How many rows of each kind the last import wrote for an incident, from its note."""
    parsed = json.loads(note) if note else None
    rows = parsed.get("rows") if isinstance(parsed, dict) else None
    if not isinstance(rows, dict):
        return {}
    return {kind: len(keyed) for kind, keyed in rows.items() if isinstance(keyed, dict)}


def restamp(plan: Plan, *, source_label: str, reminders: ReminderSettings) -> bool:
    """An open incident imported before and not run here since (no change, no reminder of
    the bot's): its reminders count from this import, not an earlier one, so the import
    run at the cut-over is the one the bot's first start goes by. False if the bot has run
    it (its reminders are the bot's now) or it is closed."""
    number = plan.number
    if plan.incident["status"] == Status.RESOLVED:
        return False
    reminded_here = Reminder.select().where(
        (Reminder.incident == number) & (Reminder.claimed_by != IMPORTED_BY)
    )
    if reminded_here.exists() or _untouched(number, source_label) is None:
        return False
    now = utcnow()
    Incident.update(last_update_at=now).where(Incident.id == number).execute()
    Reminder.delete().where(
        (Reminder.incident == number) & (Reminder.claimed_by == IMPORTED_BY)
    ).execute()
    insert_rows(Reminder, _reminded(plan, now, reminders))
    return True


def _written(timeline: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, int]:
    """What an import wrote for an incident, in the terms `_as_now` reads back."""
    return {
        "revision": 0,
        "entries": len(timeline),
        "pinned": sum(1 for e in timeline if e["pinned"]),
        "touched": 0,
        "actions": len(actions),
        "done": sum(1 for a in actions if a["done"]),
    }


def _as_now(number: int) -> dict[str, int]:
    """The same counts, as the incident's rows are now: any difference is the bot's doing."""
    entries = TimelineEvent.select().where(TimelineEvent.incident == number)
    touched = entries.where(
        (TimelineEvent.source != Source.IMPORT.value)
        | TimelineEvent.reacted
        | TimelineEvent.shortcut
        | TimelineEvent.edited_at.is_null(False)
        | TimelineEvent.deleted_at.is_null(False)
    )
    actions = FollowUpAction.select().where(FollowUpAction.incident == number)
    incident = Incident.get_or_none(Incident.id == number)
    return {
        "revision": incident.revision if incident is not None else -1,
        "entries": entries.count(),
        "pinned": entries.where(TimelineEvent.pinned).count(),
        "touched": touched.count(),
        "actions": actions.count(),
        "done": actions.where(FollowUpAction.done).count(),
    }


def _held_here(numbers: list[int]) -> set[tuple[int, str]]:
    """Messages already on these incidents' timelines (the bot's pins since the import):
    the fork's copy of such a pin is not written again."""
    rows = TimelineEvent.select(TimelineEvent.incident, TimelineEvent.message_ts).where(
        TimelineEvent.incident.in_(numbers) & TimelineEvent.message_ts.is_null(False)
    )
    # The raw column (not the related row) beside the foreign key.
    return {(int(row.__data__["incident"]), str(row.message_ts)) for row in rows}


def _live_from(plan: Plan, now: dt.datetime) -> dict[str, Any]:
    """The incident's row; an open one counts its next update from the import, so the bot
    does not greet the cut-over with an "overdue" reminder for every old incident."""
    is_open = plan.incident["status"] != Status.RESOLVED
    return {**plan.incident, "last_update_at": now if is_open else None}


def _reminded(plan: Plan, now: dt.datetime, settings: ReminderSettings) -> list[dict[str, Any]]:
    """For an open incident, the reminders due at the import (no lead, no severity, open
    for long) as if sent then: the fork reminded people already, and the cut-over does not
    greet the team with a reminder for every old incident. Today's open-for-long counts as
    sent even before working hours: the daily one starts on the next working day. No lead
    and no severity count as dismissed: they repeat until settled, and for an incident run
    without one in the fork that would be a reminder an hour for good; the daily open-for-
    long reminder still asks about it."""
    incident = plan.incident
    if incident["status"] == Status.RESOLVED:
        return []
    missing = [
        kind
        for kind, unset in (
            (ReminderKind.NO_LEAD, incident["lead_id"] is None),
            (ReminderKind.NO_SEVERITY, incident["severity"] is None),
            (ReminderKind.OPEN_LONG, True),
        )
        if unset
    ]
    today = max(now, settings.day_start(now))
    return [
        {
            "incident": plan.number,
            "kind": kind,
            "due_at": today if kind == ReminderKind.OPEN_LONG else now,
            "basis": incident["reported_at"],
            "claimed_at": now,
            "claimed_by": IMPORTED_BY,
            "sent_at": now,
            # Every row with the same keys: they go in as one insert.
            "dismissed_at": None if kind == ReminderKind.OPEN_LONG else now,
            "dismissed_by": None if kind == ReminderKind.OPEN_LONG else IMPORTED_BY,
        }
        for kind in missing
    ]


def _audit(planned: Planned, source_label: str, by: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "incident": planned.plan.number,
        "at": now,
        "actor_id": None,
        "source": Source.IMPORT,
        "action": "reimported" if planned.replacing else "imported",
        "old_value": None,
        "new_value": planned.plan.incident["title"],
        "details": {
            "from": TOOL,
            "source": source_label,
            "old_id": planned.plan.number,
            "by": by,
        },
    }


def _remember(
    source_label: str,
    kind: str,
    old_id: object,
    incident: int | None,
    new_id: object,
    digest: str,
    note: str | None = None,
) -> None:
    """That the source row `old_id` of `kind` is `new_id` here, as it looked (`digest`);
    `note`: what the import wrote for it."""
    values = {
        "incident_id": incident,
        "new_id": str(new_id),
        "fingerprint": digest,
        "imported_at": utcnow(),
        "note": note,
    }
    ImportedRow.insert(source=source_label, kind=kind, old_id=str(old_id), **values).on_conflict(
        conflict_target=[ImportedRow.source, ImportedRow.kind, ImportedRow.old_id],
        update=values,
    ).execute()


def _forget(number: int) -> None:
    """What an earlier import of this incident wrote, gone (what the bot added stays)."""
    imported = Source.IMPORT.value
    TimelineEvent.delete().where(
        (TimelineEvent.incident == number) & (TimelineEvent.source == imported)
    ).execute()
    StatusChange.delete().where(
        (StatusChange.incident == number) & (StatusChange.source == imported)
    ).execute()
    FollowUpAction.delete().where(
        (FollowUpAction.incident == number) & FollowUpAction.imported_key.is_null(False)
    ).execute()
    Reminder.delete().where(
        (Reminder.incident == number) & (Reminder.claimed_by == IMPORTED_BY)
    ).execute()


def store_person(person: Person, *, source_label: str) -> str:
    """'imported', 'updated', 'unchanged' or 'known' (Slack told the bot of them already,
    and Slack is fresher than the fork)."""
    digest = fingerprint(person.__dict__)
    seen = ImportedRow.get_or_none(
        (ImportedRow.source == source_label)
        & (ImportedRow.kind == "person")
        & (ImportedRow.old_id == person.user_id)
    )
    if seen is not None and seen.fingerprint == digest:
        return "unchanged"
    existing = SlackUser.get_or_none(SlackUser.user_id == person.user_id)
    if existing is not None and (seen is None or existing.fetched_at > NEVER_FETCHED):
        return "known"  # Slack has told the bot of them since: fresher than the fork
    values = {
        "name": person.display_name,
        "real_name": person.full_name or "",
        "display_name": person.display_name,
        "email": person.email.lower() if person.email else None,
        "is_deleted": person.deleted,
        "fetched_at": NEVER_FETCHED,
    }
    if existing is None:
        SlackUser.insert(user_id=person.user_id, **values).execute()
    else:
        SlackUser.update(**values).where(SlackUser.user_id == person.user_id).execute()
    _remember(source_label, "person", person.user_id, None, person.user_id, digest)
    return "imported" if seen is None else "updated"
