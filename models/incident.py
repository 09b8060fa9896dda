"""An incident: what is happening, how bad, who leads it, where it lives in Slack, and when
each step of its life happened."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from zoneinfo import ZoneInfo

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, IntegerField, TextField

from models.db import BaseModel
from models.fields import UTCDateTimeField, utcnow

# Severity is stored as its number so it sorts; the label is for people.
SEVERITIES: dict[int, str] = {
    1: "SEV1 Critical",
    2: "SEV2 Major",
    3: "SEV3 Minor",
    4: "SEV4 Trivial",
}


class Status(StrEnum):
    """An incident's lifecycle, in order; stored as its value."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


STATUSES: tuple[Status, ...] = tuple(Status)

# The milestone each status records the first time it is reached.
STATUS_MILESTONES: dict[str, str] = {
    Status.IDENTIFIED: "identified_at",
    Status.MONITORING: "mitigated_at",
    Status.RESOLVED: "resolved_at",
}

TITLE_MAX_LENGTH = 150


class Source(StrEnum):
    """Where a change came from, as the audit, the timeline and the status history say."""

    COMMAND = "command"  # /incident
    MENTION = "mention"  # the same words after an @-mention of the bot
    MODAL = "modal"  # the declare and Update forms
    BUTTON = "button"
    SHORTCUT = "shortcut"  # the "Add to incident timeline" message shortcut
    PIN = "pin"  # a message pinned or unpinned in the incident channel
    REACTION = "reaction"  # the timeline reaction added or removed
    DECLARE = "declare"  # what the declaration itself stored
    SLACK = "slack"  # Slack told the bot (an edit, a deletion, a rename, a member joining)
    SCHEDULER = "scheduler"  # the bot's own periodic work (archiving a channel)
    IMPORT = "import"  # brought in from another tool's database
    VIEWER = "viewer"  # a page of a private incident was read


class Incident(BaseModel):
    # The primary key is the incident number: the database hands out distinct numbers to
    # concurrent declarations on any number of replicas.
    id = AutoField()
    title = CharField(max_length=TITLE_MAX_LENGTH)
    summary = TextField(default="")
    impact = TextField(default="")
    severity = IntegerField(null=True)
    status = CharField(max_length=20, default=Status.INVESTIGATING.value)
    is_private = BooleanField(default=False)
    reporter_id = CharField(max_length=32)
    lead_id = CharField(max_length=32, null=True)
    reported_at = UTCDateTimeField(default=utcnow)
    # Milestones: stamped when first reached, so time to acknowledge / resolve are facts.
    # A reopened incident clears resolved_at; the full story is in StatusChange.
    acknowledged_at = UTCDateTimeField(null=True)
    identified_at = UTCDateTimeField(null=True)
    mitigated_at = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True)
    last_update_at = UTCDateTimeField(null=True)
    channel_archived_at = UTCDateTimeField(null=True)
    # Only ever a report of something that happened (an import from response keeps these):
    # never live, so never reminded or listed as open.
    report_only = BooleanField(default=False)
    # When the impact began, where known (it may precede the report).
    started_at = UTCDateTimeField(null=True)
    # The tool an imported incident came from ("response"); None for incidents declared here.
    imported_from = CharField(max_length=64, null=True)
    # A view submission declares at most one incident, however often it is delivered.
    declare_key = CharField(max_length=64, null=True, unique=True)
    channel_id = CharField(max_length=32, null=True, unique=True)
    channel_name = CharField(max_length=80, null=True)
    opening_message_ts = CharField(max_length=32, null=True)
    announcement_channel_id = CharField(max_length=32, null=True)
    announcement_ts = CharField(max_length=32, null=True)
    updated_at = UTCDateTimeField(default=utcnow)
    # Bumped by every stored change: Slack shows the newest revision, whoever renders last.
    revision = IntegerField(default=0)
    # Whoever set this is opening the incident in Slack (a lease, so a crash frees it).
    opening_claimed_at = UTCDateTimeField(null=True)
    # Why the last attempt to open it in Slack failed, while it has no channel.
    open_problem = TextField(null=True)
    archive_claimed_at = UTCDateTimeField(null=True)
    # When the channel was told it would be archived (the archive waits a day after it).
    archive_warned_at = UTCDateTimeField(null=True)
    # Slack's answer when archiving was refused for good (not tried again).
    archive_error = CharField(max_length=64, null=True)

    class Meta:
        table_name = "incident"

    @property
    def number(self) -> int:
        return self.id

    @classmethod
    def number_in_channel(cls, channel_id: str) -> int | None:
        """The number of the incident whose channel this is, if any.

        Hand-written SQL on purpose: every command and event asks this, and building the
        query through the ORM costs more than running it.
        """
        database = cls._meta.database
        cursor = database.execute_sql(
            f'SELECT "id" FROM "incident" WHERE "channel_id" = {database.param} LIMIT 1',
            (channel_id,),
        )
        row = cursor.fetchone()
        return int(row[0]) if row else None

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, "Not set") if self.severity else "Not set"

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED

    @property
    def opened_in_slack(self) -> bool:
        return self.channel_id is not None


class StatusChange(BaseModel):
    """Every transition, in order: the status history the viewer shows."""

    id = AutoField()
    incident = ForeignKeyField(Incident, backref="status_changes", on_delete="CASCADE")
    from_status = CharField(max_length=20, null=True)
    status = CharField(max_length=20)
    changed_at = UTCDateTimeField(default=utcnow)
    changed_by = CharField(max_length=32, null=True)
    source = CharField(max_length=16, default=Source.COMMAND.value)

    class Meta:
        table_name = "status_change"
        indexes = ((("incident", "changed_at"), False),)


class FollowUpAction(BaseModel):
    id = AutoField()
    incident = ForeignKeyField(Incident, backref="actions", on_delete="CASCADE")
    title = TextField()
    owner_id = CharField(max_length=32, null=True)
    created_by = CharField(max_length=32, null=True)
    created_at = UTCDateTimeField(default=utcnow)
    done = BooleanField(default=False)
    done_by = CharField(max_length=32, null=True)
    done_at = UTCDateTimeField(null=True)
    due_at = UTCDateTimeField(null=True)
    # Where the work is tracked: an http(s) URL, checked when it is set.
    ticket_url = TextField(null=True)
    priority = CharField(max_length=16, null=True)  # "high", "medium", "low"
    category = CharField(max_length=16, null=True)  # "detective", "preventative", "corrective"
    # The source row an imported follow-up came from ("response:action:204").
    imported_key = CharField(max_length=64, null=True)

    class Meta:
        table_name = "follow_up_action"
        indexes = ((("done", "due_at"), False),)

    # A follow-up due on a day is due by the end of that day where the team works: due_at
    # holds the midnight that ends it.
    @staticmethod
    def due_by(day: dt.date, zone: ZoneInfo) -> dt.datetime:
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), zone)
        return end.astimezone(dt.UTC)

    def due_day(self, zone: ZoneInfo) -> dt.date | None:
        """The day it is due (by the end of), where the team works."""
        if self.due_at is None:
            return None
        return (self.due_at.astimezone(zone) - dt.timedelta(seconds=1)).date()
