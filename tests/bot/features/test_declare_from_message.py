"""The "Declare incident from this message" shortcut: a pre-filled modal, and the message
starts the new incident's timeline."""

from __future__ import annotations

from bot.domain import timeline
from fakeslack import FakeSlack
from models import Incident
from testkit.harness import ALICE, BOB, GENERAL, RunningBot
from tests.bot.flows import ack_body, wait_for_confirmation


def test_declaring_from_a_message(slack: FakeSlack, bot: RunningBot, database) -> None:
    text = "Payments API answers 503 for every card\nSeen from eu-west-1 since 13:05"
    ts = slack.post_message(GENERAL, BOB, text)
    assert slack.message_shortcut("declare_from_message", GENERAL, ts, user=ALICE).ok
    view = slack.wait_for_view(callback_id="incident_declare")
    fields = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert fields["title"]["initial_value"] == "Payments API answers 503 for every card"
    assert fields["summary"]["initial_value"] == text

    answer = ack_body(
        slack.submit_view(
            view["id"],
            {
                "title": "Payments API answers 503",
                "summary": text,
                "severity": "1",
                "lead": BOB,
            },
            user=ALICE,
        )
    )
    assert answer is None
    wait_for_confirmation(slack)
    with database.connection_context():
        incident = Incident.get()
    [first] = [e for e in timeline.entries(incident.id) if e.message_ts]
    assert (first.message_ts, first.text, first.author_id, first.author_name) == (
        ts,
        text,
        BOB,
        "bob",
    )
    assert first.shortcut and first.permalink.endswith("p" + ts.replace(".", ""))
    assert first.added_by_id == ALICE
