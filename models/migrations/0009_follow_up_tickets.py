"""A follow-up links to its ticket (the tracker where the work is done); due dates are
looked up across incidents, for the list of what is overdue."""

from peewee import TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("follow_up_action", "ticket_url", TextField(null=True)),
        migrator.add_index("follow_up_action", ("done", "due_at"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("follow_up_action", "follow_up_action_done_due_at"),
        migrator.drop_column("follow_up_action", "ticket_url"),
    )
