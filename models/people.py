"""Slack users as last seen through users.info, cached so names survive without Slack."""

from __future__ import annotations

from peewee import BooleanField, CharField

from models.db import BaseModel
from models.fields import UTCDateTimeField, utcnow


class SlackUser(BaseModel):
    user_id = CharField(max_length=32, primary_key=True)
    name = CharField(max_length=255, default="")
    real_name = CharField(max_length=255, default="")
    display_name = CharField(max_length=255, default="")
    is_bot = BooleanField(default=False)
    # Lower-cased; users.info includes it only when the app has users:read.email. The viewer
    # recognises people signed in by e-mail through it.
    email = CharField(max_length=320, null=True, index=True)
    # The person's organisation: another team's id for someone over Slack Connect.
    team_id = CharField(max_length=32, null=True)
    is_deleted = BooleanField(default=False)
    is_guest = BooleanField(default=False)
    fetched_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "slack_user"

    @property
    def shown_name(self) -> str:
        return self.display_name or self.real_name or self.name or self.user_id
