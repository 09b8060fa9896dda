"""`incident-bot import-response`: a monzo/response database into this bot's, again and
again until the cut-over.

The source is opened read-only. People first, then incidents in batches, each batch one
transaction: an interrupted run keeps every batch it finished, and the next run finds those
unchanged. Within a batch an incident that cannot be stored is retried alone, so one bad
incident costs only itself.
"""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from peewee import DatabaseError

from bot.domain import response_import as mapping
from bot.domain.response_import import Bundle, ChangedHere, NumberTaken, Person, Planned
from models import ImportedRow, db
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
        out = ["Dry run: nothing was imported." if self.dry_run else "Import finished."]
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


def run_import(
    source_url: str,
    *,
    dry_run: bool = False,
    announcements_channel: str | None = None,
    progress: Callable[[int, int], None] | None = None,
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
    label = mapping.TOOL  # the tool, whatever the database is called: a copy is the same source
    if announcements_channel is None and any((b.headline or {}).get("message_ts") for b in bundles):
        report.warnings.append(
            "INCIDENTS_CHANNEL is not set, so the fork's headline posts are not linked as "
            "announcements; set it to the incidents channel's id and run the import again"
        )
    with db.connection_context():
        _write(people, bundles, label, report, announcements_channel, progress, dry_run)
    return report


def _write(
    people: dict[int, Person],
    bundles: list[Bundle],
    label: str,
    report: Report,
    announcements: str | None,
    progress: Callable[[int, int], None] | None,
    dry_run: bool,
) -> None:
    # A dry run is one transaction rolled back at the end: the same work, the same report.
    with write_transaction() if dry_run else contextlib.nullcontext() as outer:
        _people_in(people, label, report)
        known = _known(label)
        for start in range(0, len(bundles), BATCH):
            _batch(bundles[start : start + BATCH], people, label, known, report, announcements)
            if outer is None:
                # After every batch: an interrupted import leaves numbering right too.
                _continue_numbering()
            if progress is not None:
                progress(min(start + BATCH, len(bundles)), len(bundles))
        if outer is not None:
            outer.rollback()


def _people_in(people: dict[int, Person], label: str, report: Report) -> None:
    unique = {person.user_id: person for person in people.values()}
    with write_transaction():
        for person in unique.values():
            outcome = mapping.store_person(person, source_label=label)
            report.count("people", "unchanged" if outcome == "known" else outcome)


def _batch(
    bundles: list[Bundle],
    people: dict[int, Person],
    label: str,
    known: dict[int, Known],
    report: Report,
    announcements: str | None,
) -> None:
    planned: list[Planned] = []
    for bundle in bundles:
        number, digest = bundle.incident["id"], bundle.digest(announcements)
        seen = known.get(number)
        if seen is not None and seen.digest == digest:
            report.unchanged(seen.sizes)
            continue
        replacing = number in known
        try:
            plan = mapping.plan(bundle, people, announcements)
        except (KeyError, TypeError, ValueError) as error:
            report.failed.append({"kind": "incidents", "id": number, "error": repr(error)[:300]})
            continue
        planned.append(Planned(plan, digest, replacing))
    if not planned:
        return
    try:
        with write_transaction():
            stored = mapping.store(planned, source_label=label, by=who_runs_it())
    except (DatabaseError, NumberTaken, ChangedHere, ValueError):
        # One at a time, each in its own transaction: the one that fails costs only itself.
        stored = {}
        for p in planned:
            stored.update(_alone(p, label, report))
    for p in planned:
        if p.plan.number in stored:
            known[p.plan.number] = _stored(p, stored[p.plan.number], report)


def _stored(planned: Planned, outcomes: mapping.Outcomes, report: Report) -> Known:
    """Counts one incident written in the report; what the next batch knows of it."""
    report.count("incidents", "updated" if planned.replacing else "imported")
    for kind, counts in outcomes.items():
        for outcome, n in counts.items():
            report.count(kind, outcome, n)
    sizes = {k: sum(n for o, n in c.items() if o != "removed") for k, c in outcomes.items()}
    return Known(planned.digest, sizes)


def _alone(planned: Planned, label: str, report: Report) -> dict[int, mapping.Outcomes]:
    number = planned.plan.number
    try:
        with write_transaction():
            return mapping.store([planned], source_label=label, by=who_runs_it())
    except NumberTaken:
        report.skip("incidents", number, "an incident declared here already has this number")
    except ChangedHere:
        # Run by this bot since the import: the bot's record wins over the fork's.
        report.skip("incidents", number, "changed here since it was imported; kept as it is")
    except (DatabaseError, ValueError) as error:
        report.failed.append({"kind": "incidents", "id": number, "error": str(error)[:300]})
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
