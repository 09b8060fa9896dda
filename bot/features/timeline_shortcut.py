"""The "Add to incident timeline" message shortcut: any message in an incident channel, kept
on the timeline until the shortcut's hold is the last one taken away."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain import incidents, timeline
from bot.features.deps import Deps
from bot.slack.messages import message_entry
from models import Kind

log = logging.getLogger(__name__)

CALLBACK_ID = "add_to_timeline"


def _ack(ack: Ack) -> None:
    ack()


def add(shortcut: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """After the ack: the message goes on its incident's timeline, and the person is told."""
    channel: str = (shortcut.get("channel") or {}).get("id") or ""
    message = shortcut.get("message") or {}
    user = (shortcut.get("user") or {}).get("id")
    incident = incidents.for_channel(channel) if channel else None
    if incident is None or not message.get("ts"):
        respond(
            text="This is not an incident channel: *Add to incident timeline* works on "
            "messages in an incident's own channel.",
            response_type="ephemeral",
        )
        return
    added = timeline.add_message(
        incident.id, message_entry(client, channel, message, user), Kind.SHORTCUT
    )
    if added:
        text = f"Added to the timeline of incident {incident.id}."
    else:
        text = f"That message is already on the timeline of incident {incident.id}."
    respond(text=text, response_type="ephemeral")


def register(app: App, deps: Deps) -> None:
    # Ack at once (Slack gives three seconds); the Slack and database work follows.
    app.shortcut(CALLBACK_ID)(ack=_ack, lazy=[add])
