"""Timeline messages edited or deleted in Slack; every other message heard and left alone."""

from __future__ import annotations

from bot.domain import timeline
from bot.domain.timeline import Edit
from fakeslack import FakeSlack
from models import AuditEntry, Incident, TimelineEvent
from testkit.harness import ALICE, BOB, RunningBot
from tests.bot.flows import declare


def _incident(database) -> Incident:
    with database.connection_context():
        return Incident.get()


def _entry(database, ts: str) -> TimelineEvent:
    with database.connection_context():
        return TimelineEvent.get(TimelineEvent.message_ts == ts)


def _audit(database, action: str) -> list[tuple[str | None, str | None]]:
    with database.connection_context():
        rows = AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id)
        return [(row.old_value, row.new_value) for row in rows]


def _anywhere(database, words: str) -> bool:
    """Whether `words` is still stored anywhere for the incident: its timeline or its
    audit."""
    with database.connection_context():
        texts = [e.text for e in TimelineEvent.select()]
        texts += [str(e.files) for e in TimelineEvent.select()]
        for row in AuditEntry.select():
            texts += [row.old_value or "", row.new_value or "", str(row.details)]
    return any(words in text for text in texts)


def _writes(slack: FakeSlack, since: int) -> list[str]:
    return [c.method for c in slack.calls[since:] if c.method != "users.info"]


