"""Channels are archived ARCHIVE_AFTER_DAYS after resolution, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_sdk import WebClient

from bot.jobs.archiver import archive_due
from bot.slack.client import make_client
from fakeslack import FakeSlack
from models import AuditEntry, Incident, TimelineEvent
from testkit.harness import (
    ALICE,
    BOB,
    BOT_TOKEN,
    BOT_USER,
    CAROL,
    INCIDENTS,
    RunningBot,
    eventually,
)
from tests.bot.flows import declare, incident_of, settle, timeline_of


def resolve(slack: FakeSlack, incident: Incident) -> None:
    """Close it, and let the channel hear so (days pass before any archiving)."""
    assert slack.slash_command("close", channel=incident.channel_id).ok
    slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == incident.channel_id
            and "is *resolved*" in c.params.get("text", "")
        ),
        timeout=10,
    )


def test_resolved_channels_are_archived_once_after_the_delay(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Done soon")
    declare(slack, "Still open")
    with database.connection_context():
        first, second = Incident.select().order_by(Incident.id)
    resolve(slack, first)
    with database.connection_context():
        resolved_at = Incident.get_by_id(first.id).resolved_at
    assert resolved_at is not None
    client = make_client(BOT_TOKEN, slack.api_url)
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=1, hours=23)) == 0
    assert heads_up(slack, first) == []
    # A day before, the channel hears it is coming, once, and how to keep it.
    for _ in range(2):
        assert archive_due(client, 3, resolved_at + dt.timedelta(days=2, minutes=1)) == 0
    [warning] = heads_up(slack, first)
    # The archive is a day after the heads-up (here a minute past the due moment).
    archive_at = int((resolved_at + dt.timedelta(days=3, minutes=1)).timestamp())
    assert f"will be archived <!date^{archive_at}^" in warning
    assert "`/incident reopen`" in warning and "*Reopen* on its announcement" in warning
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=2, hours=23)) == 0
    later = resolved_at + dt.timedelta(days=3, minutes=1)
    assert archive_due(client, 3, later) == 1
    assert archive_due(client, 3, later) == 0  # a second replica, or the next run
    assert slack.channels[first.channel_id]["is_archived"]
    assert not slack.channels[second.channel_id]["is_archived"]
    assert len(slack.calls_to("conversations.archive")) == 1
    assert heads_up(slack, second) == []
    with database.connection_context():
        assert Incident.get_by_id(first.id).channel_archived_at == later
        [entry] = TimelineEvent.select().where(
            (TimelineEvent.incident == first.id) & (TimelineEvent.kind == "archived")
        )
        [audit] = AuditEntry.select().where(
            (AuditEntry.incident == first.id) & (AuditEntry.action == "archived")
        )
    assert (entry.text, entry.source, entry.occurred_at) == ("Channel archived", "scheduler", later)
    assert (audit.source, audit.actor_id, audit.at) == ("scheduler", None, later)


def resolved_one(
    slack: FakeSlack, database, title: str, **values: Any
) -> tuple[Incident, dt.datetime, WebClient]:
    """An incident declared and resolved through Slack; when, and a client to archive with."""
    declare(slack, title, **values)
    incident = incident_of(database)
    resolve(slack, incident)
    resolved_at = incident_of(database).resolved_at
    assert resolved_at is not None
    return incident, resolved_at, make_client(BOT_TOKEN, slack.api_url)


def archived_one(
    slack: FakeSlack, database, title: str, **values: Any
) -> tuple[Incident, dt.datetime, WebClient]:
    """The same, told a day before (ARCHIVE_AFTER_DAYS 3) and archived."""
    incident, resolved_at, client = resolved_one(slack, database, title, **values)
    archive_due(client, 3, resolved_at + dt.timedelta(days=2))
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=3)) == 1
    return incident, resolved_at, client


def heads_up(slack: FakeSlack, incident: Incident) -> list[str]:
    return [
        c.params["text"]
        for c in slack.calls_to("chat.postMessage")
        if c.params["channel"] == incident.channel_id and "will be archived" in c.params["text"]
    ]


def test_a_late_heads_up_still_gives_the_channel_a_day(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """The bot was down when the heads-up was due: the archive waits a day after it."""
    incident, resolved_at, client = resolved_one(slack, database, "Down for the weekend")
    back = resolved_at + dt.timedelta(days=5)
    assert archive_due(client, 3, back) == 0
    [warning] = heads_up(slack, incident)
    assert f"<!date^{int((back + dt.timedelta(days=1)).timestamp())}^" in warning
    assert archive_due(client, 3, back + dt.timedelta(hours=23)) == 0
    assert archive_due(client, 3, back + dt.timedelta(days=1)) == 1


def test_reopening_calls_the_archive_off(slack: FakeSlack, bot: RunningBot, database) -> None:
    incident, resolved_at, client = resolved_one(slack, database, "Not over yet")
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=2, minutes=1)) == 0
    assert len(heads_up(slack, incident)) == 1
    assert slack.slash_command("reopen", channel=incident.channel_id).ok
    assert incident_of(database).archive_warned_at is None
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=4)) == 0
    assert not slack.channels[incident.channel_id]["is_archived"]


def test_a_transient_failure_is_tried_again_and_a_refusal_is_recorded(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Archive me later")
    declare(slack, "Archive me never")
    with database.connection_context():
        first, second = Incident.select().order_by(Incident.id)
    for incident in (first, second):
        resolve(slack, incident)
    with database.connection_context():
        resolved_at = max(i.resolved_at for i in Incident.select())
    client = make_client(BOT_TOKEN, slack.api_url, timeout=5)
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=2)) == 0  # the heads-up
    later = resolved_at + dt.timedelta(days=3, minutes=1)
    # Slack is down for this run (longer than the client's own retries ride out: a client
    # that does not retry stands in for them); the second channel is refused for good later.
    slack.faults.server_error("conversations.archive", 503, times=2)
    assert archive_due(WebClient(token=BOT_TOKEN, base_url=slack.api_url), 3, later) == 0
    with database.connection_context():
        assert Incident.select().where(Incident.channel_archived_at.is_null(False)).count() == 0
    assert not slack.channels[first.channel_id]["is_archived"]
    slack.faults.clear()
    slack.faults.error("conversations.archive", "restricted_action")
    assert archive_due(client, 3, later + dt.timedelta(minutes=30)) == 1
    assert archive_due(client, 3, later + dt.timedelta(hours=1)) == 0
    with database.connection_context():
        done = {
            i.id: (i.channel_archived_at is not None, i.archive_error) for i in Incident.select()
        }
    assert sorted(done.values()) == [(False, "restricted_action"), (True, None)]
    archived = [
        cid for cid in (first.channel_id, second.channel_id) if slack.channels[cid]["is_archived"]
    ]
    assert len(archived) == 1


def test_reopen_on_the_announcement_of_an_archived_incident(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Slack refuses a bot's unarchive (documented), so the bot does not try: the person who
    reopened it is told how to bring the channel back, and when someone does, the record
    follows."""
    incident, resolved_at, client = archived_one(slack, database, "Came back")
    [announcement] = [m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts]
    [button] = [e for b in announcement["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["text"]["text"]) == ("incident_reopen", "Reopen")

    assert slack.click(
        "incident_reopen", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    told = slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("thread_ts") == incident.announcement_ts
            and "reopened" in c.params.get("text", "")
        ),
        timeout=10,
    )
    assert "Slack does not let apps unarchive channels" in told.params["text"]
    assert "*Unarchive*" in told.params["text"] and "`/invite`" in told.params["text"]
    assert incident_of(database).status == "investigating"
    assert slack.calls_to("conversations.unarchive") == []
    assert any("Slack does not let apps unarchive" in str(e) for e in slack.ephemerals)
    assert incident_of(database).channel_archived_at is not None

    # Someone unarchives it in Slack: the record follows, and it can be archived again later.
    assert slack.unarchive_channel(incident.channel_id, CAROL).ok
    eventually(lambda: incident_of(database).channel_archived_at is None, 5, "the channel is back")
    with database.connection_context():
        [entry] = TimelineEvent.select().where(
            (TimelineEvent.incident == incident.id) & (TimelineEvent.kind == "unarchived")
        )
        [audit] = AuditEntry.select().where(
            (AuditEntry.incident == incident.id) & (AuditEntry.action == "unarchived")
        )
    assert (entry.author_id, entry.source) == (CAROL, "slack")
    assert (audit.actor_id, audit.source) == (CAROL, "slack")
    # Slack took the bot out at the archive: it joins the public channel again, and says so.
    back = slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == incident.channel_id
            and "Channel unarchived by carol" in c.params.get("text", "")
        ),
        timeout=10,
    )
    assert "the bot is back in it" in back.params["text"]
    assert BOT_USER in slack.channels[incident.channel_id]["members"]


