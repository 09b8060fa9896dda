"""The audit log (append-only, enforced by the database) and the record of deliveries seen."""

from __future__ import annotations

from peewee import AutoField, CharField, ForeignKeyField, TextField

from models.db import BaseModel
from models.fields import JSONTextField, UTCDateTimeField, utcnow
from models.incident import Incident


class AuditEntry(BaseModel):
    """Who changed what, from where, old → new. Triggers refuse UPDATE and DELETE."""

    id = AutoField()
    incident = ForeignKeyField(Incident, null=True, backref="audit", on_delete="RESTRICT")
    at = UTCDateTimeField(default=utcnow)
    actor_id = CharField(max_length=32, null=True)
    source = CharField(max_length=16)
    action = CharField(max_length=32)
    old_value = TextField(null=True)
    new_value = TextField(null=True)
    details = JSONTextField(null=True)

    class Meta:
        table_name = "audit_entry"


class Delivery(BaseModel):
    """A side-effecting delivery already handled, by its key (event id, trigger id…).

    Inserted in the same transaction as the change it caused, so a redelivery either finds
    the key (and does nothing) or the change never happened (and is done now).
    """

    key = CharField(max_length=128, primary_key=True)
    received_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "delivery"
