"""Channels are archived ARCHIVE_AFTER_DAYS after resolution, once."""

from __future__ import annotations

import datetime as dt

from bot.archiver import archive_due
from bot.slack_client import make_client
from fakeslack import FakeSlack
from models import Incident
from tests.bot.flows import declare
from tests.bot.harness import BOT_TOKEN, RunningBot


def test_resolved_channels_are_archived_once_after_the_delay(slack: FakeSlack, bot: RunningBot,
                                                             database) -> None:
    declare(slack, "Done soon")
    declare(slack, "Still open")
    with database.connection_context():
        first, second = Incident.select().order_by(Incident.id)
    slack.slash_command("close", channel=first.channel_id)
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
