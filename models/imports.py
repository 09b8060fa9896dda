"""Rows brought in from another incident tool, each remembering the row it came from."""

from __future__ import annotations

from peewee import AutoField, CharField, IntegerField, TextField

from models.db import BaseModel
from models.fields import UTCDateTimeField, utcnow


class ImportedRow(BaseModel):
    """One source row (an incident, a pin, a person…) and what it became here.

    `fingerprint` is a digest of the source row as last imported: the same digest on the
    next run means nothing changed there. `incident_id` groups a row under its incident."""

    id = AutoField()
    source = CharField(max_length=64)
    kind = CharField(max_length=32)
    old_id = CharField(max_length=64)
    incident_id = IntegerField(null=True, index=True)
    new_id = CharField(max_length=64, null=True)
    fingerprint = CharField(max_length=64)
    imported_at = UTCDateTimeField(default=utcnow)
    note = TextField(null=True)

    class Meta:
        table_name = "imported_row"
        indexes = ((("source", "kind", "old_id"), True),)
