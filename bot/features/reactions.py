"""Reacting with the timeline emoji (TIMELINE_REACTION, default :pushpin:) puts a message on
the incident's timeline; when the last such reaction goes, so does the reaction's hold."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain import incidents, timeline
from bot.domain.timeline import SlackMessage
from bot.people import person

log = logging.getLogger(__name__)


def _base(reaction: str) -> str:
    """Skin tones do not make a different emoji: "pushpin::skin-tone-2" is a pushpin."""
    return reaction.split("::", 1)[0]


def message_entry(
    client: WebClient, channel: str, message: dict[str, Any], added_by: str | None
) -> SlackMessage:
    """What the timeline keeps of a Slack message: text, author, link and files."""
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
        permalink=_permalink(client, channel, message),
        files=files,
        added_by=added_by,
    )


def _permalink(client: WebClient, channel: str, message: dict[str, Any]) -> str:
    if message.get("permalink"):
        return str(message["permalink"])
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"])
    except SlackApiError as error:
        log.warning("no permalink", extra={"error": error.response.get("error")})
        return ""


def _holders(message: dict[str, Any], reaction: str) -> list[str]:
    """Who still has the timeline reaction on the message, first reactor first."""
    users: list[str] = []
    for entry in message.get("reactions") or []:
        if _base(str(entry.get("name", ""))) == reaction:
            users += [u for u in entry.get("users") or [] if u not in users]
    return users


def register(app: App, deps: Deps) -> None:
    reaction = deps.settings.timeline_reaction

    def reconcile(event: dict[str, Any], client: WebClient) -> None:
        """Make the timeline agree with the message's reactions as they are now.

        Both events do the same thing, so a retry, a late delivery or two people reacting
        at once all end the same way: the entry is held while one reaction remains.
        """
        item = event.get("item") or {}
        channel, ts = item.get("channel"), item.get("ts")
        if _base(event.get("reaction") or "") != reaction or item.get("type") != "message":
            return
        if not channel or not ts:
            return
        incident = incidents.for_channel(channel)
        if incident is None:
            return
        try:
            # The event carries no text; reactions.get answers with the message itself
            # (thread replies too) and every reaction on it.
            message = client.reactions_get(channel=channel, timestamp=ts, full=True)["message"]
        except SlackApiError as error:
            if error.response.get("error") == "message_not_found":
                log.info("reacted message is gone", extra={"incident": incident.id})
                return
            raise
        holders = _holders(message, reaction)
        if holders:
            timeline.add_message(
                incident.id, message_entry(client, channel, message, holders[0]), "reaction"
            )
        else:
            timeline.remove_message(incident.id, ts, "reaction")

    app.event("reaction_added")(reconcile)
    app.event("reaction_removed")(reconcile)
