"""A message taken off the timeline (unpinned, its reaction removed) stays in the record,
marked removed with who and when, instead of its row being deleted. An incident channel's
archive is announced in it first: when that heads-up was posted."""

from peewee import CharField, DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("timeline_event", "removed_at", DateTimeField(null=True)),
        migrator.add_column("timeline_event", "removed_by_id", CharField(max_length=32, null=True)),
        migrator.add_column("incident", "archive_warned_at", DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("incident", "archive_warned_at"),
        migrator.drop_column("timeline_event", "removed_by_id"),
        migrator.drop_column("timeline_event", "removed_at"),
    )
