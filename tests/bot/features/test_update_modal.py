"""The Update form: the fields it changes and the update it posts, once."""

from __future__ import annotations

from bot.domain import timeline
from fakeslack import FakeSlack
from models import AuditEntry, StatusChange
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
    # One submission, one post: the update, then what it changed, by name, nobody pinged
    # but the new lead (asked to lead).
    [said] = [t for t in posted if "Rolling back now" in t]
    assert said.startswith(":memo: *Update* from bob:\nRolling back now\n")
    assert "*Status*: Investigating → Identified" in said and f"→ <@{CAROL}>" in said
    assert not [t for t in posted if t.startswith("*Status*")]
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


def test_the_update_form_sets_when_the_impact_started(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Latency")
    incident = incident_of(database)
    reported = int(incident.reported_at.timestamp())
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    view = slack.wait_for_view(callback_id="incident_update")
    block = next(b for b in view["blocks"] if b["block_id"] == "started")
    assert block["element"]["type"] == "datetimepicker"
    assert "initial_date_time" not in block["element"]

    later = ack_body(slack.submit_view(view["id"], {"started": reported + 60}, user=BOB))
    assert later["response_action"] == "errors"
    assert "before it was reported" in later["errors"]["started"]
    assert incident_of(database).started_at is None

    started = reported - reported % 60 - 25 * 60
    assert ack_body(slack.submit_view(view["id"], {"started": started}, user=BOB)) is None
    line = slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == incident.channel_id and "Impact started" in str(c.params)
        ),
        timeout=10,
    )
    assert f"<!date^{started}^" in str(line.params)
    incident = incident_of(database)
    assert int(incident.started_at.timestamp()) == started
    [entry] = [e for e in timeline.entries(incident.id) if e.kind == "started"]
    assert entry.text.startswith("Impact started: not set → ")
    assert entry.details["new"] == incident.started_at.isoformat()
    with database.connection_context():
        audit = AuditEntry.get(AuditEntry.action == "started")
    assert (audit.actor_id, audit.old_value) == (BOB, None)

    # Opened again, the form shows the time, and leaving it as it was changes nothing.
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    again = slack.wait_for_view(callback_id="incident_update")
    assert again["id"] != view["id"]
    block = next(b for b in again["blocks"] if b["block_id"] == "started")
    assert block["element"]["initial_date_time"] == started
    assert ack_body(slack.submit_view(again["id"], {"message": "Still on it"}, user=BOB)) is None
    slack.wait_for_call(
        "chat.postMessage", where=lambda c: "Still on it" in str(c.params), timeout=10
    )
    assert len([e for e in timeline.entries(incident.id) if e.kind == "started"]) == 1
