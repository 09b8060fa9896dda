"""`incident-bot import-response`: a monzo/response database into this bot's, again and
again until the cut-over.

The source is opened read-only. People first, then incidents in batches, each batch one
transaction: an interrupted run keeps every batch it finished, and the next run finds those
unchanged. Within a batch an incident that cannot be stored is retried alone, so one bad
incident costs only itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlparse

from peewee import DatabaseError

from bot.domain import response_import as mapping
from bot.domain.reminder_settings import ReminderSettings
from bot.domain.response_import import Bundle, ChangedHere, NumberTaken, Person, Planned
from models import ImportedRow, db, init_database, migrate, pending_migrations
from models import response as source_tables
from models.db import write_transaction

BATCH = 100


class ImportProblem(Exception):
    """The import cannot start; says why, in words for the person running it."""


@dataclass
class Report:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        row = self.counts.setdefault(
            kind, {"imported": 0, "updated": 0, "unchanged": 0, "skipped": 0}
        )
        row[outcome] = row.get(outcome, 0) + n

    def unchanged(self, sizes: dict[str, int]) -> None:
        """An incident as the last import left it, and each kind of its rows."""
        self.count("incidents", "unchanged")
        for kind, size in sizes.items():
            self.count(kind, "unchanged", size)

    def fail(self, kind: str, old_id: object, error: str) -> None:
        # The database's own words, on one line (PostgreSQL adds DETAIL lines).
        first = " ".join(error.split()) if error else "failed"
        self.failed.append({"kind": kind, "id": old_id, "error": first[:300]})

    def skip(self, kind: str, old_id: object, reason: str) -> None:
        self.count(kind, "skipped")
        self.skipped.append({"kind": kind, "id": old_id, "reason": reason})

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts,
            "skipped": self.skipped,
            "failed": self.failed,
            "warnings": self.warnings,
        }

    def lines(self) -> list[str]:
        out = [
            "Dry run: nothing was written; what the import would do:"
            if self.dry_run
            else "Import finished."
        ]
        for kind, row in self.counts.items():
            out.append(f"  {kind}: " + ", ".join(f"{n} {word}" for word, n in row.items()))
        out += [f"  skipped {s['kind']} {s['id']}: {s['reason']}" for s in self.skipped]
        out += [f"  FAILED {f['kind']} {f['id']}: {f['error']}" for f in self.failed]
        out += [f"  note: {warning}" for warning in self.warnings]
        return out


def _rows(model: Any) -> list[dict[str, Any]]:
    return list(model.select().order_by(model.id).dicts())


def _people(users: Iterable[dict[str, Any]]) -> dict[int, Person]:
    """By the fork's row id. Two rows may share a Slack id (the fork does not stop it): the
    newest row speaks for the person."""
    by_slack: dict[str, Person] = {}
    by_row: dict[int, str] = {}
    for user in sorted(users, key=lambda u: u["id"]):
        person = Person(
            user_id=user["external_id"],
            display_name=user["display_name"] or "",
            full_name=user["full_name"],
            email=user["email"],
            deleted=bool(user["deleted"]),
        )
        by_slack[person.user_id] = person
        by_row[user["id"]] = person.user_id
    return {row: by_slack[slack_id] for row, slack_id in by_row.items()}


def read_source() -> tuple[dict[int, Person], list[Bundle]]:
    """Every row the import needs, grouped by incident."""
    people = _people(_rows(source_tables.RUser))
    bundles = {row["id"]: Bundle(incident=row) for row in _rows(source_tables.RIncident)}
    for row in _rows(source_tables.RChannel):
        if row["incident_id"] in bundles:
            bundles[row["incident_id"]].channel = row
    for row in _rows(source_tables.RHeadline):
        bundle = bundles.get(row["incident_id"])
        if bundle is not None and bundle.headline is None:
            bundle.headline = row
    grouped: list[tuple[Any, str]] = [
        (source_tables.RTimeline, "timeline"),
        (source_tables.RPin, "pins"),
        (source_tables.RAction, "actions"),
        (source_tables.RUserStats, "stats"),
    ]
    for model, name in grouped:
        for row in _rows(model):
            bundle = bundles.get(row["incident_id"])
            if bundle is not None:
                getattr(bundle, name).append(row)
    for row in _rows(source_tables.REvent):
        # Parsed once, here: the incident it is about decides where it goes.
        payload = mapping.parsed_json(row["payload"])
        number = payload.get("id") if isinstance(payload, dict) else None
        if row["event_type"] == "incident_event" and isinstance(number, int) and number in bundles:
            bundles[number].events.append({**row, "payload": payload})
    return people, list(bundles.values())


@dataclass
class Known:
    """An incident an earlier import wrote: the source as it was then, and how many rows of
    each kind it wrote."""

    digest: str
    sizes: dict[str, int]


def _known(label: str) -> dict[int, Known]:
    rows = ImportedRow.select(ImportedRow.old_id, ImportedRow.fingerprint, ImportedRow.note).where(
        (ImportedRow.source == label) & (ImportedRow.kind == "incident")
    )
    return {int(row.old_id): Known(row.fingerprint, mapping.noted_sizes(row.note)) for row in rows}


def prepare_target(target_url: str, source_url: str, *, dry_run: bool) -> None:
    """Point the models at DATABASE_URL, checked and migrated (as `migrate` does); an
    ImportProblem when it is the source, a response database, or (for a dry run, which
    writes nothing, not even the schema) not migrated."""
    target, source = urlparse(target_url), urlparse(source_url)
    if (target.hostname, target.port, target.path) == (source.hostname, source.port, source.path):
        raise ImportProblem(
            "DATABASE_URL and --from name the same database; DATABASE_URL is this bot's "
            "database, which the import writes into"
        )
    try:
        database = init_database(target_url)
        with database.connection_context():
            if database.table_exists(source_tables.RIncident._meta.table_name):
                raise ImportProblem(
                    "DATABASE_URL is a response database (it has response_incident); point "
                    "it at this bot's database: the import only reads response's"
                )
        pending = pending_migrations(database)
        if pending and dry_run:
            raise ImportProblem(
                f"DATABASE_URL is not migrated ({', '.join(pending)} pending); a dry run "
                "writes nothing, not even the schema: run incident-bot migrate first"
            )
        migrate(database)
    except DatabaseError as error:
        raise ImportProblem(f"cannot use DATABASE_URL: {error}".strip()) from error


def run_import(
    source_url: str,
    *,
    dry_run: bool = False,
    announcements_channel: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    reminders: ReminderSettings | None = None,
) -> Report:
    """Import into the database `models.db` points at (migrated already)."""
    report = Report(dry_run=dry_run)
    try:
        source_tables.open_source(source_url)
    except DatabaseError as error:
        raise ImportProblem(f"cannot read the source database: {error}".strip()) from error
    try:
        missing = source_tables.missing_columns()
        if missing:
            raise ImportProblem(
                "the source is not a response database; it lacks " + ", ".join(missing)
            )
        # One snapshot of a fork that may still be running: an incident with all its rows.
        with source_tables.source_db.atomic():
            source_tables.source_db.execute_sql(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
            )
            people, bundles = read_source()
    except DatabaseError as error:
        raise ImportProblem(f"cannot read the source database: {error}".strip()) from error
    finally:
        source_tables.source_db.close()
    if announcements_channel is None and any((b.headline or {}).get("message_ts") for b in bundles):
        report.warnings.append(
            "INCIDENTS_CHANNEL is not set, so the fork's headline posts are not linked as "
            "announcements; set it to the incidents channel's id and run the import again"
        )
    report.warnings += _shared_channels(bundles) + _long_open(bundles)
    run = _Run(
        people=people,
        # The tool, whatever the database is called: a copy is the same source.
        label=mapping.TOOL,
        announcements=announcements_channel,
        reminders=reminders or ReminderSettings(),
        report=report,
        by=who_runs_it(),
    )
    with db.connection_context():
        _write(run, bundles, progress, dry_run)
    return report


def _shared_channels(bundles: list[Bundle]) -> list[str]:
    """response can give two incidents one Slack channel (it reuses a channel whose name is
    taken); here a channel belongs to one incident. The open one keeps it, else the newest;
    the others come across without it, and the report says so."""
    holders: dict[str, list[Bundle]] = {}
    for bundle in bundles:
        channel = (bundle.channel or {}).get("channel_id")
        if channel:
            holders.setdefault(channel, []).append(bundle)
    said = []
    for channel, sharing in holders.items():
        if len(sharing) < 2:
            continue
        keeper = max(sharing, key=lambda b: (_is_open(b), b.incident["id"]))
        others = [b for b in sharing if b is not keeper]
        for bundle in others:
            bundle.channel = None
        numbers = ", ".join(str(n) for n in sorted(b.incident["id"] for b in sharing))
        said.append(
            f"Slack channel {channel} was the channel of incidents {numbers} in response; "
            f"incident {keeper.incident['id']} keeps it "
            + ("(it is open)" if _is_open(keeper) else "(the newest)")
            + ", the others come across without a channel"
        )
    return said


def _is_open(bundle: Bundle) -> bool:
    return bundle.incident["end_time"] is None and not bundle.incident["report_only"]


LONG_OPEN = dt.timedelta(days=30)


def _long_open(bundles: list[Bundle]) -> list[str]:
    """Incidents left open in response for long: here they are reminded of every working
    day until someone resolves them, so the team hears of them now."""
    now = dt.datetime.now(dt.UTC)
    stale = []
    for bundle in bundles:
        reported = mapping.as_utc(bundle.incident["report_time"])
        if _is_open(bundle) and reported is not None and now - reported > LONG_OPEN:
            stale.append(f"{bundle.incident['id']} (since {reported:%Y-%m-%d})")
    if not stale:
        return []
    return [
        "incidents open in response for more than 30 days: " + ", ".join(stale) + "; here "
        "the bot reminds their channels every working day until they are resolved, so "
        "resolve the ones that are over (in response before the final import, or here)"
    ]


@dataclass
class _Run:
    """One import: what it reads with, what it writes with, and what it reports."""

    people: dict[int, Person]
    label: str
    announcements: str | None
    reminders: ReminderSettings
    report: Report
    by: str
    known: dict[int, Known] = field(default_factory=dict)

    def store(self, planned: list[Planned]) -> dict[int, mapping.Outcomes]:
        return mapping.store(planned, source_label=self.label, by=self.by, reminders=self.reminders)


def _write(
    run: _Run,
    bundles: list[Bundle],
    progress: Callable[[int, int], None] | None,
    dry_run: bool,
) -> None:
    # A dry run is one transaction rolled back at the end: the same work, the same report.
    with write_transaction() if dry_run else contextlib.nullcontext() as outer:
        _people_in(run)
        run.known = _known(run.label)
        restamped = 0
        for start in range(0, len(bundles), BATCH):
            restamped += _batch(run, bundles[start : start + BATCH])
            if outer is None:
                # After every batch: an interrupted import leaves numbering right too.
                _continue_numbering()
            if progress is not None:
                progress(min(start + BATCH, len(bundles)), len(bundles))
        if restamped:
            run.report.warnings.append(
                f"the reminders of {restamped} open incidents imported before count from "
                "this import now (the bot has not run them yet)"
            )
        if outer is not None:
            outer.rollback()


def _people_in(run: _Run) -> None:
    unique = {person.user_id: person for person in run.people.values()}
    with write_transaction():
        for person in unique.values():
            outcome = mapping.store_person(person, source_label=run.label)
            run.report.count("people", "unchanged" if outcome == "known" else outcome)


def _batch(run: _Run, bundles: list[Bundle]) -> int:
    """Write one batch of incidents; how many unchanged open ones had their reminders
    counted from this import."""
    planned: list[Planned] = []
    still_open: list[Bundle] = []
    for bundle in bundles:
        number, digest = bundle.incident["id"], bundle.digest(run.announcements)
        seen = run.known.get(number)
        if seen is not None and seen.digest == digest:
            run.report.unchanged(seen.sizes)
            if _is_open(bundle):
                still_open.append(bundle)
            continue
        try:
            plan = mapping.plan(bundle, run.people, run.announcements)
        except (KeyError, TypeError, ValueError) as error:
            run.report.fail("incidents", number, repr(error))
            continue
        planned.append(Planned(plan, digest, number in run.known))
        _left_out(run.report, plan)
    if planned:
        try:
            with write_transaction():
                stored = run.store(planned)
        except (DatabaseError, NumberTaken, ChangedHere, ValueError):
            # One at a time, each in its own transaction: the one that fails costs only itself.
            stored = {}
            for p in planned:
                stored.update(_alone(run, p))
        for p in planned:
            if p.plan.number in stored:
                run.known[p.plan.number] = _stored(p, stored[p.plan.number], run.report)
    return _restamp(run, still_open)


def _left_out(report: Report, plan: mapping.Plan) -> None:
    for event in plan.duplicates:
        report.skip(
            "timeline entries",
            f"timelineevent {event}",
            f"a second delivery of a pin already on incident {plan.number}'s timeline",
        )


def _restamp(run: _Run, bundles: list[Bundle]) -> int:
    if not bundles:
        return 0
    with write_transaction():
        return sum(
            mapping.restamp(
                mapping.plan(b, run.people, run.announcements),
                source_label=run.label,
                reminders=run.reminders,
            )
            for b in bundles
        )


def _stored(planned: Planned, outcomes: mapping.Outcomes, report: Report) -> Known:
    """Counts one incident written in the report; what the next batch knows of it."""
    report.count("incidents", "updated" if planned.replacing else "imported")
    for kind, counts in outcomes.items():
        for outcome, n in counts.items():
            report.count(kind, outcome, n)
    sizes = {k: sum(n for o, n in c.items() if o != "removed") for k, c in outcomes.items()}
    return Known(planned.digest, sizes)


def _alone(run: _Run, planned: Planned) -> dict[int, mapping.Outcomes]:
    number = planned.plan.number
    try:
        with write_transaction():
            return run.store([planned])
    except NumberTaken:
        run.report.skip("incidents", number, "an incident declared here already has this number")
    except ChangedHere:
        # Run by this bot since the import: the bot's record wins over the fork's.
        run.report.skip("incidents", number, "changed here since it was imported; kept as it is")
    except (DatabaseError, ValueError) as error:
        run.report.fail("incidents", number, str(error))
    return {}


def _continue_numbering() -> None:
    """Incidents declared after the import continue after the highest number. SQLite does
    so by itself (max + 1); PostgreSQL's sequence is moved past the imported numbers."""
    if db.obj.for_update:  # PostgreSQL
        db.execute_sql(
            "SELECT setval(pg_get_serial_sequence('incident', 'id'), "
            "GREATEST((SELECT COALESCE(MAX(id), 0) FROM incident), 1))"
        )


def who_runs_it() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def printer(stream: TextIO = sys.stderr) -> Callable[[int, int], None]:
    """Progress: a bar on a terminal, plain lines (one per batch) otherwise."""
    if stream.isatty():
        return _bar(stream)

    def show(done: int, total: int) -> None:
        print(f"incidents: {done}/{total}", file=stream, flush=True)

    return show


def _bar(stream: TextIO) -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar: tqdm[Any] | None = None

    def show(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=" incidents", file=stream, desc="Importing")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return show
