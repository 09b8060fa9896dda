"""Someone joins an incident channel: they get an ephemeral welcome with where the incident
stands (status, severity, lead, summary, latest update) and how to help. Joins and leaves
also keep the record of the channel's members (who may see a private incident)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.domain import incidents, lifecycle, membership, timeline
from bot.domain.timeline import ts_to_datetime
from bot.features import channel_archive
from bot.features.deps import Deps, bind
from bot.slack import blocks
from bot.slack.people import learn
from models import Incident, Kind, TimelineEvent
from models.fields import utcnow

log = logging.getLogger(__name__)

# The reporter and the lead are invited while the incident is being opened; they know it
# already. Joining later than this after the declaration (say, after leaving), they are
# welcomed like anyone else.
DECLARATION_GRACE = dt.timedelta(minutes=10)
UPDATE_TEXT_MAX = 2800
# Errors that mean the welcome can never be shown (the person left, or is no one Slack
# knows): give up quietly rather than have Slack redeliver the join forever.
_TOO_LATE = {
    "user_not_in_channel",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "user_not_found",
}


def joined_at_declaration(incident: Incident, user: str, joined_at: dt.datetime) -> bool:
    return (
        user in (incident.reporter_id, incident.lead_id)
        and joined_at - incident.reported_at < DECLARATION_GRACE
    )


def _section(text: str) -> dict[str, Any]:
    """`text` is mrkdwn the bot built, people's words in it already clipped and escaped."""
    return {"type": "section", "text": blocks.mrkdwn(text)}


def welcome_message(
    incident: Incident,
    user: str,
    update: TimelineEvent | None,
    reaction: str,
    viewer_link: str | None,
) -> tuple[str, blocks.Blocks]:
    """The incident card, the latest update and what a newcomer can do."""
    if update is not None:
        by = f" by {blocks.shown(update.author_name, 80)}" if update.author_name else ""
        when = blocks.slack_when(update.occurred_at)  # in the newcomer's own time zone
        latest = f"*Latest update* ({when}{by})\n" + blocks.shown(update.text, UPDATE_TEXT_MAX)
    else:
        latest = "*Latest update*\nNone posted yet."
    how = (
        "*How to help*\n"
        "• Read the pinned messages and the latest update before asking what happened.\n"
        f"• Found something that matters? Pin it, react with :{reaction}: or use "
        "*Add to incident timeline* in the message's menu: it goes on the timeline.\n"
        f"• Check with the lead ({blocks.mention(incident.lead_id)}) before you change "
        "anything; `/incident help` lists every command."
    )
    if viewer_link:
        how += f"\n• The incident's page: <{viewer_link}|timeline and details>."
    body = [
        _section(f"Welcome to the incident channel, {blocks.mention(user)}."),
        *blocks.incident_card(incident),
        _section(latest),
        {"type": "divider"},
        _section(how),
    ]
    text = (
        f"Welcome: {blocks.headline(incident)}. {blocks.status_label(incident)}, "
        f"{incident.severity_label}, lead {blocks.mention(incident.lead_id)}."
    )
    return text, body


def goodbye(event: dict[str, Any]) -> None:
    user, channel = event.get("user"), event.get("channel")
    if user and channel and incidents.number_for_channel(channel) is not None:
        membership.left(channel, user)


def joined(event: dict[str, Any], context: BoltContext) -> None:
    """Before the ack: the record of who is in the channel. The welcome comes after."""
    user, channel = event.get("user"), event.get("channel")
    # Bolt lets this event through even for the bot itself (it joins what it creates).
    if not user or not channel:
        return
    if user == context.bot_user_id:
        # Invited back to an incident channel someone unarchived (Slack takes apps out of
        # archived channels, and does not let them unarchive one).
        channel_archive.back_in_use(channel, event.get("inviter"))
        return
    if incidents.number_for_channel(channel) is None:
        return
    membership.joined(channel, user)
    context["welcome"] = True


def _joined_at(event: dict[str, Any]) -> dt.datetime:
    event_ts = event.get("event_ts")
    try:
        return ts_to_datetime(event_ts) if event_ts else utcnow()
    except (ValueError, TypeError, OverflowError):  # not a Slack ts: take the arrival
        return utcnow()


def welcome(
    event: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    """After the ack: show the newcomer where the incident stands, once per join."""
    if not context.get("welcome"):
        return
    user, channel = event["user"], event["channel"]
    incident = incidents.for_channel(channel)
    if incident is None:
        return
    if incident.is_private:
        learn(client, [user])
    if joined_at_declaration(incident, user, _joined_at(event)):
        return
    # One welcome per join, whichever delivery of it arrives, on whichever replica.
    key = f"welcome:{channel}:{user}:{event.get('event_ts') or body.get('event_id')}"
    if lifecycle.claim_once(key):
        _show_welcome(client, incident, user, key, deps.settings)


def _show_welcome(
    client: WebClient, incident: Incident, user: str, key: str, settings: Settings
) -> None:
    text, message = welcome_message(
        incident,
        user,
        timeline.latest(incident.id, Kind.UPDATE),
        settings.timeline_reaction,
        blocks.viewer_url(settings.viewer_base_url, incident),
    )
    assert incident.channel_id is not None  # found by its channel
    try:
        client.chat_postEphemeral(channel=incident.channel_id, user=user, text=text, blocks=message)
    except SlackApiError as error:
        code = error.response.get("error")
        if code not in _TOO_LATE:
            # Not shown: free the claim, so a redelivery of the join may show it.
            lifecycle.release(key)
        log.log(
            logging.INFO if code in _TOO_LATE else logging.WARNING,
            "welcome not shown",
            extra={"incident": incident.id, "error": code},
        )
        return
    log.info("welcomed", extra={"incident": incident.id, "user": user})


def register(app: App, deps: Deps) -> None:
    app.event("member_left_channel")(goodbye)
    app.event("member_joined_channel")(ack=joined, lazy=[bind(welcome, deps)])
