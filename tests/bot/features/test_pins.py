"""Pins become timeline entries exactly once, whatever Slack redelivers."""

from __future__ import annotations

from bot.domain import timeline
from fakeslack import FakeSlack
from models import AuditEntry, Incident, TimelineEvent
from testkit.harness import ALICE, BOB, CAROL, GENERAL, RunningBot
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
    assert entry.added_by_id == BOB and entry.source == "pin"


def test_an_unpinned_message_leaves_the_timeline_but_not_the_record(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Unpinned")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "we failed over to eu-west-2")
    assert slack.pin(incident.channel_id, ts, ALICE).ok
    assert slack.unpin(incident.channel_id, ts, BOB).ok
    assert pins_of(incident.id) == []
    with database.connection_context():
        [kept] = TimelineEvent.select().where(TimelineEvent.message_ts == ts)
        audit = [
            (a.actor_id, a.source, a.action, a.details["message_ts"])
            for a in AuditEntry.select().order_by(AuditEntry.id)
            if a.action.startswith("timeline_")
        ]
    assert kept.text == "we failed over to eu-west-2" and kept.added_by_id == ALICE
    assert kept.removed_by_id == BOB and kept.removed_at is not None
    assert audit == [(ALICE, "pin", "timeline_add", ts), (BOB, "pin", "timeline_remove", ts)]
    # Marked with the reaction now: back on the timeline as what holds it now.
    assert slack.react(incident.channel_id, ts, CAROL).ok
    [back] = [e for e in timeline.entries(incident.id) if e.message_ts == ts]
    assert (back.id, back.kind, back.source, back.added_by_id) == (
        kept.id,
        "reaction",
        "reaction",
        CAROL,
    )
    # Bob's unpin stays in the entry's story.
    assert back.details == {
        "removals": [{"removed_at": kept.removed_at.isoformat(), "removed_by": BOB}]
    }


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
