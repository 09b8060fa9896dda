"""Reminders: one row per sent (or claimed) reminder, unique per incident, kind and due time."""

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, Model

# Frozen copies, as in 0001: later changes to models/ must not change this migration.


def up(migrator, db):
    class Incident(Model):
        class Meta:
            database = db
            table_name = "incident"

    class Reminder(Model):
        id = AutoField()
        incident = ForeignKeyField(Incident, on_delete="CASCADE")
        kind = CharField(max_length=20)
        due_at = DateTimeField()
        basis = DateTimeField()
        claimed_at = DateTimeField()
        claimed_by = CharField(max_length=64, default="")
        sent_at = DateTimeField(null=True)
        channel_id = CharField(max_length=32, null=True)
        message_ts = CharField(max_length=32, null=True)
        error = CharField(max_length=64, null=True)
        snoozed_until = DateTimeField(null=True)
        snoozed_by = CharField(max_length=32, null=True)
        dismissed_at = DateTimeField(null=True)
        dismissed_by = CharField(max_length=32, null=True)

        class Meta:
            database = db
            table_name = "reminder"
            # The claim: a second replica inserting the same occurrence fails here.
            indexes = ((("incident", "kind", "due_at"), True),)

    db.create_tables([Reminder])


def down(migrator, db):
    db.execute_sql("DROP TABLE reminder")
