"""Pins become timeline entries exactly once, whatever Slack redelivers."""

from __future__ import annotations

from bot.domain import timeline
from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from testkit.harness import ALICE, BOB, GENERAL, RunningBot
from tests.bot.flows import declare


def pins_of(number: int) -> list:
    return [e for e in timeline.entries(number) if e.kind == "pin"]


def _incident(database) -> Incident:
    with database.connection_context():
        return Incident.get()


def test_duplicated_pin_delivery_stores_one_entry(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Duplicates")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "the graph looks wrong")
    first = slack.pin(incident.channel_id, ts, ALICE)
    assert first.ok
    calls_before = len(slack.calls)
    event = first.payload
    # Slack retries with the same event_id: once as a plain retry, once more as a late one.
    for retry in (1, 2):
        again = slack.deliver("events_api", event, retry_num=retry, retry_reason="http_timeout")
        assert again.ok
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 1
    posts = [c for c in slack.calls[calls_before:] if c.method.startswith("chat.")]
    assert posts == []


def test_pin_unpin_pin_again(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Pin twice")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "deploy rolled back")
    assert slack.pin(incident.channel_id, ts, ALICE).ok
    assert slack.unpin(incident.channel_id, ts, ALICE).ok
    assert slack.pin(incident.channel_id, ts, BOB).ok
    [entry] = pins_of(incident.id)
    assert entry.added_by_id == BOB


def test_pins_outside_incident_channels_are_ignored(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    ts = slack.post_message(GENERAL, BOB, "lunch at noon")
    assert slack.pin(GENERAL, ts, ALICE).ok
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 0


def test_pinned_bot_message_is_kept_with_the_bot_name(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Bot pins")
    incident = _incident(database)
    # Pinning the bot's own opening message: the pinner is a person, so Bolt lets it through.
    assert slack.pin(incident.channel_id, incident.opening_message_ts, ALICE).ok
    [entry] = pins_of(incident.id)
    assert entry.message_ts == incident.opening_message_ts
    assert entry.author_name
