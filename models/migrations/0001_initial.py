"""Incidents, their timeline and the Slack user cache."""

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

# Frozen copies of the models as they were at this migration: later changes to models/
# must not change what this file creates.


def up(migrator, db):
    class Incident(Model):
        id = AutoField()
        title = CharField(max_length=150)
        summary = TextField(default="")
        impact = TextField(default="")
        severity = IntegerField(null=True)
        status = CharField(max_length=20, default="investigating")
        is_private = BooleanField(default=False)
        reporter_id = CharField(max_length=32)
        lead_id = CharField(max_length=32, null=True)
        reported_at = DateTimeField()
        declare_key = CharField(max_length=64, null=True, unique=True)
        channel_id = CharField(max_length=32, null=True, unique=True)
        channel_name = CharField(max_length=80, null=True)
        opening_message_ts = CharField(max_length=32, null=True)
        announcement_channel_id = CharField(max_length=32, null=True)
        announcement_ts = CharField(max_length=32, null=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "incident"

    class SlackUser(Model):
        user_id = CharField(max_length=32, primary_key=True)
        name = CharField(max_length=255, default="")
        real_name = CharField(max_length=255, default="")
        display_name = CharField(max_length=255, default="")
        is_bot = BooleanField(default=False)
        fetched_at = DateTimeField()

        class Meta:
            database = db
            table_name = "slack_user"

    class TimelineEvent(Model):
        incident = ForeignKeyField(Incident, on_delete="CASCADE")
        kind = CharField(max_length=32, default="pin")
        message_ts = CharField(max_length=32, null=True)
        text = TextField(default="")
        author_id = CharField(max_length=32, null=True)
        author_name = CharField(max_length=255, default="")
        occurred_at = DateTimeField()
        permalink = TextField(default="")
        files = TextField(default="[]")
        added_by_id = CharField(max_length=32, null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "timeline_event"
            indexes = (
                (("incident", "message_ts"), True),
                (("incident", "occurred_at"), False),
            )

    db.create_tables([Incident, SlackUser, TimelineEvent])


def down(migrator, db):
    db.execute_sql("DROP TABLE timeline_event")
    db.execute_sql("DROP TABLE slack_user")
    db.execute_sql("DROP TABLE incident")
