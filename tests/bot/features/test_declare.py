"""Declaring an incident end to end, in Socket Mode and HTTP mode, on both databases."""

from __future__ import annotations

import re
import time

import pytest

from bot.domain import timeline
from bot.slack.blocks import fit
from fakeslack import FakeSlack
from models import AuditEntry, Incident
from testkit.harness import ALICE, BOB, BOT_USER, GENERAL, INCIDENTS, RunningBot
from tests.bot.flows import (
    ack_body,
    confirmations,
    declare,
    open_declare_modal,
    submit_declare,
    wait_for_confirmation,
)


def pins_of(number: int) -> list:
    return [e for e in timeline.entries(number) if e.kind == "pin"]


def only_incident(database) -> Incident:
    with database.connection_context():
        rows = list(Incident.select())
    assert len(rows) == 1, rows
    return rows[0]


def test_whole_flow_declare_pin_unpin(slack: FakeSlack, bot: RunningBot, database) -> None:
    view = open_declare_modal(slack, "Checkout latency above 2s")
    opened = slack.calls_to("views.open")[0]
    assert opened.params["trigger_id"]
    title_block = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title_block["element"]["initial_value"] == "Checkout latency above 2s"
    assert {b["block_id"] for b in view["blocks"]} == {
        "title",
        "summary",
        "impact",
        "started",
        "severity",
        "lead",
        "private",
    }

    assert submit_declare(slack, view) is None
    told = wait_for_confirmation(slack)

    incident = only_incident(database)
    assert incident.title == "Checkout latency above 2s"
    assert (incident.severity, incident.status, incident.lead_id, incident.reporter_id) == (
        2,
        "investigating",
        BOB,
        ALICE,
    )
    assert incident.summary == "p95 jumped to 2.4 s"
    assert incident.impact == "EU customers cannot pay"
    assert incident.reported_at.tzinfo is not None

    channel = slack.channel_by_name(f"inc-{incident.id:04d}-checkout-latency-above-2s")
    assert channel is not None and not channel["is_private"]
    assert incident.channel_id == channel["id"]
    assert {ALICE, BOB, BOT_USER} <= set(channel["members"])
    assert channel["topic"]["value"] == "SEV2 Major | Lead: bob | Checkout latency above 2s"
    assert [b["link"] for b in channel["bookmarks"]] == [
        f"https://incidents.example.com/incidents/{incident.id}"
    ]

    opening = slack.messages(channel["id"])
    opening_text = str([m for m in opening if m.get("ts") == incident.opening_message_ts])
    for expected in (
        "Checkout latency above 2s",
        "SEV2 Major",
        "Investigating",
        f"<@{BOB}>",
        f"<@{ALICE}>",
        "p95 jumped",
        "EU customers",
        "Pin a message",
        # When it began, in each reader's own time zone: never a number of minutes that is
        # stale by the next look.
        f"*Open since*\\n<!date^{int(incident.reported_at.timestamp())}^",
    ):
        assert expected in opening_text
    assert "Open for" not in opening_text

    announcement = [m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts]
    assert len(announcement) == 1
    assert incident.announcement_channel_id == INCIDENTS
    assert f"<#{channel['id']}>" in str(announcement[0])

    # Through the command's response_url: shown to Alice where she typed /incident.
    assert told.method == "response_url"
    assert slack.ephemerals[-1]["channel"] == GENERAL and slack.ephemerals[-1]["user"] == ALICE
    assert f"<#{channel['id']}>" in told.params["text"]
    assert "did not work" not in told.params["text"]

    ts = slack.post_message(
        channel["id"],
        BOB,
        "Root cause: pool exhausted after the deploy",
        files=[
            {
                "id": "F1",
                "name": "graph.png",
                "title": "p95 graph",
                "permalink": "https://acme.slack.com/files/F1",
                "url_private": "https://files.slack.com/F1",
            }
        ],
    )
    assert slack.pin(channel["id"], ts, ALICE).ok
    [entry] = pins_of(incident.id)
    assert entry.text == "Root cause: pool exhausted after the deploy"
    assert (entry.author_id, entry.author_name, entry.kind) == (BOB, "bob", "pin")
    assert entry.occurred_at == timeline.ts_to_datetime(ts)
    assert entry.permalink.endswith("p" + ts.replace(".", ""))
    assert entry.files == [{"name": "p95 graph", "url": "https://acme.slack.com/files/F1"}]

    assert slack.unpin(channel["id"], ts, ALICE).ok
    assert pins_of(incident.id) == []


