"""Socket Mode: the connection survives Slack's disconnect frames and redelivers safely."""

from __future__ import annotations

import pytest

from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from testkit.harness import ALICE, BOB, RunningBot
from tests.bot.flows import declare


@pytest.mark.parametrize("mode", ["socket"])
@pytest.mark.parametrize("reason", ["warning", "refresh_requested", "link_disabled"])
def test_disconnect_frame_reconnects_and_keeps_working(
    slack: FakeSlack, bot: RunningBot, database, reason: str
) -> None:
    opened = len(slack.calls_to("apps.connections.open"))
    slack.disconnect(reason)
    slack.wait_for_call("apps.connections.open", count=opened + 1, timeout=5)
    slack.wait_for_socket_connections(1)
    declare(slack, f"After {reason}")
    with database.connection_context():
        assert Incident.select().count() == 1


@pytest.mark.parametrize("mode", ["socket"])
def test_redelivered_envelope_is_stored_once(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Redelivery")
    with database.connection_context():
        incident = Incident.get()
    ts = slack.post_message(incident.channel_id, BOB, "spike at 13:05")
    first = slack.pin(incident.channel_id, ts, ALICE)
    assert first.ok
    again = slack.deliver("events_api", first.payload, retry_num=1, retry_reason="timeout")
    assert again.ok
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 1
