"""incident-bot migrate: idempotent, ordered, safe to run twice at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from bot.cli import main
from models import Incident, init_database, migrate
from models.db import make_database

ALL_MIGRATIONS = [
    "0001_initial",
    "0002_lifecycle",
    "0003_reminders",
    "0004_channel_members",
    "0005_slack_user_email",
    "0006_slack_state",
    "0007_imports",
    "0008_deleted_words",
    "0009_follow_up_tickets",
    "0010_search",
    "0011_removed_entries",
]


def test_migrate_twice_in_a_row_applies_nothing_the_second_time(database_url: str) -> None:
    database = init_database(database_url)
    assert migrate(database) == []  # the fixture already migrated it
    assert main(["migrate"], env={"DATABASE_URL": database_url}) == 0
    assert main(["migrate"], env={"DATABASE_URL": database_url}) == 0
    with database.connection_context():
        names = [row[0] for row in database.execute_sql("SELECT name FROM schema_migration")]
    assert names == ALL_MIGRATIONS


def test_migrate_keeps_existing_rows(database) -> None:
    with database.connection_context():
        Incident.create(title="Existing", reporter_id="U1")
    assert migrate(database) == []
    with database.connection_context():
        assert [i.title for i in Incident.select()] == ["Existing"]


def test_migrate_creates_schema_on_a_fresh_sqlite_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["migrate"], env={"DATABASE_URL": url}) == 0
    database = init_database(url)
    with database.connection_context():
        assert set(database.get_tables()) >= {
            "incident",
            "timeline_event",
            "slack_user",
            "schema_migration",
        }


def test_two_migrations_at_once_apply_each_step_once(tmp_path, request) -> None:
    """Two pods starting together both run `migrate`; one applies, the other finds it done."""
    urls = [f"sqlite:///{tmp_path / 'race.db'}"]
    try:
        urls.append(request.getfixturevalue("postgres_url"))
    except pytest.skip.Exception:
        pass
    for url in urls:
        databases = [make_database(url) for _ in range(2)]
        if "postgres" in url:
            with databases[0].connection_context():
                databases[0].execute_sql(
                    "DROP TABLE channel_member, reminder, timeline_event, status_change, "
                    "follow_up_action, audit_entry, delivery, slack_user, incident, "
                    "schema_migration"
                )
        results: list[list[str]] = []
        barrier = threading.Barrier(2)

        def run(database, barrier: threading.Barrier, results: list[list[str]]) -> None:
            barrier.wait()
            results.append(migrate(database))

        threads = [threading.Thread(target=run, args=(d, barrier, results)) for d in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results) == [[], ALL_MIGRATIONS], url
        for database in databases:
            if hasattr(database, "close_all"):
                database.close_all()


def test_timestamps_come_back_aware_utc(database) -> None:
    moment = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with database.connection_context():
        incident = Incident.create(title="t", reporter_id="U1", reported_at=moment)
        stored = Incident.get_by_id(incident.id).reported_at
    assert stored == moment
    assert stored.tzinfo == dt.UTC
    assert stored.hour == 23


def test_naive_datetimes_are_refused(database) -> None:
    with database.connection_context(), pytest.raises(ValueError, match="naive"):
        Incident.create(title="t", reporter_id="U1", reported_at=dt.datetime(2026, 1, 1))


def test_upgrade_from_0001_keeps_pins_and_marks_them_pinned(tmp_path) -> None:
    """An existing database at 0001 with a pinned entry upgrades without losing it."""
    from playhouse.migrations import Runner

    from models import TimelineEvent
    from models.db import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'old.db'}"
    database = init_database(url)
    with database.connection_context():
        Runner(database, str(MIGRATIONS_DIR), table_name="schema_migration").up("0001_initial")
        database.execute_sql(
            "INSERT INTO incident (title, summary, impact, status, is_private, reporter_id, "
            "reported_at, updated_at) VALUES ('old', '', '', 'investigating', 0, 'U1', "
            "'2025-01-01 10:00:00', '2025-01-01 10:00:00')"
        )
        database.execute_sql(
            "INSERT INTO timeline_event (incident_id, kind, message_ts, text, author_name, "
            "occurred_at, permalink, files, created_at) VALUES (1, 'pin', '1.2', 'kept', 'bob', "
            "'2025-01-01 10:05:00', '', '[]', '2025-01-01 10:06:00')"
        )
    assert migrate(database) == ALL_MIGRATIONS[1:]
    with database.connection_context():
        entry = TimelineEvent.get()
        incident = Incident.get()
    assert (entry.text, entry.pinned, entry.reacted) == ("kept", True, False)
    with database.connection_context():
        # 0010 filled the search index from what was there already.
        hits = database.execute_sql(
            "SELECT rowid FROM timeline_fts WHERE timeline_fts MATCH 'kept'"
        )
        assert [row[0] for row in hits] == [entry.id]
        titled = database.execute_sql(
            "SELECT rowid FROM incident_fts WHERE incident_fts MATCH 'old'"
        )
        assert [row[0] for row in titled] == [incident.id]
    assert incident.resolved_at is None and incident.reported_at.year == 2025


def test_audit_entries_cannot_be_changed_or_deleted(database) -> None:
    from peewee import DatabaseError

    from models import AuditEntry

    with database.connection_context():
        incident = Incident.create(title="t", reporter_id="U1")
        AuditEntry.create(
            incident=incident,
            source="command",
            action="status",
            old_value="investigating",
            new_value="identified",
        )
    for change in (AuditEntry.update(new_value="resolved"), AuditEntry.delete()):
        with database.connection_context(), pytest.raises(DatabaseError, match="append-only"):
            with database.atomic():
                change.execute()
    with database.connection_context():
        assert AuditEntry.get().new_value == "identified"


def test_the_words_of_messages_deleted_before_the_upgrade_leave_the_database(database) -> None:
    """0008 on a database an earlier release wrote: a deleted entry still held its text, and
    the audit the texts an edit replaced and a deletion removed."""
    import importlib

    from peewee import DatabaseError

    from models import AuditEntry, TimelineEvent

    when = dt.datetime(2025, 1, 1, 10, 0, tzinfo=dt.UTC)
    with database.connection_context():
        incident = Incident.create(title="t", reporter_id="U1")
        gone = TimelineEvent.create(
            incident=incident,
            message_ts="1.1",
            text="password hunter2",
            files=[{"name": "hunter2.png", "url": ""}],
            occurred_at=when,
            deleted_at=when,
        )
        kept = TimelineEvent.create(
            incident=incident, message_ts="1.2", text="kept", occurred_at=when
        )
        for action, old, new in (
            ("timeline_edit", "password hunter2", "password (removed)"),
            ("timeline_delete", "password (removed)", None),
            ("status", "investigating", "identified"),
        ):
            AuditEntry.create(
                incident=incident, source="slack", action=action, old_value=old, new_value=new
            )
    step = importlib.import_module("models.migrations.0008_deleted_words")
    with database.connection_context(), database.atomic():
        step.up(None, database)
    with database.connection_context():
        assert (TimelineEvent.get_by_id(gone.id).text, TimelineEvent.get_by_id(gone.id).files) == (
            "",
            [],
        )
        assert TimelineEvent.get_by_id(kept.id).text == "kept"
        values = [
            (a.action, a.old_value, a.new_value)
            for a in AuditEntry.select().order_by(AuditEntry.id)
        ]
    assert values == [
        ("timeline_edit", None, None),
        ("timeline_delete", None, None),
        ("status", "investigating", "identified"),
    ]
    # The audit is append-only again afterwards.
    with database.connection_context(), pytest.raises(DatabaseError, match="append-only"):
        with database.atomic():
            AuditEntry.update(new_value="resolved").execute()
