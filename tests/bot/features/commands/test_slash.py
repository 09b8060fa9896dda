"""Running an incident from its channel: every subcommand answers, stores and syncs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.domain import timeline
from fakeslack import FakeSlack
from fakeslack.calls import Call
from fakeslack.mrkdwn import mentions_in
from models import AuditEntry, FollowUpAction, Incident, StatusChange, TimelineEvent
from models.membership import ChannelMember
from models.timeline import Kind
from testkit.harness import ALICE, BOB, BOT_USER, CAROL, GENERAL, INCIDENTS, RunningBot
from tests.bot.flows import declare, mention_event, settle, timeline_of


def incident_of(database) -> Incident:
    with database.connection_context():
        return Incident.get()


def answer(delivery: Any) -> str:
    """What the person sees of the command's answer: its blocks, else its text."""
    assert delivery.ok, delivery
    body = delivery.response or {}
    shown = [
        str((block.get("text") or {}).get("text") or "")
        for block in body.get("blocks") or []
        if isinstance(block, dict)
    ]
    return "\n".join(shown) or str(body.get("text") or delivery.body or "")


def run(slack: FakeSlack, incident: Incident, text: str, user: str = ALICE) -> str:
    return answer(slack.slash_command(text, user=user, channel=incident.channel_id))


def heard(slack: FakeSlack, incident: Incident, marker: str, count: int = 1) -> Call:
    """The `count`-th post in the incident's channel whose text holds `marker`, once made."""
    return slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == incident.channel_id
            and marker in str(c.params.get("text", ""))
        ),
        count=count,
        timeout=10,
    )


def lines(slack: FakeSlack, incident: Incident, marker: str) -> list[str]:
    """What the incident's channel shows of the bot's posts holding `marker`."""
    return [
        str(m.get("text"))
        for m in slack.messages(incident.channel_id)
        if m.get("user") == BOT_USER and marker in str(m.get("text"))
    ]


def pings(message: dict[str, Any]) -> set[str]:
    """Whom a posted message notifies: people's mentions and broadcasts, not links."""
    return {t for t in mentions_in(message) if t.startswith(("<@", "<!"))}


