"""The timeline reaction: a message is on the timeline while someone's reaction holds it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.domain import timeline
from fakeslack import FakeSlack
from models import AuditEntry, Incident, TimelineEvent
from testkit.harness import ALICE, BOB, CAROL, GENERAL, RunningBot, running_bot
from tests.bot.flows import declare


def _incident(database) -> Incident:
    with database.connection_context():
        return Incident.get()


def _rows(database, *, removed: bool = False) -> list[TimelineEvent]:
    """Entries for Slack messages (the bot writes others, such as "declared") on the
    timeline, or (`removed`) taken off it."""
    with database.connection_context():
        return list(
            TimelineEvent.select()
            .where(
                TimelineEvent.kind.in_(timeline.MESSAGE_KINDS)
                & (
                    TimelineEvent.removed_at.is_null(False)
                    if removed
                    else TimelineEvent.removed_at.is_null()
                )
            )
            .order_by(TimelineEvent.id)
        )


def _audit(database) -> list[tuple[str | None, str, str]]:
    with database.connection_context():
        return [
            (row.actor_id, row.source, row.action)
            for row in AuditEntry.select().order_by(AuditEntry.id)
            if row.action.startswith("timeline_")
        ]


def _chat_posts(slack: FakeSlack, since: int = 0) -> list[str]:
    return [c.method for c in slack.calls[since:] if c.method.startswith("chat.post")]


def test_reaction_adds_the_message_and_the_last_one_removed_takes_it_off(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Reactions")
    incident = _incident(database)
    channel = incident.channel_id
    ts = slack.post_message(channel, BOB, "orders-db primary at 100% connections")
    before = len(slack.calls)

    assert slack.react(channel, ts, ALICE).ok
    [entry] = _rows(database)
    assert (entry.kind, entry.message_ts, entry.text) == (
        "reaction",
        ts,
        "orders-db primary at 100% connections",
    )
    assert (entry.reacted, entry.pinned, entry.shortcut) == (True, False, False)
    assert entry.author_id == BOB and entry.author_name == "bob"
    assert entry.added_by_id == ALICE
    assert entry.permalink.endswith(f"/archives/{channel}/p{ts.replace('.', '')}")
    [fetch] = slack.calls_to("reactions.get")
    assert (fetch.params["channel"], fetch.params["timestamp"]) == (channel, ts)

    # A second person reacting changes nothing; one of two taking theirs back keeps it.
    assert slack.react(channel, ts, CAROL).ok
    assert slack.unreact(channel, ts, ALICE).ok
    [kept] = _rows(database)
    assert kept.id == entry.id and kept.reacted
    assert slack.unreact(channel, ts, CAROL).ok
    assert _rows(database) == []
    assert _chat_posts(slack, before) == []
    # Off the timeline, not out of the record: who took it off and when, and the audit.
    [gone] = _rows(database, removed=True)
    assert gone.id == entry.id and gone.removed_by_id == CAROL and gone.removed_at is not None
    assert gone.text == "orders-db primary at 100% connections"
    assert _audit(database) == [
        (ALICE, "reaction", "timeline_add"),
        (CAROL, "reaction", "timeline_remove"),
    ]
    # Reacting again brings the same entry back, audited again.
    assert slack.react(channel, ts, BOB).ok
    [back] = _rows(database)
    assert back.id == entry.id and back.removed_at is None and back.removed_by_id is None
    assert _audit(database)[-1] == (BOB, "reaction", "timeline_add")


def test_retried_reaction_deliveries_store_one_entry(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Retried reactions")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "error rate back under 1%")
    first = slack.react(incident.channel_id, ts, ALICE)
    assert first.ok
    before = len(slack.calls)
    for retry in (1, 2, 3):
        assert slack.deliver("events_api", first.payload, retry_num=retry).ok
    assert len(_rows(database)) == 1
    assert _chat_posts(slack, before) == []

    removed = slack.unreact(incident.channel_id, ts, ALICE)
    assert removed.ok and _rows(database) == []
    # A late copy of the first reaction finds no reaction on the message: it stays off.
    assert slack.deliver("events_api", first.payload, retry_num=1).ok
    assert _rows(database) == []


def test_unreacting_keeps_a_pinned_message(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Pinned and reacted")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "rolled back to v41")
    assert slack.pin(incident.channel_id, ts, ALICE).ok
    assert slack.react(incident.channel_id, ts, CAROL).ok
    assert slack.unreact(incident.channel_id, ts, CAROL).ok
    [entry] = _rows(database)
    assert (entry.pinned, entry.reacted) == (True, False)
    assert entry.kind == "pin" and entry.added_by_id == ALICE


def test_a_reaction_on_a_thread_reply(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Threads")
    incident = _incident(database)
    parent = slack.post_message(incident.channel_id, ALICE, "what changed at 13:00?")
    reply = slack.post_message(incident.channel_id, BOB, "deploy of checkout v42", thread_ts=parent)
    assert slack.react(incident.channel_id, reply, ALICE).ok
    [entry] = _rows(database)
    assert (entry.message_ts, entry.text) == (reply, "deploy of checkout v42")
    assert f"thread_ts={parent}" in entry.permalink


def test_other_emoji_and_other_channels_are_ignored(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Ignore")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "looking")
    assert slack.react(incident.channel_id, ts, ALICE, "eyes").ok
    elsewhere = slack.post_message(GENERAL, BOB, "lunch?")
    assert slack.react(GENERAL, elsewhere, ALICE).ok
    assert _rows(database) == []
    assert slack.calls_to("reactions.get") == []


@pytest.fixture
def star_bot(slack: FakeSlack, database, database_url: str, mode: str) -> Iterator[RunningBot]:
    with running_bot(slack, mode, database_url, {"TIMELINE_REACTION": ":star:"}) as running:
        yield running


def test_the_reaction_is_configurable(slack: FakeSlack, star_bot: RunningBot, database) -> None:
    declare(slack, "Stars")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "found it")
    assert slack.react(incident.channel_id, ts, ALICE).ok  # :pushpin: means nothing here
    assert _rows(database) == []
    assert slack.react(incident.channel_id, ts, ALICE, "star::skin-tone-3").ok
    [entry] = _rows(database)
    assert entry.message_ts == ts and entry.reacted
    # The opening message tells the channel the emoji that works here.
    opening = [
        c.params
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("channel") == incident.channel_id
        and "How this channel works" in json.dumps(c.params.get("blocks"))
    ]
    assert opening and "react with :star:" in json.dumps(opening[0]["blocks"])
    assert ":pushpin:" not in json.dumps(opening[0]["blocks"])


@pytest.mark.parametrize("mode", ["http"])
def test_a_reaction_on_a_ts_slack_would_not_send_is_acked_and_left(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Odd reactions")
    channel = _incident(database).channel_id
    before = len(slack.calls_to("reactions.get"))
    for ts in ("not-a-ts", "", "1.2.3"):
        answer = slack.send_event(
            {
                "type": "reaction_added",
                "user": ALICE,
                "reaction": "pushpin",
                "item": {"type": "message", "channel": channel, "ts": ts},
                "item_user": BOB,
            }
        )
        assert answer.status == 200, ts
    assert len(slack.calls_to("reactions.get")) == before
    assert _rows(database) == []
