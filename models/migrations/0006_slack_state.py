"""What keeping Slack in step needs: a revision per incident (the newest render wins), the
claims that open a channel and archive it exactly once, the last problem opening it, who a
Slack user is (their organisation, deactivated, guest) for deciding who may act, and the
message a declare form was opened from, kept whole while the form is open."""

from peewee import CharField, DateTimeField, Model, TextField

# NOT NULL columns are added with their default in one ALTER TABLE, which both databases
# accept. (Peewee's SQLite migrator would rebuild the table instead, and dropping the old
# incident table inside the migration's transaction deletes every row that refers to it.)
_NOT_NULL = (
    ("incident", "revision", "INTEGER NOT NULL DEFAULT 0"),
    ("slack_user", "is_deleted", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("slack_user", "is_guest", "BOOLEAN NOT NULL DEFAULT FALSE"),
)


def up(migrator, db):
    for table, column, kind in _NOT_NULL:
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
    migrator.migrate(
        migrator.add_column("incident", "opening_claimed_at", DateTimeField(null=True)),
        migrator.add_column("incident", "open_problem", TextField(null=True)),
        migrator.add_column("incident", "archive_claimed_at", DateTimeField(null=True)),
        migrator.add_column("incident", "archive_error", CharField(max_length=64, null=True)),
        migrator.add_column("slack_user", "team_id", CharField(max_length=32, null=True)),
    )

    class DraftSource(Model):  # a frozen copy, as in 0001
        view_id = CharField(max_length=32, primary_key=True)
        source = TextField()
        created_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "draft_source"

    db.create_tables([DraftSource])


_ADDED = (
    *((table, column) for table, column, _kind in _NOT_NULL),
    ("incident", "opening_claimed_at"),
    ("incident", "open_problem"),
    ("incident", "archive_claimed_at"),
    ("incident", "archive_error"),
    ("slack_user", "team_id"),
)


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "draft_source"')
    # DROP COLUMN in place (SQLite 3.35+), for the same reason as above.
    for table, column in reversed(_ADDED):
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
