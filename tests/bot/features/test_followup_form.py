"""The Add a follow-up form, from the button under /incident actions: what, whose, by when
and where it is tracked, each checked beside its field."""

from __future__ import annotations

import datetime as dt

from fakeslack import FakeSlack
from models import AuditEntry, FollowUpAction
from testkit.harness import ALICE, BOB, BOT_USER, RunningBot
from tests.bot.flows import ack_body, declare, incident_of


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
    told = slack.wait_for_call(
        "chat.postEphemeral",
        where=lambda c: "Follow-up action" in c.params.get("text", ""),
        timeout=10,
    )
    assert told.params["channel"] == incident.channel_id and told.params["user"] == ALICE
    assert "due 18 Dec 2026" in told.params["text"]
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
