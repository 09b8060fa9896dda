"""A reminder the scheduler sent (or claimed to send), and what people did with it."""

from __future__ import annotations

from enum import StrEnum

from peewee import AutoField, CharField, ForeignKeyField

from models.db import BaseModel
from models.fields import UTCDateTimeField
from models.incident import Incident


class ReminderKind(StrEnum):
    """The four reminders, by the key stored in `kind`."""

    NO_LEAD = "no_lead"
    NO_SEVERITY = "no_severity"
    UPDATE_OVERDUE = "update_overdue"
    OPEN_LONG = "open_long"


class Reminder(BaseModel):
    """One occurrence of one kind of reminder for one incident.

    (incident, kind, due_at) is unique: `due_at` is the moment the occurrence became due,
    computed the same way by every replica, so the row is the claim. Whoever inserts it
    sends the message; anyone else hits the key and sends nothing. `basis` is the fact the
    reminder is about (the declaration, or the last update): a dismissal holds while the
    basis is unchanged.
    """

    id = AutoField()
    incident = ForeignKeyField(Incident, backref="reminders", on_delete="CASCADE")
    incident_id: int  # the raw column peewee sets beside `incident` (said for type checkers)
    kind = CharField(max_length=20)
    due_at = UTCDateTimeField()
    basis = UTCDateTimeField()
    claimed_at = UTCDateTimeField()
    claimed_by = CharField(max_length=64, default="")
    # Set once Slack accepted the post; a claim without it never reached Slack or failed.
    sent_at = UTCDateTimeField(null=True)
    channel_id = CharField(max_length=32, null=True)
    message_ts = CharField(max_length=32, null=True)
    error = CharField(max_length=64, null=True)
    snoozed_until = UTCDateTimeField(null=True)
    snoozed_by = CharField(max_length=32, null=True)
    dismissed_at = UTCDateTimeField(null=True)
    dismissed_by = CharField(max_length=32, null=True)

    class Meta:
        table_name = "reminder"
        indexes = ((("incident", "kind", "due_at"), True),)
