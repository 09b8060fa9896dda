"""Who is in an incident channel: seeded at declaration, kept in step by join and leave."""

from __future__ import annotations

import time

from bot.domain import membership
from fakeslack import FakeSlack
from models import Incident, SlackUser
from testkit.harness import ALICE, BOB, BOT_USER, CAROL, RunningBot
from tests.bot.flows import declare


def test_members_follow_the_channel(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Members")
    with database.connection_context():
        incident = Incident.get()
    # Recorded as the channel opens: the bot made it and invited the reporter and the lead.
    assert membership.members(incident.channel_id) == {ALICE, BOB, BOT_USER}
    assert slack.join(incident.channel_id, CAROL).ok
    assert CAROL in membership.members(incident.channel_id)
    left = slack.send_event(
        {
            "type": "member_left_channel",
            "user": CAROL,
            "channel": incident.channel_id,
            "channel_type": "C",
            "team": "T024BE7LD",
        }
    )
    assert left.ok
    assert CAROL not in membership.members(incident.channel_id)


def test_members_of_a_private_incident_are_on_record_with_their_email(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """The viewer recognises someone signed in by e-mail through the address users.info
    gave for a member of the channel."""
    declare(slack, "Hushed", private=["private"], lead=BOB)
    with database.connection_context():
        incident = Incident.get()
    assert incident.is_private
    expected = {user: slack.users[user]["profile"]["email"] for user in (ALICE, BOB, CAROL)}

    def emails() -> dict[str, str | None]:
        with database.connection_context():
            return {u.user_id: u.email for u in SlackUser.select()}

    # Looked up as the channel opens, beside the other opening steps.
    deadline = time.monotonic() + 10
    while not {ALICE, BOB} <= emails().keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emails()[ALICE] == expected[ALICE] and emails()[BOB] == expected[BOB]
    assert BOT_USER not in emails()

    assert slack.join(incident.channel_id, CAROL).ok
    # After the join is acknowledged.
    deadline = time.monotonic() + 10
    while CAROL not in emails() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emails()[CAROL] == expected[CAROL]
