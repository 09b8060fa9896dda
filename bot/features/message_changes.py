"""Messages on a timeline that change in Slack: an edit updates the entry (the audit says
who edited it and when), a deletion marks it deleted and takes its words away. Other
messages are heard and left alone.

Register this feature after every other one that listens to `message` events: Bolt runs the
first listener that matches, and the catch-all here matches every message.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.domain import incidents, timeline
from bot.domain.timeline import Edit
from bot.features.deps import Deps

log = logging.getLogger(__name__)


def _edit_of(event: dict[str, Any], ts: str) -> Edit | None:
    """The edit a message_changed event carries; None when what the message says is the
    same (unfurls, new thread replies and the like change the message, not its text)."""
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    text = message.get("text") or ""
    if "text" in previous and previous["text"] == text:
        return None
    edited = message.get("edited") or {}
    # The edit's own ts: the same on every delivery of this edit, newer for the next.
    edited_ts = edited.get("ts") or event.get("event_ts") or event.get("ts") or ts
    if not timeline.is_slack_ts(edited_ts):
        return None
    return Edit(
        message_ts=ts,
        new_text=text,
        edited_ts=edited_ts,
        editor_id=edited.get("user") or message.get("user"),
    )


def _edited(event: dict[str, Any]) -> None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    channel, ts = event.get("channel"), message.get("ts") or previous.get("ts")
    if not isinstance(channel, str) or not timeline.is_slack_ts(ts):
        return
    number = incidents.number_for_channel(channel)
    if number is None:
        return
    if message.get("subtype") == "tombstone":
        # A thread parent deleted while it has replies stays behind as a tombstone.
        timeline.mark_deleted(number, ts, event_ts=event.get("event_ts"))
        return
    edit = _edit_of(event, ts)
    if edit is not None:
        timeline.edit_message(number, edit)


def _deleted(event: dict[str, Any]) -> None:
    channel = event.get("channel")
    ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    if not isinstance(channel, str) or not timeline.is_slack_ts(ts):
        return
    number = incidents.number_for_channel(channel)
    if number is not None:
        timeline.mark_deleted(number, ts, event_ts=event.get("event_ts"))


def _any_other(event: dict[str, Any]) -> None:
    return None


def register(app: App, deps: Deps) -> None:
    app.event({"type": "message", "subtype": "message_changed"})(_edited)
    app.event({"type": "message", "subtype": "message_deleted"})(_deleted)
    # Subscribing to edits and deletions brings every message posted in the bot's channels.
    # Bolt answers an event nobody listens to with 404 and no Socket Mode ack, so Slack would
    # deliver each one again: the rest are acknowledged here and left alone.
    app.event("message")(_any_other)
