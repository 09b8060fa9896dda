"""An incident channel renamed in Slack stays the incident's (channels are known by id);
the stored name follows, for the viewer and for links."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.domain import incidents
from bot.features.deps import Deps

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


def register(app: App, deps: Deps) -> None:
    # channel_rename for public channels, group_rename for private ones.
    app.event("channel_rename")(renamed)
    app.event("group_rename")(renamed)
