"""Slack users' e-mail addresses, so the viewer can tell which Slack user signed in by e-mail."""

from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("slack_user", "email", CharField(max_length=320, null=True)),
        migrator.add_index("slack_user", ("email",), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("slack_user", "slack_user_email"),
        migrator.drop_column("slack_user", "email"),
    )
