"""The Update form: the fields it changes and the update it posts, once."""

from __future__ import annotations

from bot.domain import timeline
from fakeslack import FakeSlack
from models import StatusChange
from testkit.harness import BOB, CAROL, INCIDENTS, RunningBot
from tests.bot.flows import ack_body, declare, incident_of


def test_update_modal_changes_fields_and_posts_the_update(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Latency", lead=None)
    incident = incident_of(database)
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    view = slack.wait_for_view(callback_id="incident_update")
    status = next(b for b in view["blocks"] if b["block_id"] == "status")
    assert status["element"]["initial_option"]["value"] == "investigating"
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"] == "Latency"
    refused = ack_body(slack.submit_view(view["id"], {"title": " ", "status": "identified"}))
    assert refused["response_action"] == "errors" and set(refused["errors"]) == {"title"}
    answer = ack_body(
        slack.submit_view(
            view["id"],
            {
                "title": "Latency on search",
                "status": "identified",
                "severity": "1",
                "lead": CAROL,
                "summary": "Bad index",
                "impact": "All EU users",
                "message": "Rolling back now",
            },
            user=BOB,
        )
    )
    assert answer is None
    slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: c.params.get("thread_ts") == incident.announcement_ts,
        timeout=10,
    )
    incident = incident_of(database)
    assert (incident.status, incident.severity, incident.lead_id) == ("identified", 1, CAROL)
    assert incident.title == "Latency on search"
    [renamed] = [e for e in timeline.entries(incident.id) if e.kind == "title"]
    assert renamed.details == {"old": "Latency", "new": "Latency on search"}
    announcement = next(m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts)
    assert "Latency on search" in str(announcement["blocks"])
    assert (incident.summary, incident.impact) == ("Bad index", "All EU users")
    assert incident.last_update_at is not None
    [update] = [e for e in timeline.entries(incident.id) if e.kind == "update"]
    assert (update.text, update.author_id, update.source) == ("Rolling back now", BOB, "modal")
    with database.connection_context():
        assert StatusChange.get(StatusChange.source != "declare").source == "modal"
    posted = [m["text"] for m in slack.messages(incident.channel_id)]
    assert any("Rolling back now" in text for text in posted)
    thread = [
        m for m in slack.messages(INCIDENTS) if m.get("thread_ts") == incident.announcement_ts
    ]
    assert any("Rolling back now" in m["text"] for m in thread)


def test_a_redelivered_update_submission_changes_and_posts_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Twice delivered")
    incident = incident_of(database)
    slack.slash_command("", channel=incident.channel_id)
    view = slack.wait_for_view(callback_id="incident_update")
    first = slack.submit_view(
        view["id"],
        {"title": "Twice delivered", "status": "monitoring", "message": "Fix deployed"},
        user=BOB,
    )
    assert ack_body(first) is None
    slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: c.params.get("thread_ts") == incident.announcement_ts,
        timeout=10,
    )
    again = slack.deliver("interactive", first.payload)
    assert again.ok
    with database.connection_context():
        changes = StatusChange.select().where(StatusChange.source == "modal").count()
    updates = [e for e in timeline.entries(incident.id) if e.kind == "update"]
    posted = [m for m in slack.messages(incident.channel_id) if "Fix deployed" in m["text"]]
    assert (changes, len(updates), len(posted)) == (1, 1, 1)
