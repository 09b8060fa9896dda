"""Who is in each incident channel, as Slack last told us: it decides who may see a private
incident in the viewer."""

from __future__ import annotations

from peewee import CharField

from models.db import BaseModel
from models.fields import UTCDateTimeField, utcnow


class ChannelMember(BaseModel):
    channel_id = CharField(max_length=32)
    user_id = CharField(max_length=32)
    joined_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "channel_member"
        indexes = ((("channel_id", "user_id"), True), (("user_id",), False))
