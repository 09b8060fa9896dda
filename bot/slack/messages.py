"""What the timeline keeps of a Slack message (text, author, link, files), whichever way it
arrived: a pin, a reaction, a shortcut, or the message an incident was declared from."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import timeline
from bot.domain.timeline import SlackMessage
from bot.slack.people import look_up, person

log = logging.getLogger(__name__)


def message_entry(
    client: WebClient, channel: str, message: dict[str, Any], added_by: str | None
) -> SlackMessage:
    user_id = message.get("user")
    if user_id:
        author_id, author_name = user_id, person(client, user_id).shown_name
    else:
        # Bots and integrations post without a user; their own name is the best we have.
        profile = message.get("bot_profile") or {}
        author_id = message.get("bot_id")
        author_name = profile.get("name") or message.get("username") or "bot"
    files = [
        {
            "name": f.get("title") or f.get("name") or "file",
            "url": f.get("permalink") or f.get("url_private") or "",
        }
        for f in message.get("files") or []
        if isinstance(f, dict)
    ]
    return SlackMessage(
        message_ts=message["ts"],
        text=message.get("text") or "",
        author_id=author_id,
        author_name=author_name,
        permalink=permalink(client, channel, message),
        files=files,
        added_by=added_by,
    )


def permalink(client: WebClient, channel: str, message: dict[str, Any]) -> str:
    if message.get("permalink"):
        return str(message["permalink"])
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"])
    except SlackApiError as error:
        log.warning("no permalink", extra={"error": error.response.get("error")})
    except OSError as error:
        log.warning("no permalink", extra={"error": type(error).__name__})
    return ""


def unnamed(entry: SlackMessage) -> bool:
    """Stored with only the author's id: Slack could not name them before the ack."""
    return bool(entry.author_id) and entry.author_name == entry.author_id


def fill_in_author(client: WebClient, number: int, message_ts: str, user_id: Any) -> None:
    """After the ack: name the author of an entry stored while Slack could not say who they
    were (the entry then shows their id)."""
    if not isinstance(user_id, str):
        return
    found = look_up(client, user_id)  # from the cache when another lookup got there first
    if found is not None:
        timeline.name_author(number, message_ts, user_id, found.shown_name)
