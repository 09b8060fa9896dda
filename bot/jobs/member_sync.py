"""Who is in each open private incident channel, read again from Slack now and then.

Member events keep the record as people come and go; this makes good any the bot missed
(it was down, or a delivery was lost), so the viewer's access to private incidents follows
who is really in the channel. Any replica may run it: replacing a channel's list is one
transaction, and the same list twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents, membership
from bot.slack.people import learn

log = logging.getLogger(__name__)

# conversations.members is Tier 4; a few calls per open private incident per hour is nothing.
SYNC_EVERY = dt.timedelta(minutes=10)
_MAX_PAGES = 50


def channel_members(client: WebClient, channel_id: str) -> list[str]:
    members: list[str] = []
    cursor = None
    for _page in range(_MAX_PAGES):
        response = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
        members.extend(str(m) for m in response.get("members") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return members


def sync_private_members(
    client: WebClient, now: dt.datetime, last_synced: dict[int, dt.datetime]
) -> int:
    """Replace the member list of each open private incident not synced within SYNC_EVERY
    (by this process: `last_synced`); return how many were synced."""
    synced = 0
    for incident in incidents.open_incidents():
        if not incident.is_private or not incident.channel_id:
            continue
        last = last_synced.get(incident.id)
        if last is not None and now - last < SYNC_EVERY:
            continue
        # Marked before the call: a channel Slack refuses is tried again next period, not
        # on every run.
        last_synced[incident.id] = now
        try:
            members = channel_members(client, incident.channel_id)
        except SlackApiError as error:
            log.warning(
                "members not synced",
                extra={"incident": incident.id, "error": error.response.get("error")},
            )
            continue
        membership.replace(incident.channel_id, members)
        # Their addresses, for people who sign in to the viewer by e-mail (cached a day).
        learn(client, members)
        synced += 1
        log.info("members synced", extra={"incident": incident.id, "members": len(members)})
    return synced
