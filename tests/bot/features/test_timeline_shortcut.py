"""The "Add to incident timeline" message shortcut."""

from __future__ import annotations

from bot.domain import timeline
from bot.features.timeline_shortcut import CALLBACK_ID
from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from testkit.harness import ALICE, BOB, CAROL, GENERAL, RunningBot
from tests.bot.flows import declare


def _incident(database) -> Incident:
    with database.connection_context():
        return Incident.get()


def _rows(database) -> list[TimelineEvent]:
    with database.connection_context():
        return list(
            TimelineEvent.select()
            .where(TimelineEvent.kind.in_(timeline.MESSAGE_KINDS))
            .order_by(TimelineEvent.id)
        )


def _answer(slack: FakeSlack, count: int = 1) -> dict:
    """The count-th thing the bot said back through the shortcut's response_url."""
    call = slack.wait_for_call(
        "response_url",
        # Not the declaration's confirmation, which reached the reporter the same way.
        where=lambda c: "is declared" not in str(c.params.get("text")),
        count=count,
        timeout=10,
    )
    assert call.ok and call.params["response_type"] == "ephemeral"
    return call.params


def test_shortcut_adds_any_message_and_says_so(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Shortcut")
    incident = _incident(database)
    files = [{"name": "p95.png", "title": "p95 latency"}]
    ts = slack.post_message(incident.channel_id, BOB, "latency graph attached", files=files)
    before = len(slack.calls)
    delivery = slack.message_shortcut(CALLBACK_ID, incident.channel_id, ts, CAROL)
    assert delivery.ok
    assert _answer(slack)["text"] == f"Added to the timeline of incident {incident.id}."
    assert slack.ephemerals[-1]["user"] == CAROL
    [entry] = _rows(database)
    assert (entry.kind, entry.message_ts, entry.text) == ("shortcut", ts, "latency graph attached")
    assert (entry.shortcut, entry.pinned, entry.reacted) == (True, False, False)
    assert (entry.author_id, entry.added_by_id) == (BOB, CAROL)
    assert entry.files and entry.files[0]["name"] == "p95 latency"
    assert entry.permalink.endswith(f"p{ts.replace('.', '')}")
    # Only the person who asked hears about it: nothing is posted in the channel.
    assert [c.method for c in slack.calls[before:] if c.method.startswith("chat.post")] == []


def test_repeated_shortcut_keeps_one_entry(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Shortcut twice")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "cache flushed")
    first = slack.message_shortcut(CALLBACK_ID, incident.channel_id, ts, ALICE)
    assert first.ok
    _answer(slack)
    # The same payload again (a double click, a resent request): one row still.
    assert slack.deliver("interactive", first.payload).ok
    assert _answer(slack, 2)["text"] == (
        f"That message is already on the timeline of incident {incident.id}."
    )
    assert len(_rows(database)) == 1


def test_shortcut_hold_survives_unpinning(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Shortcut and pin")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "customer tickets spiking")
    assert slack.pin(incident.channel_id, ts, ALICE).ok
    assert slack.message_shortcut(CALLBACK_ID, incident.channel_id, ts, BOB).ok
    assert "already on the timeline" in _answer(slack)["text"]
    assert slack.unpin(incident.channel_id, ts, ALICE).ok
    [entry] = _rows(database)
    assert (entry.pinned, entry.shortcut) == (False, True)


def test_shortcut_outside_an_incident_channel_explains(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    ts = slack.post_message(GENERAL, BOB, "is checkout slow for anyone?")
    assert slack.message_shortcut(CALLBACK_ID, GENERAL, ts, ALICE).ok
    assert "not an incident channel" in _answer(slack)["text"]
    assert slack.ephemerals[-1]["user"] == ALICE
    assert _rows(database) == []
