"""The Add a follow-up form, from the button under /incident actions: what, whose, by when
and where it is tracked, each checked beside its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fakeslack import FakeSlack
from fakeslack.calls import Call
from fakeslack.mrkdwn import mentions_in
from models import AuditEntry, FollowUpAction, Incident
from testkit.harness import ALICE, BOB, BOT_USER, RunningBot
from tests.bot.flows import ack_body, declare, incident_of, settle


def open_form(slack: FakeSlack, incident: Incident) -> dict[str, Any]:
    """/incident actions, then its Add a follow-up button."""
    assert slack.slash_command("actions", channel=incident.channel_id).ok
    assert slack.click("followup_add", channel=incident.channel_id, user=ALICE).ok
    return slack.wait_for_view(callback_id="followup_form")


def added_in_channel(slack: FakeSlack, incident: Incident) -> Call:
    return slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == incident.channel_id
            and "*Follow-up added*" in str(c.params.get("text"))
        ),
        timeout=10,
    )


def test_a_follow_up_added_with_the_form(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Backups failing")
    incident = incident_of(database)
    listing = slack.slash_command("actions", channel=incident.channel_id)
    assert listing.ok
    assert slack.click("followup_add", channel=incident.channel_id, user=ALICE).ok
    view = slack.wait_for_view(callback_id="followup_form")
    assert "Backups failing" in str(view["blocks"][0])

    refused = ack_body(
        slack.submit_view(
            view["id"],
            {"title": "  ", "owner": BOT_USER, "ticket": "ftp://files.example.com/x"},
        )
    )
    assert refused["response_action"] == "errors"
    assert set(refused["errors"]) == {"title", "owner", "ticket"}
    assert "A bot cannot" in refused["errors"]["owner"]

    answer = ack_body(
        slack.submit_view(
            view["id"],
            {
                "title": "Add an alert on backup age",
                "owner": BOB,
                "due": "2026-12-18",
                "ticket": "https://jira.example.com/browse/OPS-7",
            },
        )
    )
    assert answer is None
    # The channel hears it, the owner asked by name; the form's author needs no more.
    told = added_in_channel(slack, incident)
    assert told.params["text"] == (
        f":clipboard: *Follow-up added* by alice for <@{BOB}>: Add an alert on backup age — "
        "due 18 Dec 2026, <https://jira.example.com/browse/OPS-7|ticket>"
    )
    assert {t for t in mentions_in(told.params) if t.startswith(("<@", "<!"))} == {f"<@{BOB}>"}
    settle()
    assert not [e for e in slack.ephemerals if "Follow-up action" in str(e.get("text"))]
    with database.connection_context():
        item = FollowUpAction.get()
        audited = AuditEntry.select().where(AuditEntry.action == "action").count()
    assert (item.title, item.owner_id, item.created_by) == (
        "Add an alert on backup age",
        BOB,
        ALICE,
    )
    assert item.due_at == dt.datetime(2026, 12, 19, 0, 0, tzinfo=dt.UTC)
    assert item.ticket_url == "https://jira.example.com/browse/OPS-7"
    assert audited == 1


def test_a_form_delivered_twice_adds_and_tells_the_channel_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Twice")
    incident = incident_of(database)
    view = open_form(slack, incident)
    first = slack.submit_view(view["id"], {"title": "Write the review"})
    assert ack_body(first) is None
    assert ack_body(slack.deliver("interactive", first.payload)) is None
    added_in_channel(slack, incident)
    settle()
    posts = [
        m for m in slack.messages(incident.channel_id) if "*Follow-up added*" in str(m.get("text"))
    ]
    assert [m["text"] for m in posts] == [
        ":clipboard: *Follow-up added* by alice: Write the review"
    ]
    with database.connection_context():
        assert FollowUpAction.select().count() == 1


@pytest.mark.parametrize("mode", ["socket"])
def test_a_follow_up_the_channel_could_not_hear_is_kept_and_its_author_told(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Kicked out")
    incident = incident_of(database)
    view = open_form(slack, incident)
    slack.faults.error("chat.postMessage", "channel_not_found")
    assert ack_body(slack.submit_view(view["id"], {"title": "Re-invite the bot"})) is None
    told = slack.wait_for_call(
        "chat.postEphemeral", where=lambda c: "is added" in str(c.params.get("text")), timeout=10
    )
    with database.connection_context():
        item = FollowUpAction.get()
    assert item.title == "Re-invite the bot"
    assert told.params["user"] == ALICE and told.params["channel"] == incident.channel_id
    assert told.params["text"] == (
        f"Follow-up action {item.id} is added, but <#{incident.channel_id}> was not told: "
        "Slack cannot find the channel (deleted, or private without the bot) "
        "(`channel_not_found`)."
    )
