"""The tables of a monzo/response (or HMCTS fork) database, read-only, for importing.

Bound to their own proxy, never to `models.db`: the source is another tool's database,
opened with writes refused (see `open_source`)."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    IntegerField,
    Model,
    TextField,
)

from models.db import make_database

source_db = DatabaseProxy()


class _Source(Model):
    id = IntegerField(primary_key=True)

    class Meta:
        database = source_db
        legacy_table_names = False


class RIncident(_Source):
    report = CharField()
    reporter_id = IntegerField(null=True)
    report_time = DateTimeField()
    report_only = BooleanField()
    private = BooleanField()
    start_time = DateTimeField()
    end_time = DateTimeField(null=True)
    summary = TextField(null=True)
    impact = TextField(null=True)
    lead_id = IntegerField(null=True)
    severity = CharField(null=True)

    class Meta:
        table_name = "response_incident"


class RUser(_Source):
    external_id = CharField()
    display_name = CharField()
    full_name = CharField(null=True)
    email = CharField(null=True)
    deleted = BooleanField()

    class Meta:
        table_name = "response_externaluser"


class RChannel(_Source):
    incident_id = IntegerField()
    channel_id = CharField()
    channel_name = CharField()

    class Meta:
        table_name = "response_commschannel"


class RHeadline(_Source):
    incident_id = IntegerField()
    message_ts = CharField(null=True)

    class Meta:
        table_name = "response_headlinepost"


class RTimeline(_Source):
    incident_id = IntegerField()
    timestamp = DateTimeField()
    text = TextField()
    event_type = CharField()
    metadata = TextField(null=True)

    class Meta:
        table_name = "response_timelineevent"


class RPin(_Source):
    incident_id = IntegerField()
    author_id = IntegerField()
    message_ts = CharField()
    text = TextField()
    timestamp = DateTimeField()

    class Meta:
        table_name = "response_pinnedmessage"


class RAction(_Source):
    created_date = DateTimeField(null=True)
    details = TextField()
    done = BooleanField()
    done_date = DateTimeField(null=True)
    due_date = DateTimeField(null=True)
    incident_id = IntegerField()
    user_id = IntegerField()
    priority = CharField(null=True)
    type = CharField(null=True)

    class Meta:
        table_name = "response_action"


class RUserStats(_Source):
    incident_id = IntegerField()
    user_id = IntegerField()
    join_time = DateTimeField(null=True)
    message_count = IntegerField()

    class Meta:
        table_name = "response_userstats"


class REvent(_Source):
    timestamp = DateTimeField()
    event_type = CharField()
    payload = TextField()

    class Meta:
        table_name = "response_event"


TABLES: tuple[type[_Source], ...] = (
    RIncident,
    RUser,
    RChannel,
    RHeadline,
    RTimeline,
    RPin,
    RAction,
    RUserStats,
    REvent,
)


def open_source(url: str) -> object:
    """Connect the source proxy to `url` with writes refused by the database itself."""
    database = make_database(url, readonly=True)
    source_db.initialize(database)
    database.connect()
    return database


def missing_columns() -> list[str]:
    """What the connected source lacks of the response schema, as `table` or `table.column`."""
    database = source_db.obj
    missing: list[str] = []
    for model in TABLES:
        table = model._meta.table_name
        if not database.table_exists(table):
            missing.append(table)
            continue
        present = {column.name for column in database.get_columns(table)}
        missing += [
            f"{table}.{field.column_name}"
            for field in model._meta.sorted_fields
            if field.column_name not in present
        ]
    return missing