def test_status_changes_are_stored_with_history_and_milestones(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Queue backlog")
    incident = incident_of(database)
    # Told in the words the channel and the timeline use for the change.
    assert "*Status*: Investigating → Identified" in run(slack, incident, "status identified")
    assert "*Status*: Identified → Monitoring" in run(
        slack, incident, "status Monitoring", user=BOB
    )
    assert "resolved" in run(slack, incident, "close")
    reply = run(slack, incident, "reopen")
    assert "reopened" in reply
    assert "is not resolved" in run(slack, incident, "reopen")

    incident = incident_of(database)
    assert incident.status == "investigating" and incident.resolved_at is None
    assert incident.identified_at and incident.mitigated_at
    with database.connection_context():
        history = [
            (s.from_status, s.status, s.changed_by, s.source)
            for s in StatusChange.select().order_by(StatusChange.id)
        ]
        audit = [(a.action, a.old_value, a.new_value) for a in AuditEntry.select()]
    assert history == [
        (None, "investigating", ALICE, "declare"),
        ("investigating", "identified", ALICE, "command"),
        ("identified", "monitoring", BOB, "command"),
        ("monitoring", "resolved", ALICE, "command"),
        ("resolved", "investigating", ALICE, "command"),
    ]
    assert ("status", "monitoring", "resolved") in audit
    kinds = [e.kind for e in timeline.entries(incident.id)]
    assert kinds.count("status") == 4


def test_resolving_tells_the_channel_the_announcement_and_the_lead(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Checkout down")
    incident = incident_of(database)
    run(slack, incident, "close", user=BOB)
    slack.wait_for_call(
        "chat.postMessage", where=lambda c: c.params.get("channel") == BOB, timeout=10
    )
    said = [m["text"] for m in slack.messages(incident.channel_id)]
    assert any("is *resolved*" in text and "Lasted" in text for text in said)
    dm = slack.dms(BOB)[-1]["text"]
    assert f"https://incidents.example.com/incidents/{incident.id}" in dm
    announcement = next(m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts)
    assert "Resolved" in str(announcement["blocks"])
    actions = [
        e["action_id"]
        for b in announcement["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert actions == ["incident_reopen"]
    # Who resolved it is named, not notified; the review DM comes once per resolution.
    assert any("is *resolved* by bob." in text for text in said)
    assert not any(f"<@{BOB}>" in text for text in said if "is *resolved*" in text)
    assert len([m for m in slack.dms(BOB) if "is resolved" in m["text"]]) == 1
    thread = [
        m for m in slack.messages(INCIDENTS) if m.get("thread_ts") == incident.announcement_ts
    ]
    assert thread and "resolved" in thread[-1]["text"]


def test_severity_lead_summary_impact_and_topic(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Slow search", lead=None, severity=None)
    incident = incident_of(database)
    assert "Severity is one of" in run(slack, incident, "severity 7")
    assert "SEV1 Critical" in run(slack, incident, "severity critical")
    assert f"<@{CAROL}>" in run(slack, incident, "lead @carol")
    assert f"<@{ALICE}>" in run(slack, incident, "lead")
    assert "Summary:" in run(slack, incident, "summary")
    run(slack, incident, "summary Index rebuild after the deploy")
    run(slack, incident, "impact Search takes 10 s for everyone")
    assert "already so" in run(slack, incident, "severity 1")

    incident = incident_of(database)
    assert (incident.severity, incident.lead_id) == (1, ALICE)
    assert incident.summary == "Index rebuild after the deploy"
    assert incident.acknowledged_at is not None
    slack.wait_for_call(
        "conversations.setTopic",
        where=lambda c: "Lead: alice" in c.params.get("topic", ""),
        timeout=10,
    )
    channel = slack.channels[incident.channel_id]
    assert channel["topic"]["value"].startswith("SEV1 Critical | Lead: alice |")
    slack.wait_for_call(
        "chat.update", where=lambda c: "Search takes 10 s" in str(c.params), timeout=10
    )
    opening = next(
        m for m in slack.messages(incident.channel_id) if m["ts"] == incident.opening_message_ts
    )
    assert "SEV1 Critical" in str(opening["blocks"]) and "Search takes 10 s" in str(opening)


def test_unknown_subcommand_gets_one_line_and_notes_go_to_the_timeline(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Cache stampede")
    incident = incident_of(database)
    assert run(slack, incident, "frobnicate") == (
        "No command “frobnicate”: `/incident help` lists them all."
    )
    assert "/incident note" in run(slack, incident, "help")
    assert "empty note" in run(slack, incident, "note")
    assert "Added" in run(slack, incident, "note Disabled the cron job at 14:02")
    [note] = [e for e in timeline.entries(incident.id) if e.kind == "note"]
    assert (note.text, note.author_id, note.author_name) == (
        "Disabled the cron job at 14:02",
        ALICE,
        "alice",
    )
    assert "Open for" in run(slack, incident, "duration")


def test_rename_keeps_the_prefix(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Old name")
    incident = incident_of(database)
    assert "Renamed to #inc-0001-payments-root-cause" in run(
        slack, incident, "rename Payments: root cause"
    )
    assert slack.channels[incident.channel_id]["name"] == "inc-0001-payments-root-cause"
    assert incident_of(database).channel_name == "inc-0001-payments-root-cause"
    # On the timeline and in the audit, once, with who did it and how.
    [entry] = timeline_of(database, incident.id, "renamed")
    assert entry.text == "Channel renamed: #inc-0001-old-name → #inc-0001-payments-root-cause"
    assert (entry.author_id, entry.source) == (ALICE, "command")
    with database.connection_context():
        [audit] = AuditEntry.select().where(AuditEntry.action == "renamed")
    assert (audit.actor_id, audit.source, audit.old_value, audit.new_value) == (
        ALICE,
        "command",
        "inc-0001-old-name",
        "inc-0001-payments-root-cause",
    )
    slack.add_channel("inc-0001-taken")
    assert "is taken" in run(slack, incident, "rename taken")
    assert len(timeline_of(database, incident.id, "renamed")) == 1


def test_follow_up_actions_and_done_button(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Backups failing")
    incident = incident_of(database)
    assert run(slack, incident, "action Add an alert @bob").startswith("Added as follow-up action")
    run(slack, incident, "action Write the runbook")
    # Bob asks for the list: it is his to see and click.
    listing = slack.slash_command("actions", user=BOB, channel=incident.channel_id)
    assert "2 open follow-up action(s)" in (listing.response or {}).get("text", "")
    assert "• `1` Add an alert — <@U061F7AUR>" in answer(listing)
    with database.connection_context():
        first = FollowUpAction.select().order_by(FollowUpAction.id).first()
    assert (first.title, first.owner_id, first.created_by) == ("Add an alert", BOB, ALICE)
    clicked = slack.click(
        "followup_done", value=str(first.id), user=BOB, channel=incident.channel_id
    )
    assert clicked.ok
    again = slack.click("followup_done", value=str(first.id), user=BOB, channel=incident.channel_id)
    assert again.ok
    # The click is acknowledged at once; the list is redrawn through its response_url.
    slack.wait_for_call("response_url", where=lambda c: "done by" in json.dumps(c.params))
    # The list the click came from is redrawn in place: one list, now showing it done.
    lists = [e for e in slack.ephemerals if "open follow-up action" in (e.get("text") or "")]
    assert len(lists) == 1 and "done by" in json.dumps(lists[0]["blocks"])
    with database.connection_context():
        first = FollowUpAction.get_by_id(first.id)
        done_audit = AuditEntry.select().where(AuditEntry.action == "action_done").count()
    assert (first.done, first.done_by) == (True, BOB)
    assert done_audit == 1
    # Each follow-up is on the timeline when added and when done, by who did it.
    with database.connection_context():
        entries = [
            (e.text, e.author_id)
            for e in TimelineEvent.select()
            .where(TimelineEvent.kind == Kind.ACTION)
            .order_by(TimelineEvent.id)
        ]
    assert entries == [
        (f"Follow-up added: Add an alert (owner <@{BOB}>)", ALICE),
        ("Follow-up added: Write the runbook (no owner)", ALICE),
        ("Follow-up done: Add an alert", BOB),
    ]


def test_a_follow_up_can_say_when_it_is_due_and_where_it_is_tracked(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Backups failing")
    incident = incident_of(database)
    run(
        slack,
        incident,
        "action Add an alert @bob due 2026-12-18 ticket https://jira.example.com/browse/OPS-12",
    )
    said = heard(slack, incident, "*Follow-up added*").params["text"]
    assert "for <@U061F7AUR>: Add an alert" in said
    assert "due 18 Dec 2026" in said and "<https://jira.example.com/browse/OPS-12|ticket>" in said
    with database.connection_context():
        item = FollowUpAction.get()
    assert item.title == "Add an alert" and item.owner_id == BOB
    # Due by the end of that day where the team works (Europe/London by default).
    assert item.due_at == dt.datetime(2026, 12, 19, 0, 0, tzinfo=dt.UTC)
    assert item.ticket_url == "https://jira.example.com/browse/OPS-12"
    with database.connection_context():
        entry = TimelineEvent.get(TimelineEvent.kind == Kind.ACTION)
    assert entry.text == (
        f"Follow-up added: Add an alert (owner <@{BOB}>; due 2026-12-18; "
        "ticket <https://jira.example.com/browse/OPS-12>)"
    )
    listing = answer(slack.slash_command("actions", channel=incident.channel_id))
    assert "due 18 Dec 2026" in listing
    for bad, told in (
        ("action Rotate keys due tomorrow", "A due date is a day written YYYY-MM-DD"),
        ("action Rotate keys ticket javascript:alert(1)", "A ticket is a link starting with"),
    ):
        assert told in run(slack, incident, bad)
    with database.connection_context():
        assert FollowUpAction.select().count() == 1


def test_a_follow_ups_fields_end_its_text_and_the_same_words_inside_it_stay_words(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "DNS")
    incident = incident_of(database)
    for typed, title, ticket in (
        # As Slack sends them with "Escape channels, users, and links" on.
        (
            "action Explain the delay due to DNS to customers due 2026-12-18",
            "Explain the delay due to DNS to customers",
            None,
        ),
        ("action Update the ticket template", "Update the ticket template", None),
        (
            "action Fix it ticket <https://jira.example.com/OPS-7>.",
            "Fix it",
            "https://jira.example.com/OPS-7",
        ),
        (
            "action Fix it ticket <https://jira.example.com/OPS-1|OPS-1>",
            "Fix it",
            "https://jira.example.com/OPS-1",
        ),
        (
            "action Pin the package ticket <https://www.npmjs.com/package/@bob/bolt>",
            "Pin the package",
            "https://www.npmjs.com/package/@bob/bolt",
        ),
        (
            "action Read it ticket <https://x.example/a?b=1&amp;c=2>",
            "Read it",
            "https://x.example/a?b=1&c=2",
        ),
    ):
        said = answer(slack.slash_command(typed, channel=incident.channel_id, raw=True))
        assert said.startswith("Added as follow-up action"), (typed, said)
        with database.connection_context():
            item = FollowUpAction.select().order_by(FollowUpAction.id.desc()).first()
        assert (item.title, item.ticket_url, item.owner_id) == (title, ticket, None), typed


def test_list_and_help_outside_incident_channels(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    assert "No open incidents" in answer(slack.slash_command("list"))
    declare(slack, "One")
    declare(slack, "Two", private=["private"])
    # Carol is in no private incident's channel: she hears of the public one only.
    listing = answer(slack.slash_command("list", user=CAROL))
    assert "1 open incident(s)" in listing and "One" in listing and "Two" not in listing
    # Alice declared the private one and is in its channel: she sees it, marked private.
    mine = answer(slack.slash_command("list", user=ALICE))
    assert "2 open incident(s)" in mine and "2: Two* — " in mine and ":lock: private" in mine
    # From inside its channel it is always listed, even when the bot missed the join that
    # put the person there (here: Bob's membership forgotten).
    with database.connection_context():
        private = Incident.get_by_id(2)
    with database.connection_context():
        ChannelMember.delete().where(ChannelMember.user_id == BOB).execute()
    assert "Two" not in answer(slack.slash_command("list", user=BOB))
    assert "Two" in answer(slack.slash_command("list", user=BOB, channel=private.channel_id))
    assert "/incident new" in answer(slack.slash_command("help", channel=GENERAL))


def test_new_declares_from_inside_an_incident_channel(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "First")
    incident = incident_of(database)
    slack.slash_command("new Second thing", channel=incident.channel_id)
    view = slack.wait_for_view(callback_id="incident_declare")
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"] == "Second thing"


def test_a_retried_command_changes_nothing_twice(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Retries")
    incident = incident_of(database)
    delivery = slack.slash_command("note only once", channel=incident.channel_id)
    assert delivery.ok
    again = slack.deliver("slash_commands", delivery.payload)
    assert "Already done" in answer(again)
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "note").count() == 1
    # The channel hears it once.
    heard(slack, incident, "*Note* from")
    settle()
    assert lines(slack, incident, "*Note*") == [":memo: *Note* from alice: only once"]


def test_mentions_take_the_same_words_and_redelivery_is_ignored(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Mentioned")
    incident = incident_of(database)
    event = {
        "type": "app_mention",
        "user": BOB,
        "channel": incident.channel_id,
        "text": "<@U06HBQK1R2S> severity 1",
        "ts": slack.post_message(incident.channel_id, BOB, "<@U06HBQK1R2S> severity 1"),
    }
    first = slack.send_event(event, event_id="Ev0MENTION01")
    assert first.ok
    slack.wait_for_call(
        "chat.postEphemeral", where=lambda c: c.params.get("user") == BOB, timeout=10
    )
    again = slack.send_event(event, event_id="Ev0MENTION01", retry_num=1)
    assert again.ok
    assert incident_of(database).severity == 1
    replies = [c for c in slack.calls_to("chat.postEphemeral") if c.params.get("user") == BOB]
    assert len(replies) == 1 and "SEV1 Critical" in replies[0].params["text"]


@pytest.mark.parametrize("mode", ["http"])
def test_private_incident_is_not_announced(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Secret", private=["private"])
    incident = incident_of(database)
    assert incident.is_private
    assert slack.channels[incident.channel_id]["is_private"]
    assert incident.announcement_ts is None
    assert slack.messages(INCIDENTS) == []
    assert "resolved" in run(slack, incident, "close")
    assert slack.messages(INCIDENTS) == []


def test_commands_in_an_incident_channel_renamed_by_hand_still_work(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Channels are known by id: one renamed outside the bot keeps working, bare /incident
    there opens Update, and the stored name follows Slack's channel_rename event."""
    from slack_sdk import WebClient

    from testkit.harness import BOT_TOKEN

    declare(slack, "Renamed by an admin")
    incident = incident_of(database)
    WebClient(token=BOT_TOKEN, base_url=slack.api_url).conversations_rename(
        channel=incident.channel_id, name="payments-war-room"
    )
    assert "*Status*: Investigating → Identified" in run(slack, incident, "status identified")
    assert incident_of(database).status == "identified"
    assert slack.slash_command("", channel=incident.channel_id).ok
    assert slack.wait_for_view(callback_id="incident_update")
    # In an ordinary channel a subcommand's word gets a hint, not a form titled "status".
    hint = answer(slack.slash_command("status of payments is bad", channel=GENERAL))
    assert "works in an incident's own channel" in hint and "/incident new status" in hint
    assert slack.views == {} or all(
        v["callback_id"] != "incident_declare" for v in slack.views.values()
    )
    slack.slash_command("new status of payments is bad", channel=GENERAL)
    view = slack.wait_for_view(callback_id="incident_declare")
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"] == "status of payments is bad"


# -- what the channel hears of notes and follow-ups ------------------------------------------


def test_a_note_is_heard_in_the_channel_naming_its_author_without_a_ping(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Deploy 4812 broke checkout")
    incident = incident_of(database)
    assert run(slack, incident, "note Rolling back deploy 4812 now") == "Added to the timeline."
    posted = heard(slack, incident, "*Note* from")
    assert posted.params["text"] == ":memo: *Note* from alice: Rolling back deploy 4812 now"
    assert pings(posted.params) == set()
    # Words typed to ping, link or break the markup are shown as typed, and act on nothing.
    typed = f"<!here> ask <@{BOB}|bob> about <https://evil.example|the docs> & <#C0OPS|ops> *"
    assert answer(slack.slash_command(f"note {typed}", channel=incident.channel_id, raw=True))
    posted = heard(slack, incident, "ask @bob")
    assert posted.params["text"] == (
        ":memo: *Note* from alice: @here ask @bob about the docs (https://evil.example) "
        "&amp; #ops *"
    )
    assert pings(posted.params) == set() and mentions_in(posted.params) == set()
    with database.connection_context():
        notes = [e.text for e in TimelineEvent.select().where(TimelineEvent.kind == Kind.NOTE)]
    assert notes == [
        "Rolling back deploy 4812 now",
        "@here ask @bob about the docs (https://evil.example) & #ops *",
    ]


def test_a_note_by_mention_is_answered_by_the_channel_line_alone_and_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Cache cold")
    incident = incident_of(database)
    text = f"<@{BOT_USER}> note Cache warmed from the replica"
    event = {
        "type": "app_mention",
        "user": BOB,
        "channel": incident.channel_id,
        "text": text,
        "ts": slack.post_message(incident.channel_id, BOB, text, raw=True),
    }
    assert slack.send_event(event, event_id="Ev0NOTE00001").ok
    heard(slack, incident, "*Note* from")
    assert slack.send_event(event, event_id="Ev0NOTE00001", retry_num=1).ok
    settle()
    assert lines(slack, incident, "*Note*") == [
        ":memo: *Note* from bob: Cache warmed from the replica"
    ]
    # Its own message and the channel's line say it: no ephemeral besides.
    assert not [e for e in slack.ephemerals if e.get("user") == BOB]
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == Kind.NOTE).count() == 1


def test_a_long_note_is_one_section_in_the_channel_and_whole_on_the_timeline(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Long notes")
    incident = incident_of(database)
    long = " ".join(["findings<&>"] * 900)  # 10,799 characters, each escaped ones longer
    assert mention_event(slack, incident.channel_id, ALICE, f"<@{BOT_USER}> note {long}").ok
    posted = heard(slack, incident, "*Note* from")
    [section] = posted.params["blocks"]
    assert posted.params["text"].endswith("… _(the rest is on the timeline)_")
    assert len(posted.params["text"]) <= 3000 and section["text"]["text"] == posted.params["text"]
    with database.connection_context():
        assert TimelineEvent.get(TimelineEvent.kind == Kind.NOTE).text == long


def test_a_note_whose_post_answer_is_lost_is_in_the_channel_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Lossy network")
    incident = incident_of(database)
    slack.faults.lose_answer("chat.postMessage")
    assert run(slack, incident, "note Traffic moved to eu-west") == "Added to the timeline."
    # The bot looks for its own post before posting again, and finds it.
    slack.wait_for_call(
        "conversations.history",
        where=lambda c: c.params.get("channel") == incident.channel_id,
        timeout=10,
    )
    settle()
    said = lines(slack, incident, "*Note*")
    assert said == [":memo: *Note* from alice: Traffic moved to eu-west"]
    assert not [c for c in slack.calls_to("response_url") if "Your note" in str(c.params)]


@pytest.mark.parametrize("mode", ["http"])
@pytest.mark.parametrize(
    ("code", "told"),
    [
        ("not_in_channel", "the bot is not in the channel; invite it with `/invite`"),
        (
            "channel_not_found",
            "Slack cannot find the channel (deleted, or private without the bot)",
        ),
        ("is_archived", "the channel is archived"),
        ("ratelimited", "Slack is rate limiting the app just now"),
    ],
)
def test_a_note_the_channel_could_not_hear_is_stored_and_its_author_told(
    slack: FakeSlack, bot: RunningBot, database, code: str, told: str
) -> None:
    declare(slack, "Slack says no")
    incident = incident_of(database)
    if code == "ratelimited":
        # Longer than the bot waits out for one post: it gives up and says so.
        slack.faults.rate_limit("chat.postMessage", retry_after=900)
    else:
        slack.faults.error("chat.postMessage", code)
    assert run(slack, incident, "note Failover started") == "Added to the timeline."
    # Through the command's response_url: only the person who typed it sees it.
    said = slack.wait_for_call(
        "response_url", where=lambda c: "Your note" in str(c.params.get("text")), timeout=10
    ).params["text"]
    assert said == (
        f"Your note is on the timeline, but <#{incident.channel_id}> was not told: "
        f"{told} (`{code}`)."
    )
    assert not lines(slack, incident, "*Note*")
    with database.connection_context():
        assert [e.text for e in TimelineEvent.select().where(TimelineEvent.kind == Kind.NOTE)] == [
            "Failover started"
        ]


def test_a_mentioned_note_the_channel_could_not_hear_is_told_in_its_thread(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Archived under us")
    incident = incident_of(database)
    parent = slack.post_message(incident.channel_id, BOB, "what happened at 14:00?")
    slack.faults.error("chat.postMessage", "is_archived")
    assert mention_event(
        slack, incident.channel_id, BOB, f"<@{BOT_USER}> note DNS flapped", thread_ts=parent
    ).ok
    told = slack.wait_for_call(
        "chat.postEphemeral", where=lambda c: c.params.get("user") == BOB, timeout=10
    )
    assert told.params["text"] == (
        f"Your note is on the timeline, but <#{incident.channel_id}> was not told: "
        "the channel is archived (`is_archived`)."
    )
    assert told.params["thread_ts"] == parent
    with database.connection_context():
        assert TimelineEvent.get(TimelineEvent.kind == Kind.NOTE).text == "DNS flapped"


def test_follow_ups_added_and_done_are_heard_in_the_channel(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Backups failing")
    incident = incident_of(database)
    run(slack, incident, "action Add an alert @bob due 2026-12-18 ticket https://t.example/OPS-1")
    added = heard(slack, incident, "*Follow-up added*")
    # The owner is asked to do it: mentioned, once. Who added it is named.
    assert added.params["text"] == (
        f":clipboard: *Follow-up added* by alice for <@{BOB}>: Add an alert — due 18 Dec 2026, "
        "<https://t.example/OPS-1|ticket>"
    )
    assert pings(added.params) == {f"<@{BOB}>"}
    run(slack, incident, "action Write the runbook")
    assert heard(slack, incident, "*Follow-up added*", 2).params["text"] == (
        ":clipboard: *Follow-up added* by alice: Write the runbook"
    )
    run(slack, incident, "action Page the DBA @channel @alice", user=ALICE)
    mine = heard(slack, incident, "*Follow-up added*", 3)
    assert mine.params["text"] == (
        ":clipboard: *Follow-up added* by alice, who owns it: Page the DBA @channel"
    )
    assert pings(mine.params) == set()

    slack.slash_command("actions", user=BOB, channel=incident.channel_id)
    with database.connection_context():
        first = FollowUpAction.select().order_by(FollowUpAction.id).first()
    for _ in range(2):  # a second click changes nothing, and says nothing
        assert slack.click(
            "followup_done", value=f"{first.id}:0", user=BOB, channel=incident.channel_id
        ).ok
    done = heard(slack, incident, "*Follow-up done*")
    assert done.params["text"] == ":white_check_mark: *Follow-up done* by bob: Add an alert"
    assert pings(done.params) == set()
    settle()
    assert len(lines(slack, incident, "*Follow-up done*")) == 1
    assert len(lines(slack, incident, "*Follow-up added*")) == 3


def test_a_follow_up_by_mention_is_answered_by_the_channel_line(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Mentioned follow-ups")
    incident = incident_of(database)
    assert slack.say(incident.channel_id, BOB, "@incident-bot action Rotate the keys @carol").ok
    assert heard(slack, incident, "*Follow-up added*").params["text"] == (
        f":clipboard: *Follow-up added* by bob for <@{CAROL}>: Rotate the keys"
    )
    settle()
    assert not [e for e in slack.ephemerals if e.get("user") == BOB]


@pytest.mark.parametrize("mode", ["http"])
def test_done_the_channel_could_not_hear_is_stored_and_the_clicker_told(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Done, quietly")
    incident = incident_of(database)
    run(slack, incident, "action Add an alert")
    heard(slack, incident, "*Follow-up added*")
    slack.slash_command("actions", user=BOB, channel=incident.channel_id)
    with database.connection_context():
        item = FollowUpAction.get()
    slack.faults.error("chat.postMessage", "not_in_channel")
    assert slack.click("followup_done", value=f"{item.id}:0", user=BOB, channel=incident.channel_id)
    told = slack.wait_for_call(
        "response_url", where=lambda c: "marked done" in str(c.params.get("text")), timeout=10
    )
    assert told.params["text"] == (
        f"Follow-up action {item.id} is marked done, but <#{incident.channel_id}> was not told: "
        "the bot is not in the channel; invite it with `/invite` (`not_in_channel`)."
    )
    with database.connection_context():
        assert FollowUpAction.get_by_id(item.id).done_by == BOB


# -- a word that is no command -------------------------------------------------------------


def test_a_typo_gets_one_line_with_the_closest_command(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Typos")
    incident = incident_of(database)
    assert run(slack, incident, "staus identified") == (
        "No command “staus”. Did you mean `/incident status`? (`/incident help` lists them all)"
    )
    assert incident_of(database).status == "investigating"
    assert run(slack, incident, "nots the cache is warm").startswith(
        "No command “nots”. Did you mean `/incident note`?"
    )
    assert "Did you mean `/incident list`?" in run(slack, incident, "lsit")
    # Nothing close: where the list is, in one line.
    assert run(slack, incident, "please close it") == (
        "No command “please”: `/incident help` lists them all."
    )
    # What was typed is shown, never acted on.
    odd = answer(slack.slash_command("<!here>", channel=incident.channel_id, raw=True))
    assert odd == "No command “@here”: `/incident help` lists them all."
    # Help itself is still the whole help.
    full = run(slack, incident, "help")
    assert full.startswith("*In an incident channel*") and "/incident list" in full
    assert len(full.splitlines()) > 10
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == Kind.NOTE).count() == 0


def test_a_typo_after_a_mention_gets_the_same_one_line(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Typos by mention")
    incident = incident_of(database)
    assert slack.say(incident.channel_id, BOB, "@incident-bot clsoe").ok
    told = slack.wait_for_call(
        "chat.postEphemeral", where=lambda c: c.params.get("user") == BOB, timeout=10
    )
    assert told.params["text"] == (
        "No command “clsoe”. Did you mean `/incident close`? (`/incident help` lists them all)"
    )
    assert incident_of(database).status == "investigating"


def test_a_change_line_names_who_made_it_without_a_ping(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Queue backlog")
    incident = incident_of(database)
    run(slack, incident, "severity 1", user=BOB)
    posted = heard(slack, incident, "*Severity*")
    assert posted.params["text"].endswith("(by bob)")
    assert pings(posted.params) == set()


def test_a_follow_up_can_be_given_to_someone_and_the_channel_hears_it(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Nobody's job")
    incident = incident_of(database)
    run(slack, incident, "action Rotate the leaked key")
    with database.connection_context():
        item = FollowUpAction.get()
    # The list gives each open follow-up its number, to name it by.
    assert f"• `{item.id}` Rotate the leaked key" in run(slack, incident, "actions")
    assert run(slack, incident, f"assign {item.id} @bob") == (
        f"Follow-up action {item.id} is assigned."
    )
    said = heard(slack, incident, "*Follow-up assigned*")
    assert said.params["text"] == (
        f":clipboard: *Follow-up assigned* by alice to <@{BOB}>: Rotate the leaked key"
    )
    assert pings(said.params) == {f"<@{BOB}>"}  # asked to do it: notified
    with database.connection_context():
        assert FollowUpAction.get_by_id(item.id).owner_id == BOB
        [audit] = AuditEntry.select().where(AuditEntry.action == "action_assigned")
    assert (audit.actor_id, audit.source, audit.old_value, audit.new_value) == (
        ALICE,
        "command",
        None,
        BOB,
    )
    [entry] = [e for e in timeline_of(database, incident.id, "action") if "assigned" in e.text]
    assert entry.text == f"Follow-up assigned to <@{BOB}>: Rotate the leaked key"
    # Bob takes it back from nobody: already his; a wrong number says how.
    assert "already" in run(slack, incident, f"assign {item.id} @bob", user=BOB)
    assert "has no follow-up action 999" in run(slack, incident, "assign 999 @bob")
    assert "Which follow-up?" in run(slack, incident, "assign @bob")
    settle()
    assert len(lines(slack, incident, "*Follow-up assigned*")) == 1


def test_the_topic_changes_only_when_what_it_shows_changes(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Each topic set is a line of Slack's in the channel beside the bot's own: a status
    change (not in the topic) sets none; a severity change sets it once."""
    declare(slack, "Quiet topic")
    incident = incident_of(database)
    topics = len(slack.calls_to("conversations.setTopic"))
    run(slack, incident, "status identified")
    run(slack, incident, "summary A bad deploy")
    heard(slack, incident, "*Summary* is now")
    settle()
    assert len(slack.calls_to("conversations.setTopic")) == topics
    run(slack, incident, "severity 1")
    slack.wait_for_call("conversations.setTopic", count=topics + 1, timeout=10)
    settle()
    assert len(slack.calls_to("conversations.setTopic")) == topics + 1
    assert slack.channels[incident.channel_id]["topic"]["value"].startswith(
        "SEV1 Critical | Lead: bob |"
    )
    said = [m for m in slack.messages(incident.channel_id) if "set the channel topic" in str(m)]
    assert len(said) == topics + 1


def test_a_reopen_by_status_says_the_status_and_a_lead_change_pings_only_the_new_lead(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Back again", lead=BOB)
    incident = incident_of(database)
    run(slack, incident, "lead @carol")
    said = heard(slack, incident, "*Lead*")
    assert said.params["text"] == f"*Lead*: bob → <@{CAROL}> (by alice)"
    assert pings(said.params) == {f"<@{CAROL}>"}
    run(slack, incident, "close")
    run(slack, incident, "status monitoring")
    back = heard(slack, incident, "*reopened*")
    assert back.params["text"].endswith("is *reopened* by alice: back to Monitoring.")
