"""Reacting with the timeline emoji (TIMELINE_REACTION, default :pushpin:) puts a message on
the incident's timeline; when the last such reaction goes, so does the reaction's hold."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents, timeline
from bot.features.deps import Deps
from bot.slack.messages import fill_in_author, message_entry, unnamed

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


def register(app: App, deps: Deps) -> None:
    reaction = deps.settings.timeline_reaction

    quick = deps.quick

    def reconcile(event: dict[str, Any], client: WebClient) -> None:
        """Make the timeline agree with the message's reactions as they are now.

        Both events do the same thing, so a retry, a late delivery or two people reacting
        at once all end the same way: the entry is held while one reaction remains.
        """
        item = event.get("item")
        item = item if isinstance(item, dict) else {}
        channel, ts = item.get("channel"), item.get("ts")
        if _base(str(event.get("reaction") or "")) != reaction or item.get("type") != "message":
            return
        # The same check as every other message event: a ts Slack would not send is dropped
        # here, not asked of reactions.get (whose refusal would answer 500 and bring the event
        # back).
        if not (channel and isinstance(channel, str) and timeline.is_slack_ts(ts)):
            return
        number = incidents.number_for_channel(channel)
        if number is None:
            return
        try:
            # The event carries no text; reactions.get answers with the message itself
            # (thread replies too) and every reaction on it.
            # Quick: before the ack. If Slack cannot answer now, the event is not acknowledged
            # and Slack delivers it again later.
            message = quick.reactions_get(channel=channel, timestamp=ts, full=True)["message"]
        except SlackApiError as error:
            if error.response.get("error") == "message_not_found":
                log.info("reacted message is gone", extra={"incident": number})
                return
            raise
        holders = _holders(message, reaction)
        if holders:
            entry = message_entry(quick, channel, message, holders[0])
            timeline.add_message(number, entry, "reaction")
            if unnamed(entry):
                # After the ack, on the names pool: never delays the ack or the listeners.
                deps.names.submit(fill_in_author, client, number, entry.message_ts, entry.author_id)
        else:
            timeline.remove_message(number, ts, "reaction")

    app.event("reaction_added")(reconcile)
    app.event("reaction_removed")(reconcile)
