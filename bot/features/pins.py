"""Pinned messages in an incident channel become timeline entries; unpinning removes them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.domain import incidents, timeline
from bot.messages import message_entry

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.event("pin_added")
    def pin_added(event: dict[str, Any], client: WebClient) -> None:
        item = event.get("item") or {}
        message = item.get("message")
        channel = event.get("channel_id") or item.get("channel")
        if (item.get("type") != "message" or not isinstance(message, dict)
                or not timeline.is_slack_ts(message.get("ts")) or not isinstance(channel, str)):
            return
        number = incidents.number_for_channel(channel)
        if number is None:
            return
        timeline.add_pin(number, message_entry(client, channel, message, event.get("user")))

    @app.event("pin_removed")
    def pin_removed(event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        message = item.get("message") or {}
        channel = event.get("channel_id") or item.get("channel")
        if not isinstance(channel, str) or not timeline.is_slack_ts(message.get("ts")):
            return
        number = incidents.number_for_channel(channel)
        if number is not None:
            timeline.remove_pin(number, message["ts"])