def test_a_channel_people_unarchive_after_the_incident_is_not_archived_again(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Someone brings a resolved incident's channel back (the review, a late question):
    the bot does not archive it again until the incident is next resolved."""
    incident, resolved_at, client = archived_one(slack, database, "Review time")
    assert slack.unarchive_channel(incident.channel_id, BOB).ok
    eventually(lambda: incident_of(database).channel_archived_at is None, 5, "unarchived")
    slack.wait_for_call("conversations.join", timeout=10)
    later = resolved_at + dt.timedelta(days=10)
    for moment in (later, later + dt.timedelta(days=2)):
        assert archive_due(client, 3, moment) == 0
    assert len(heads_up(slack, incident)) == 1
    assert not slack.channels[incident.channel_id]["is_archived"]


def test_a_private_incidents_channel_comes_back_when_the_bot_is_invited_again(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """group_unarchive goes to members only, and the bot is not one any more: it learns
    when someone invites it back. Its heads-up names no announcement (there is none)."""
    incident, resolved_at, client = resolved_one(slack, database, "Quiet one", private=["private"])
    archive_due(client, 3, resolved_at + dt.timedelta(days=2))
    [warning] = heads_up(slack, incident)
    assert "`/incident reopen` here." in warning and "announcement" not in warning
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=3)) == 1
    slack.unarchive_channel(incident.channel_id, ALICE)  # not delivered: the bot is out
    assert incident_of(database).channel_archived_at is not None
    assert slack.join(incident.channel_id, BOT_USER, inviter=ALICE).ok
    eventually(lambda: incident_of(database).channel_archived_at is None, 5, "unarchived")
    [entry] = [e for e in timeline_of(database, incident.id) if e.kind == "unarchived"]
    assert entry.author_id == ALICE


def test_nothing_is_posted_into_an_archived_channel(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Reopened from the announcement while its channel is archived: an update goes under
    the announcement only (Slack takes no post in an archived channel)."""
    incident, resolved_at, client = archived_one(slack, database, "Still archived")
    assert slack.click(
        "incident_reopen", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    eventually(lambda: incident_of(database).status == "investigating", 5, "reopened")
    slack.wait_for_call(
        "chat.update",
        where=lambda c: (
            c.params.get("ts") == incident.announcement_ts
            and "incident_update" in str(c.params.get("blocks"))
        ),
        timeout=10,
    )
    assert slack.click(
        "incident_update", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    view = slack.wait_for_view(callback_id="incident_update")
    assert slack.submit_view(view["id"], {"message": "Looking again"}, user=BOB).ok
    slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("thread_ts") == incident.announcement_ts
            and "Looking again" in c.params.get("text", "")
        ),
        timeout=10,
    )
    settle()
    into_channel = [
        c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == incident.channel_id
    ]
    assert not [c for c in into_channel if "Looking again" in c.params.get("text", "")]


def test_a_command_in_a_private_channel_unarchived_behind_the_bots_back_reopens_the_record(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident, resolved_at, client = archived_one(slack, database, "Hidden", private=["private"])
    slack.unarchive_channel(incident.channel_id, ALICE)  # group_unarchive: not to the bot
    assert incident_of(database).channel_archived_at is not None
    slack.slash_command("duration", channel=incident.channel_id)
    assert incident_of(database).channel_archived_at is None
    [entry] = [e for e in timeline_of(database, incident.id) if e.kind == "unarchived"]
    assert entry.author_id == ALICE
