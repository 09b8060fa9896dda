"""Reacting with the timeline emoji (TIMELINE_REACTION, default :pushpin:) puts a message on
the incident's timeline; when the last such reaction goes, so does the reaction's hold."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents, timeline
from bot.features.deps import Deps, bind
from bot.slack.messages import fill_in_author, message_entry, unnamed
from models import Kind

log = logging.getLogger(__name__)


def _base(reaction: str) -> str:
    """Skin tones do not make a different emoji: "pushpin::skin-tone-2" is a pushpin."""
    return reaction.split("::", 1)[0]


def _holders(message: dict[str, Any], reaction: str) -> list[str]:
    """Who still has the timeline reaction on the message, first reactor first."""
    users: list[str] = []
    for entry in message.get("reactions") or []:
        if _base(str(entry.get("name", ""))) == reaction:
            users += [u for u in entry.get("users") or [] if u not in users]
    return users


def _reacted_message(event: dict[str, Any], reaction: str) -> tuple[str, str] | None:
    """The channel and ts of the message, if the event is the timeline reaction on one."""
    item = event.get("item")
    item = item if isinstance(item, dict) else {}
    channel, ts = item.get("channel"), item.get("ts")
    if _base(str(event.get("reaction") or "")) != reaction or item.get("type") != "message":
        return None
    # The same check as every other message event: a ts Slack would not send is dropped
    # here, not asked of reactions.get (whose refusal would answer 500 and bring the event
    # back).
    if not (channel and isinstance(channel, str) and timeline.is_slack_ts(ts)):
        return None
    return channel, str(ts)


def _message_now(quick: WebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """The message with every reaction on it, or None if it is gone.

    The event carries no text; reactions.get answers with the message itself (thread
    replies too). Quick: before the ack. If Slack cannot answer now, the event is not
    acknowledged and Slack delivers it again later."""
    try:
        message: dict[str, Any] = quick.reactions_get(channel=channel, timestamp=ts, full=True)[
            "message"
        ]
    except SlackApiError as error:
        if error.response.get("error") == "message_not_found":
            return None
        raise
    return message


def reconcile(event: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    """Make the timeline agree with the message's reactions as they are now.

    Both events do the same thing, so a retry, a late delivery or two people reacting
    at once all end the same way: the entry is held while one reaction remains.
    """
    reaction = deps.settings.timeline_reaction
    reacted = _reacted_message(event, reaction)
    if reacted is None:
        return
    channel, ts = reacted
    number = incidents.number_for_channel(channel)
    if number is None:
        return
    message = _message_now(deps.quick, channel, ts)
    if message is None:
        log.info("reacted message is gone", extra={"incident": number})
        return
    holders = _holders(message, reaction)
    if not holders:
        # Whoever took the last reaction away took the message off the timeline.
        by = event.get("user") if event.get("type") == "reaction_removed" else None
        timeline.remove_message(number, ts, Kind.REACTION, by=by)
        return
    entry = message_entry(deps.quick, channel, message, holders[0])
    timeline.add_message(number, entry, Kind.REACTION)
    if unnamed(entry):
        # After the ack, on the names pool: never delays the ack or the listeners.
        deps.names.submit(fill_in_author, client, number, entry.message_ts, entry.author_id)


def register(app: App, deps: Deps) -> None:
    app.event("reaction_added")(bind(reconcile, deps))
    app.event("reaction_removed")(bind(reconcile, deps))
