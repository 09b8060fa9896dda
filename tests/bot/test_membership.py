"""Who is in an incident channel: seeded at declaration, kept in step by join and leave."""

from __future__ import annotations

from bot.domain import membership
from fakeslack import FakeSlack
from models import Incident
from tests.bot.flows import declare
from tests.bot.harness import ALICE, BOB, BOT_USER, CAROL, RunningBot


def test_members_follow_the_channel(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Members")
    with database.connection_context():
        incident = Incident.get()
    slack.wait_for_call("conversations.members", timeout=10)
    assert membership.members(incident.channel_id) >= {ALICE, BOB, BOT_USER}
    assert slack.join(incident.channel_id, CAROL).ok
    assert CAROL in membership.members(incident.channel_id)
    left = slack.send_event({"type": "member_left_channel", "user": CAROL,
                             "channel": incident.channel_id, "channel_type": "C",
                             "team": "T024BE7LD"})
    assert left.ok
    assert CAROL not in membership.members(incident.channel_id)
