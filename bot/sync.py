"""Keeping Slack in step with a changed incident: the opening message, the announcement and
the channel topic are edited in place; the channel hears what changed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.config import Settings
from bot.domain.lifecycle import Change
from bot.people import shown_name
from models import SEVERITIES, Incident

log = logging.getLogger(__name__)

# Fields shown in the topic: a change to anything else leaves the topic (and the "set the
# channel topic" line Slack posts with it) alone.
TOPIC_FIELDS = {"status", "severity", "lead", "title"}


def _quietly(step: str, incident: Incident, action: Callable[[], object]) -> None:
    """Sync failures are logged, never raised: the change itself is already stored."""
    try:
        action()
    except SlackApiError as error:
        log.warning(
            "sync step failed",
            extra={"incident": incident.id, "step": step, "error": error.response.get("error")},
        )


def refresh(
    client: WebClient, incident: Incident, settings: Settings, changed: Iterable[str] = ()
) -> None:
    """Edit the opening message and the announcement; reset the topic if it shows a change."""
    link = blocks.viewer_url(settings.viewer_base_url, incident)
    # Locals, not attributes: the checks below narrow them for the lambdas too.
    channel_id, opening_ts = incident.channel_id, incident.opening_message_ts
    announcement_channel = incident.announcement_channel_id
    announcement_ts = incident.announcement_ts
    if channel_id and opening_ts:
        text, body = blocks.opening_message(incident, link)
        _quietly(
            "opening message",
            incident,
            lambda: client.chat_update(channel=channel_id, ts=opening_ts, text=text, blocks=body),
        )
    if announcement_channel and announcement_ts and not incident.is_private:
        text, body = blocks.announcement(incident, link)
        _quietly(
            "announcement",
            incident,
            lambda: client.chat_update(
                channel=announcement_channel,
                ts=announcement_ts,
                text=text,
                blocks=body,
            ),
        )
    if channel_id and TOPIC_FIELDS & set(changed):
        topic = blocks.topic(incident, shown_name(client, incident.lead_id))
        _quietly(
            "topic",
            incident,
            lambda: client.conversations_setTopic(channel=channel_id, topic=topic),
        )


def describe(changes: Iterable[Change], actor_id: str | None) -> str:
    """One line per change, as the channel should read it."""
    lines = []
    for change in changes:
        if change.field in ("summary", "impact", "title"):
            lines.append(f"*{change.field.capitalize()}* is now: {blocks.escape(str(change.new))}")
        else:
            lines.append(
                f"*{change.field.capitalize()}*: {_value(change.field, change.old)} → "
                f"{_value(change.field, change.new)}"
            )
    who = f" (by {blocks.mention(actor_id)})" if actor_id else ""
    return "\n".join(lines) + who


def _value(field: str, value: object) -> str:
    if value is None or value == "":
        return "_not set_"
    if field == "severity":
        return SEVERITIES.get(value, str(value))  # type: ignore[call-overload]
    if field == "lead":
        return blocks.mention(str(value))
    return str(value).capitalize()


def tell_channel(
    client: WebClient, incident: Incident, text: str, thread_under_announcement: bool = False
) -> str | None:
    """Post in the incident channel (and optionally under the announcement); return the ts."""
    posted: str | None = None
    channel_id = incident.channel_id
    if channel_id:

        def post() -> None:
            nonlocal posted
            posted = client.chat_postMessage(
                channel=channel_id, text=text, blocks=blocks.notice(text)
            )["ts"]

        _quietly("channel message", incident, post)
    if thread_under_announcement and incident.announcement_ts and not incident.is_private:
        _quietly(
            "announcement thread",
            incident,
            lambda: client.chat_postMessage(
                # Stored together with announcement_ts when the incident was announced.
                channel=cast(str, incident.announcement_channel_id),
                thread_ts=incident.announcement_ts,
                text=text,
                blocks=blocks.notice(text),
            ),
        )
    return posted
