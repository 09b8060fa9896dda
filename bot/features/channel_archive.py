"""An archived incident channel brought back in Slack: the record follows (timeline, audit),
and the bot goes back in so it can follow the incident.

Slack does not let a bot token unarchive a channel (conversations.unarchive's page says
so), and takes apps out of a channel it archives, so a person unarchives it in Slack. The
bot hears of a public one from `channel_unarchive` (sent to the whole workspace) and joins
it again; of a private one only when someone invites it back (`member_joined_channel`
for the bot), since `group_unarchive` goes to the channel's members."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents
from bot.features.deps import Deps
from bot.slack import heard, posting
from bot.slack.blocks import notice
from models import Source

log = logging.getLogger(__name__)


def back_in_use(channel: str, by: str | None) -> int | None:
    """Record that the channel is open again; its incident's number when this was news
    (an incident's channel marked archived), else None."""
    number = incidents.number_for_channel(channel)
    if number is None:
        return None
    # Only a channel marked archived changes: the write itself says whether it was news.
    return number if incidents.unarchived(number, by, Source.SLACK) else None


def unarchived(event: dict[str, Any], context: BoltContext) -> None:
    """Before the ack: stored, so a redelivery finds it done."""
    # Public: `user`; private: `actor_id` (as Slack's type definitions name them).
    channel, user = event.get("channel"), event.get("user") or event.get("actor_id")
    if not (isinstance(channel, str) and channel):
        return
    number = back_in_use(channel, user if isinstance(user, str) else None)
    if number is not None and event.get("type") == "channel_unarchive":
        context["rejoin"] = number


def rejoin(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """After the ack: back into the public channel, and say so there."""
    number = context.get("rejoin")
    if number is None:
        return
    channel = str(event["channel"])
    extra = {"incident": number}
    try:
        client.conversations_join(channel=channel)
        who = heard.named(client, event.get("user"))
        text = (
            f":file_cabinet: Channel unarchived by {who}: the bot is back in it and follows "
            f"incident {number} here again (pins, reactions, commands)."
        )
        posting.post(
            client,
            channel=channel,
            key=f"unarchived:{number}:{event.get('event_ts')}",
            text=text,
            blocks=notice(text),
        )
    except SlackApiError as error:
        # Nobody to tell but the channel, which the bot is not in: the log says why, and
        # anyone can /invite it.
        log.warning(
            "not back in the unarchived channel",
            extra={**extra, "error": error.response.get("error")},
        )
    except OSError as error:
        log.warning(
            "not back in the unarchived channel", extra={**extra, "error": type(error).__name__}
        )


def register(app: App, deps: Deps) -> None:
    # channel_unarchive for public channels, group_unarchive for private ones.
    app.event("channel_unarchive")(ack=unarchived, lazy=[rejoin])
    app.event("group_unarchive")(ack=unarchived, lazy=[rejoin])
