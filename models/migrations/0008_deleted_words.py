"""A message deleted in Slack keeps no words here. Entries marked deleted before this
release lose their text and files; the audit rows of timeline edits and deletions lose the
texts they held (they say who and when, not what). The audit is append-only: its trigger is
lifted for this one statement, inside the migration's transaction, and put back."""

from peewee import PostgresqlDatabase

_SCRUB_AUDIT = (
    "UPDATE audit_entry SET old_value = NULL, new_value = NULL "
    "WHERE action IN ('timeline_edit', 'timeline_delete') "
    "AND (old_value IS NOT NULL OR new_value IS NOT NULL)"
)


def up(migrator, db):
    db.execute_sql(
        "UPDATE timeline_event SET text = '', files = '[]' "
        "WHERE deleted_at IS NOT NULL AND (text <> '' OR files <> '[]')"
    )
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
        db.execute_sql(_SCRUB_AUDIT)
        db.execute_sql("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")
    else:
        db.execute_sql("DROP TRIGGER audit_entry_no_update")
        db.execute_sql(_SCRUB_AUDIT)
        db.execute_sql(
            "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END"
        )


def down(migrator, db):
    """Nothing to undo: the words are gone, which is the point."""
