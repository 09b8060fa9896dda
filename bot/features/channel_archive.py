"""An archived incident channel brought back in Slack: the record follows (timeline, audit),
so it can be archived again after the next resolution.

Slack does not let a bot token unarchive a channel (conversations.unarchive's page says
so), so a person does it in Slack; the bot hears it from `channel_unarchive` /
`group_unarchive` when it is still a member, or when it is invited back."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.domain import incidents
from bot.features.deps import Deps
from models import Source

log = logging.getLogger(__name__)


def back_in_use(channel: str, by: str | None) -> None:
    """The channel is open again; a no-op unless it is an incident's, marked archived."""
    number = incidents.number_for_channel(channel)
    if number is None:
        return
    incident = incidents.get(number)
    if incident is not None and incident.channel_archived_at is not None:
        incidents.unarchived(number, by, Source.SLACK)


def unarchived(event: dict[str, Any]) -> None:
    channel = event.get("channel")
    if isinstance(channel, str) and channel:
        user = event.get("user")
        back_in_use(channel, user if isinstance(user, str) else None)


def register(app: App, deps: Deps) -> None:
    # channel_unarchive for public channels, group_unarchive for private ones.
    app.event("channel_unarchive")(unarchived)
    app.event("group_unarchive")(unarchived)
