"""Channels are archived ARCHIVE_AFTER_DAYS after resolution, once."""

from __future__ import annotations

import datetime as dt

from slack_sdk import WebClient

from bot.jobs.archiver import archive_due
from bot.slack.client import make_client
from fakeslack import FakeSlack
from models import Incident
from testkit.harness import BOT_TOKEN, RunningBot
from tests.bot.flows import declare


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
    assert archive_due(client, 3, resolved_at + dt.timedelta(days=2, hours=23)) == 0
    later = resolved_at + dt.timedelta(days=3, minutes=1)
    assert archive_due(client, 3, later) == 1
    assert archive_due(client, 3, later) == 0  # a second replica, or the next run
    assert slack.channels[first.channel_id]["is_archived"]
    assert not slack.channels[second.channel_id]["is_archived"]
    assert len(slack.calls_to("conversations.archive")) == 1
    with database.connection_context():
        assert Incident.get_by_id(first.id).channel_archived_at == later


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
