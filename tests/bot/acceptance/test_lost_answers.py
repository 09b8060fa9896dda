"""Slack acted but its answer never came back: the person is told once, truthfully, and
nothing is done twice."""

from __future__ import annotations

import json

from fakeslack import FakeSlack
from testkit.harness import ALICE, BOB, BOT_USER, RunningBot
from tests.bot.flows import (
    ack_body,
    declare,
    incident_of,
    mention_event,
    settle,
    shown,
    wait_for_confirmation,
)

DAVE, ERIN = "U0DAVE0001", "U0ERIN0001"


def test_an_answer_shown_once_when_the_ephemeral_answer_is_lost(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Lost ephemeral", lead=BOB)
    incident = incident_of(database)
    before_dms = len(slack.dms(ALICE))
    slack.faults.lose_answer("chat.postEphemeral")
    assert mention_event(slack, incident.channel_id, ALICE, f"<@{BOT_USER}> duration", raw=True).ok
    settle(2)
    ephemerals = [
        e for e in slack.ephemerals if e.get("user") == ALICE and "Open for" in json.dumps(e)
    ]
    dms = [m for m in slack.dms(ALICE)[before_dms:] if "Open for" in json.dumps(m)]
    assert len(ephemerals) + len(dms) == 1, (len(ephemerals), len(dms))


def test_declare_form_opened_but_answer_lost_is_not_reported_as_failed(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.faults.lose_answer("views.open")
    delivery = slack.slash_command("Lost form")
    settle(0.5)
    opened = [v for v in slack.views.values() if v.get("callback_id") == "incident_declare"]
    answer = json.dumps(ack_body(delivery) or "")
    calls = [c.summary() for c in slack.calls_to("views.open")]
    assert not (opened and "did not" in answer), (len(opened), answer, calls)
    assert opened or "did not" in answer, (len(opened), answer, calls)


def test_rename_whose_answer_is_lost(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Channel to be renamed", lead=BOB)
    incident = incident_of(database)
    slack.faults.lose_answer("conversations.rename")
    first = shown(slack.slash_command("rename payments war room", channel=incident.channel_id))
    name = slack.channels[incident.channel_id]["name"]
    second = shown(slack.slash_command("rename payments war room", channel=incident.channel_id))
    assert name == "inc-0001-payments-war-room"
    # The person was told it failed although it worked, then that their own name is taken?
    assert "try the rename again" not in first and "taken" not in second, (first, second)


def test_a_bookmark_whose_answer_is_lost_is_not_reported_as_failed(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.faults.lose_answer("bookmarks.add")
    declare(slack, "Lost bookmark", lead=BOB)
    told = wait_for_confirmation(slack)
    bookmarks = slack.channels[incident_of(database).channel_id].get("bookmarks") or []
    assert not ("bookmark" in told.params["text"] and "Could not" in told.params["text"]), (
        told.params["text"],
        bookmarks,
    )
