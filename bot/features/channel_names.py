"""An incident channel renamed in Slack stays the incident's (channels are known by id);
the stored name follows, for the viewer and for links, and the rename is recorded with who
made it (from Slack's "renamed the channel" message: the rename event names nobody)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.domain import incidents, lifecycle
from bot.features.deps import Deps
from models import Source

log = logging.getLogger(__name__)


def renamed(event: dict[str, Any]) -> None:
    channel = event.get("channel")
    if not isinstance(channel, dict):
        return
    channel_id, name = channel.get("id"), channel.get("name")
    if not (isinstance(channel_id, str) and isinstance(name, str) and name):
        return
    number = incidents.rename_channel(channel_id, name)
    if number is not None:
        log.info("incident channel renamed", extra={"incident": number})


def name_message(event: dict[str, Any], context: BoltContext) -> None:
    """`<@U…> has renamed the channel from "a" to "b"`: who renamed it. The bot's own
    renames (by /incident rename) were recorded with the person who asked."""
    channel, user, name = event.get("channel"), event.get("user"), event.get("name")
    if not (isinstance(channel, str) and isinstance(name, str) and name):
        return
    if user == context.bot_user_id or not isinstance(user, str):
        return
    old = event.get("old_name")
    lifecycle.record_rename(
        channel,
        old if isinstance(old, str) else None,
        name,
        by=user,
        source=Source.SLACK,
        key=f"rename:{channel}:{event.get('ts')}",
    )


def register(app: App, deps: Deps) -> None:
    # channel_rename for public channels, group_rename for private ones.
    app.event("channel_rename")(renamed)
    app.event("group_rename")(renamed)
    # channel_name; group_name is documented for private channels too ("A group was
    # renamed"), so either is heard.
    app.event({"type": "message", "subtype": "channel_name"})(name_message)
    app.event({"type": "message", "subtype": "group_name"})(name_message)
