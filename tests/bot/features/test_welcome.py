"""A person joining an incident channel is welcomed once, privately, with where it stands."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from bot.domain import lifecycle
from bot.domain.lifecycle import Actor
from fakeslack import FakeSlack
from models import Delivery, Incident
from testkit.harness import ALICE, BOB, BOT_USER, CAROL, INCIDENTS, RunningBot
from tests.bot.flows import declare


def _incident(database) -> Incident:
    with database.connection_context():
        return Incident.get()


def _welcomes(slack: FakeSlack, user: str) -> list[Any]:
    return [
        c
        for c in slack.calls_to("chat.postEphemeral")
        if c.params.get("user") == user and "Welcome" in str(c.params.get("text"))
    ]


def _welcomed(slack: FakeSlack, user: str, count: int = 1) -> list[Any]:
    """The welcomes shown to `user`, once `count` have been (the welcome follows the ack)."""
    slack.wait_for_call(
        "chat.postEphemeral",
        where=lambda c: (
            c.ok and c.params.get("user") == user and "Welcome" in str(c.params.get("text"))
        ),
        count=count,
        timeout=10,
    )
    return [c for c in _welcomes(slack, user) if c.ok]


def _shown(call: Any) -> str:
    return json.dumps(call.params["blocks"])


def test_a_newcomer_is_welcomed_once(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Checkout latency above 2s", summary="p95 at 2.4 s", severity="2", lead=BOB)
    incident = _incident(database)
    before = len(slack.calls)
    joined = slack.join(incident.channel_id, CAROL, inviter=BOB)
    assert joined.ok
    [welcome] = _welcomed(slack, CAROL)
    assert welcome.ok and welcome.params["channel"] == incident.channel_id
    shown = _shown(welcome)
    for fact in (
        f"Incident {incident.id}: Checkout latency above 2s",
        "SEV2 Major",
        "Investigating",
        f"<@{BOB}>",
        "p95 at 2.4 s",
        "None posted yet",
        ":pushpin:",
        "/incident help",
        "Add to incident timeline",
        f"<@{CAROL}>",
    ):
        assert fact in shown, fact
    assert slack.ephemerals[-1]["user"] == CAROL
    # Slack delivers the same join again: the welcome is not repeated.
    for retry in (1, 2, 3):
        assert slack.deliver("events_api", joined.payload, retry_num=retry).ok
    time.sleep(0.5)  # room for a second welcome, were one to be sent
    assert len(_welcomes(slack, CAROL)) == 1
    assert [c.method for c in slack.calls[before:] if c.method.startswith("chat.")] == [
        "chat.postEphemeral"
    ]
    with database.connection_context():
        assert Delivery.select().where(Delivery.key.startswith("welcome:")).count() == 1


def test_the_welcome_carries_the_latest_update(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Payments failing")
    incident = _incident(database)
    bob = Actor(BOB, "command", "bob")
    lifecycle.add_entry(incident.id, "update", "Failing over to the replica", bob)
    lifecycle.add_entry(incident.id, "update", "Failover done, error rate falling", bob)
    lifecycle.change(incident.id, bob, lifecycle.Fields(status="monitoring"))
    assert slack.join(incident.channel_id, CAROL).ok
    [welcome] = _welcomed(slack, CAROL)
    shown = _shown(welcome)
    assert "Failover done, error rate falling" in shown and "by bob" in shown
    assert "Failing over to the replica" not in shown
    assert "Monitoring" in shown


def test_people_opening_the_incident_and_the_bot_are_not_welcomed(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Opening", lead=BOB)
    incident = _incident(database)
    # What Slack sends while the incident is opened: the bot creates, then invites.
    for user in (BOT_USER, ALICE, BOB):
        event = {
            "type": "member_joined_channel",
            "user": user,
            "channel": incident.channel_id,
            "channel_type": "C",
            "team": slack.TEAM_ID,
            "inviter": BOT_USER,
        }
        assert slack.send_event(event).ok
    time.sleep(0.5)  # room for a welcome, were one to be sent
    assert _welcomes(slack, ALICE) == _welcomes(slack, BOB) == []

    # The reporter coming back an hour later is welcomed like anyone else.
    with database.connection_context():
        Incident.update(reported_at=incident.reported_at - dt.timedelta(hours=1)).execute()
    event = {
        "type": "member_joined_channel",
        "user": ALICE,
        "channel": incident.channel_id,
        "channel_type": "C",
        "team": slack.TEAM_ID,
    }
    assert slack.send_event(event).ok
    assert len(_welcomed(slack, ALICE)) == 1


def test_joining_other_channels_says_nothing(slack: FakeSlack, bot: RunningBot, database) -> None:
    channel = slack.add_channel("random", members=[ALICE, BOT_USER])
    assert slack.join(channel, CAROL).ok
    # The bot is not in the announcements channel (it posts there with chat:write.public):
    # Slack sends it nothing of what happens there.
    assert slack.join(INCIDENTS, CAROL).error == "not_in_conversation"
    time.sleep(0.5)  # room for a welcome, were one to be sent
    assert slack.calls_to("chat.postEphemeral") == []


def test_a_welcome_slack_fails_to_take_is_tried_again_and_the_join_is_acked_at_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """The welcome follows the ack: Slack's trouble posting it never holds the event."""
    declare(slack, "Flaky Slack")
    incident = _incident(database)
    slack.faults.server_error("chat.postEphemeral", 503)
    joined = slack.join(incident.channel_id, CAROL)
    assert joined.ok and joined.elapsed is not None and joined.elapsed < 1
    _welcomed(slack, CAROL)
    attempts = [c for c in slack.calls_to("chat.postEphemeral") if c.params["user"] == CAROL]
    assert [c.status for c in attempts] == [503, 200]
    assert slack.ephemerals[-1]["user"] == CAROL


def _wait_for_no_welcome_claim(database, timeout: float = 5.0) -> None:
    """The bot frees the claim once it has heard Slack's refusal, a moment after the call."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.connection_context():
            if not Delivery.select().where(Delivery.key.startswith("welcome:")).exists():
                return
        time.sleep(0.02)
    raise AssertionError("the refused welcome's claim was never freed")


def test_a_welcome_slack_refuses_frees_its_claim_for_the_next_join(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Flaky Slack")
    incident = _incident(database)
    slack.faults.error("chat.postEphemeral", "fatal_error")
    joined = slack.join(incident.channel_id, CAROL)
    assert joined.ok
    slack.wait_for_call("chat.postEphemeral", where=lambda c: c.params["user"] == CAROL)
    _wait_for_no_welcome_claim(database)
    # Slack's redelivery of the same join (or the bot's restart) may show it now.
    assert slack.deliver("events_api", joined.payload, retry_num=1).ok
    assert len(_welcomed(slack, CAROL)) == 1
    attempts = [c for c in slack.calls_to("chat.postEphemeral") if c.params["user"] == CAROL]
    assert [c.ok for c in attempts] == [False, True]