def test_title_blank_or_too_long_is_answered_in_the_modal(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    view = open_declare_modal(slack)
    for bad in ("   ", "x" * 151):
        answer = submit_declare(slack, view, title=bad)
        assert answer["response_action"] == "errors"
        assert set(answer["errors"]) == {"title"}
    assert "150 characters" in answer["errors"]["title"]
    with database.connection_context():
        assert Incident.select().count() == 0
    assert slack.calls_to("conversations.create") == []


def test_long_title_with_emoji_and_accents(slack: FakeSlack, bot: RunningBot, database) -> None:
    title = (
        "🔥 Paiements refusés — la passerelle répond lentement aux clients européens 🇪🇺 "
        "depuis le déploiement; état critique, façade naïve, ça coûte cher "
    )
    title = fit(title * 2, 150)  # what the form's 150 characters hold, as Slack counts them
    assert len(title) < 150
    declare(slack, title)
    incident = only_incident(database)
    assert incident.title == title.strip()
    assert re.fullmatch(r"inc-\d{4}-[a-z0-9-]+[a-z0-9]", incident.channel_name)
    assert len(incident.channel_name) <= 80
    assert incident.channel_name.startswith(f"inc-{incident.id:04d}-paiements-refuses-")


def test_name_taken_gets_a_numbered_name(slack: FakeSlack, bot: RunningBot, database) -> None:
    slack.add_channel("inc-0001-db-down", archived=True)
    declare(slack, "DB down")
    incident = only_incident(database)
    assert incident.id == 1
    assert incident.channel_name == "inc-0001-db-down-2"
    failed = [
        c
        for c in slack.calls_to("conversations.create")
        if c.response and c.response.get("error") == "name_taken"
    ]
    assert len(failed) == 1


def test_rate_limited_post_is_retried(slack: FakeSlack, bot: RunningBot, database) -> None:
    slack.faults.rate_limit("chat.postMessage", times=1, retry_after=1)
    declare(slack, "Rate limited")
    incident = only_incident(database)
    posts = slack.calls_to("chat.postMessage")
    assert [c.status for c in posts].count(429) == 1
    assert incident.opening_message_ts and incident.announcement_ts
    assert len([m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts]) == 1


@pytest.mark.refusals("channel_not_found")
def test_announcement_channel_not_found_is_reported(
    slack: FakeSlack, database, database_url, mode: str
) -> None:
    from testkit.harness import running_bot

    with running_bot(slack, mode, database_url, env={"INCIDENTS_CHANNEL": "C0NOTHERE00"}):
        declare(slack, "Nowhere to announce")
    incident = only_incident(database)
    assert incident.channel_id is not None and incident.announcement_ts is None
    told = confirmations(slack)[-1].params["text"]
    assert "announce" in told and "channel_not_found" in told and "INCIDENTS_CHANNEL" in told


def test_missing_scope_is_reported_and_the_rest_happens(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.faults.error(
        "bookmarks.add",
        "missing_scope",
        extra={"needed": "bookmarks:write", "provided": "chat:write"},
    )
    declare(slack, "No bookmarks")
    incident = only_incident(database)
    told = confirmations(slack)[-1].params["text"]
    assert "bookmark" in told and "bookmarks:write" in told
    assert incident.announcement_ts and incident.opening_message_ts


def test_channel_creation_failure_keeps_the_incident(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.faults.error("conversations.create", "restricted_action")
    declare(slack, "Cannot create")
    incident = only_incident(database)
    assert incident.channel_id is None
    told = confirmations(slack)[-1].params["text"]
    assert "create the incident channel" in told and "restricted_action" in told


def test_declaring_from_where_the_bot_cannot_post_is_confirmed_there(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """The command's response_url answers in any conversation, the bot's or not."""
    hideout = slack.add_channel("hideout", is_private=True, members=[ALICE, BOB])
    view = open_declare_modal(slack, "From a private channel", channel=hideout)
    assert submit_declare(slack, view, title="From a private channel") is None
    told = wait_for_confirmation(slack)
    incident = only_incident(database)
    assert told.method == "response_url" and f"<#{incident.channel_id}>" in told.params["text"]
    assert slack.ephemerals[-1]["channel"] == hideout and slack.ephemerals[-1]["user"] == ALICE
    assert slack.calls_to("chat.postEphemeral") == [] and slack.dms(ALICE) == []


def test_lead_is_optional_and_reporter_is_invited_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Solo", lead=None, severity=None)
    incident = only_incident(database)
    assert incident.lead_id is None and incident.severity is None
    [invite] = slack.calls_to("conversations.invite")
    assert invite.params["users"] == ALICE
    assert "Lead: not set" in slack.channels[incident.channel_id]["topic"]["value"]


def test_form_refused_by_slack_is_explained_in_the_commands_answer(
    slack: FakeSlack, bot: RunningBot
) -> None:
    slack.faults.error("views.open", "expired_trigger_id")
    delivery = slack.slash_command("too slow")
    assert delivery.ok
    answer = delivery.response or {"text": delivery.body}
    assert "expired_trigger_id" in answer["text"] and "try again" in answer["text"]
    slack.faults.error("views.open", "invalid_arguments")
    delivery = slack.slash_command("malformed")
    answer = delivery.response or {"text": delivery.body}
    assert "invalid_arguments" in answer["text"]


def test_a_channel_this_incident_already_made_is_adopted(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Slack made the channel but its answer was lost: the retry finds the name taken by the
    bot's own, fresh channel for this number, and uses it instead of making a second."""
    existing = slack.add_channel("inc-0001-adopt-me", creator=BOT_USER, members=[BOT_USER])
    declare(slack, "Adopt me")
    incident = only_incident(database)
    assert (incident.channel_id, incident.channel_name) == (existing, "inc-0001-adopt-me")
    assert slack.channel_by_name("inc-0001-adopt-me-2") is None
    slack.add_channel("inc-0002-someone-elses", members=[ALICE])
    declare(slack, "Someone elses")
    with database.connection_context():
        second = Incident.get_by_id(2)
    assert second.channel_name == "inc-0002-someone-elses-2"


# The "Declare incident from this message" shortcut: a pre-filled form, and the message
# starts the new incident's timeline.
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


def test_the_time_the_impact_started_is_asked_and_kept(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    view = open_declare_modal(slack, "Checkout latency above 2s")
    started = next(b for b in view["blocks"] if b["block_id"] == "started")
    assert started["element"]["type"] == "datetimepicker" and started["optional"]
    ahead = int(time.time()) + 3600
    refused = submit_declare(slack, view, started=ahead)
    assert refused["response_action"] == "errors"
    assert "future" in refused["errors"]["started"]
    with database.connection_context():
        assert Incident.select().count() == 0

    forty_minutes_ago = int(time.time()) - 40 * 60
    assert submit_declare(slack, view, started=forty_minutes_ago) is None
    wait_for_confirmation(slack)
    incident = only_incident(database)
    assert incident.started_at is not None
    # Kept to the minute, before the report.
    assert incident.started_at.timestamp() == forty_minutes_ago - forty_minutes_ago % 60
    assert incident.started_at < incident.reported_at
    with database.connection_context():
        audit = AuditEntry.get(AuditEntry.action == "declared")
    assert audit.details["started"] == incident.started_at.isoformat()


def test_a_declaration_without_a_start_time_leaves_it_unknown(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Checkout latency above 2s")
    assert only_incident(database).started_at is None
