"""The message a declare form was opened from, kept whole while the form is open: the
form's private_metadata holds at most 3,000 characters, and the message may be longer, or
in a channel the bot cannot read back."""

from __future__ import annotations

from peewee import CharField

from models.db import BaseModel
from models.fields import JSONTextField, UTCDateTimeField, utcnow


class DraftSource(BaseModel):
    view_id = CharField(max_length=32, primary_key=True)
    source = JSONTextField()
    created_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "draft_source"
