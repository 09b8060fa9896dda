"""bot.jobs.member_sync: the member lists of open private incident channels are read again from
Slack, so members the bot missed are added and people no longer there are dropped."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_sdk import WebClient

from bot.domain import membership
from bot.jobs.member_sync import SYNC_EVERY, sync_private_members
from fakeslack import FakeSlack
from models import Incident, SlackUser
from testkit.harness import ALICE, BOB, BOT_TOKEN, BOT_USER, CAROL, RunningBot
from tests.bot.flows import declare

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("mode", ["http"])
def test_private_channels_are_brought_in_step(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Public one")
    declare(slack, "Private one", private=["private"])
    with database.connection_context():
        public, private = Incident.select().order_by(Incident.id)
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    # Carol is added while no event reaches the bot; a member it never saw leave lingers.
    client.conversations_invite(channel=private.channel_id, users=CAROL)
    membership.joined(private.channel_id, "U0GONE0001")
    before = len(slack.calls_to("conversations.members"))

    synced_at: dict[int, dt.datetime] = {}
    assert sync_private_members(client, NOW, synced_at) == 1
    assert membership.members(private.channel_id) == {ALICE, BOB, CAROL, BOT_USER}
    asked = [c.params["channel"] for c in slack.calls_to("conversations.members")[before:]]
    assert asked == [private.channel_id]  # public channels are left to their events
    with database.connection_context():
        carol = SlackUser.get_by_id(CAROL)
    assert carol.email == slack.users[CAROL]["profile"]["email"]

    # Not again within the period; again after it.
    assert sync_private_members(client, NOW + SYNC_EVERY / 2, synced_at) == 0
    assert sync_private_members(client, NOW + SYNC_EVERY, synced_at) == 1
    assert len(slack.calls_to("conversations.members")) == before + 2


@pytest.mark.parametrize("mode", ["http"])
def test_a_refusal_leaves_the_list_and_is_retried_next_period(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Private one", private=["private"])
    with database.connection_context():
        private = Incident.get()
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    slack.faults.error("conversations.members", "channel_not_found")
    synced_at: dict[int, dt.datetime] = {}
    assert sync_private_members(client, NOW, synced_at) == 0
    assert membership.members(private.channel_id) == {ALICE, BOB, BOT_USER}
    assert sync_private_members(client, NOW + dt.timedelta(seconds=30), synced_at) == 0
    assert sync_private_members(client, NOW + SYNC_EVERY, synced_at) == 1