def test_edits_update_the_entry_and_are_audited_without_the_text_they_replaced(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """People edit a message to take out what they should not have pasted: the audit,
    which nothing can change, says who edited it and when, never what it said before."""
    declare(slack, "Edits")
    incident = _incident(database)
    channel = incident.channel_id
    ts = slack.post_message(channel, BOB, "cause: disk full")
    assert slack.pin(channel, ts, ALICE).ok
    before = len(slack.calls)

    first = slack.edit_message(channel, ts, "cause: connection pool exhausted")
    assert first.ok
    entry = _entry(database, ts)
    assert entry.text == "cause: connection pool exhausted"
    edited_ts = first.payload["event"]["message"]["edited"]["ts"]
    assert entry.edited_at == timeline.ts_to_datetime(edited_ts)
    assert entry.deleted_at is None

    assert slack.edit_message(channel, ts, "cause: pool exhausted by the 13:00 deploy").ok
    assert _entry(database, ts).text == "cause: pool exhausted by the 13:00 deploy"
    assert _audit(database, "timeline_edit") == [(None, None), (None, None)]
    assert not _anywhere(database, "disk full")
    with database.connection_context():
        actors = {
            row.actor_id for row in AuditEntry.select().where(AuditEntry.action == "timeline_edit")
        }
    assert actors == {BOB}

    # Slack redelivers the first edit: no second audit row, and the newer text stays.
    for retry in (1, 2):
        assert slack.deliver("events_api", first.payload, retry_num=retry).ok
    assert len(_audit(database, "timeline_edit")) == 2
    assert _entry(database, ts).text == "cause: pool exhausted by the 13:00 deploy"
    assert _writes(slack, before) == []


def test_an_edit_arriving_late_is_audited_but_not_applied(database) -> None:
    with database.connection_context():
        incident = Incident.create(title="Late edits", reporter_id=ALICE)
    message = timeline.SlackMessage("1718371411.000200", "v1", BOB, "bob", "")
    timeline.add_message(incident.id, message, "pin")
    second = Edit("1718371411.000200", "v3", "1718371500.000100", BOB)
    first = Edit("1718371411.000200", "v2", "1718371450.000100", BOB)
    assert timeline.edit_message(incident.id, second)
    assert timeline.edit_message(incident.id, first)
    assert not timeline.edit_message(incident.id, first)
    assert _entry(database, "1718371411.000200").text == "v3"
    assert _audit(database, "timeline_edit") == [(None, None), (None, None)]


def test_edits_of_other_messages_change_nothing(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Unrelated edits")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "typo hre")
    before = len(slack.calls)
    assert slack.edit_message(incident.channel_id, ts, "typo here").ok
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.message_ts == ts).count() == 0
    assert _audit(database, "timeline_edit") == []
    assert _writes(slack, before) == []


def test_deletion_marks_the_entry_once(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Deletions")
    incident = _incident(database)
    ts = slack.post_message(incident.channel_id, BOB, "restarting the primary now")
    assert slack.react(incident.channel_id, ts, ALICE).ok
    before = len(slack.calls)
    deleted = slack.delete_message(incident.channel_id, ts, BOB)
    assert deleted.ok
    entry = _entry(database, ts)
    # The entry stays, saying when it was deleted and who put it on the timeline; its words
    # leave the database.
    assert entry.text == "" and entry.files == []
    assert entry.added_by_id == ALICE and entry.author_id == BOB
    assert entry.deleted_at == timeline.ts_to_datetime(deleted.payload["event"]["event_ts"])
    for retry in (1, 2):
        assert slack.deliver("events_api", deleted.payload, retry_num=retry).ok
    assert _audit(database, "timeline_delete") == [(None, None)]
    assert not _anywhere(database, "restarting the primary")
    assert _entry(database, ts).deleted_at == entry.deleted_at
    # Its last source letting go does not make a deleted message vanish from the record.
    assert not timeline.remove_message(incident.id, ts, "reaction")
    assert _entry(database, ts).deleted_at is not None
    assert _writes(slack, before) == []


def test_a_deleted_thread_parent_is_marked_too(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Tombstones")
    incident = _incident(database)
    parent = slack.post_message(incident.channel_id, BOB, "status: failing over")
    slack.post_message(incident.channel_id, ALICE, "ack", thread_ts=parent)
    assert slack.pin(incident.channel_id, parent, ALICE).ok
    assert slack.delete_message(incident.channel_id, parent).ok
    entry = _entry(database, parent)
    assert entry.deleted_at is not None and entry.text == ""
    assert _audit(database, "timeline_edit") == []
    assert _audit(database, "timeline_delete") == [(None, None)]
    assert not _anywhere(database, "failing over")


def test_a_deleted_message_with_edits_and_files_leaves_no_word_behind(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Pasted a password")
    incident = _incident(database)
    channel = incident.channel_id
    ts = slack.post_message(
        channel,
        BOB,
        "db password is hunter2, try it",
        files=[
            {
                "id": "F9",
                "name": "hunter2-screenshot.png",
                "title": "hunter2 login",
                "permalink": "https://acme.slack.com/files/F9",
                "url_private": "https://files.slack.com/F9",
            }
        ],
    )
    assert slack.pin(channel, ts, ALICE).ok
    assert slack.edit_message(channel, ts, "db password is hunter2 (rotating)").ok
    assert slack.delete_message(channel, ts, BOB).ok
    # An edit Slack delivers late, after the deletion, brings nothing back.
    late = Edit(ts, "db password is hunter2!", "1999999999.000100", BOB)
    assert not timeline.edit_message(incident.id, late)
    assert not _anywhere(database, "hunter2")
    assert _entry(database, ts).deleted_at is not None


def test_other_messages_are_acknowledged_and_ignored(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Chatter")
    incident = _incident(database)
    with database.connection_context():
        rows = TimelineEvent.select().count()
    before = len(slack.calls)
    said = slack.say(incident.channel_id, BOB, "anyone looking at the CDN?")
    joined = slack.send_event(
        {
            "type": "message",
            "subtype": "channel_join",
            "user": ALICE,
            "text": f"<@{ALICE}> has joined the channel",
            "channel": incident.channel_id,
            "channel_type": "channel",
            "ts": "1718371304.000200",
        }
    )
    # Acknowledged at once: Slack would otherwise deliver them again and count failures.
    for delivery in (said, joined):
        assert delivery.ok
        assert delivery.retry_attempt in (None, 0)
    assert slack.calls[before:] == []
    with database.connection_context():
        assert TimelineEvent.select().count() == rows
