"""Pinned messages in an incident channel become timeline entries; unpinning removes them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain import incidents, timeline
from bot.domain.timeline import PinnedMessage
from bot.people import person

log = logging.getLogger(__name__)


def _files(message: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "name": f.get("title") or f.get("name") or "file",
            "url": f.get("permalink") or f.get("url_private") or "",
        }
        for f in message.get("files") or []
        if isinstance(f, dict)
    ]


def _author(client: WebClient, message: dict[str, Any]) -> tuple[str | None, str]:
    user_id = message.get("user")
    if user_id:
        return user_id, person(client, user_id).shown_name
    # Bots and integrations post without a user; their own name is the best we have.
    bot_name = (message.get("bot_profile") or {}).get("name") or message.get("username") or "bot"
    return message.get("bot_id"), bot_name


def _permalink(client: WebClient, channel: str, message: dict[str, Any]) -> str:
    if message.get("permalink"):
        return str(message["permalink"])
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"])
    except SlackApiError as error:
        log.warning("no permalink", extra={"error": error.response.get("error")})
        return ""


def register(app: App, deps: Deps) -> None:
    @app.event("pin_added")
    def pin_added(event: dict[str, Any], client: WebClient) -> None:
        item = event.get("item") or {}
        message = item.get("message")
        channel = event.get("channel_id") or item.get("channel")
        if item.get("type") != "message" or not message or not channel:
            return
        incident = incidents.for_channel(channel)
        if incident is None:
            return
        author_id, author_name = _author(client, message)
        timeline.add_pin(
            incident.id,
            PinnedMessage(
                message_ts=message["ts"],
                text=message.get("text") or "",
                author_id=author_id,
                author_name=author_name,
                permalink=_permalink(client, channel, message),
                files=_files(message),
                added_by=event.get("user"),
            ),
        )

    @app.event("pin_removed")
    def pin_removed(event: dict[str, Any]) -> None:
        item = event.get("item") or {}
        message = item.get("message") or {}
        channel = event.get("channel_id") or item.get("channel")
        if not channel or not message.get("ts"):
            return
        incident = incidents.for_channel(channel)
        if incident is not None:
            timeline.remove_pin(incident.id, message["ts"])
