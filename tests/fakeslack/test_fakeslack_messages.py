"""Reactions, edits, deletions, joins, message shortcuts and reading history: the state the
fake keeps, the Web API methods that read it, and the events in Slack's shapes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from fakeslack import FakeSlack

ALICE, BOB, CAROL, BOT = "U024BE7LH", "U061F7AUR", "U07CAROL01", "U06HBQK1R2S"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"
SAMPLES = Path(os.environ.get("FAKESLACK_SAMPLES", "/work/shared/slack-samples"))


def delivered(receiver: Any) -> dict[str, Any]:
    req = receiver.requests[-1]
    if req.content_type == "application/json":
        return dict(req.json())
    return dict(json.loads(req.form()["payload"]))


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


# -- reactions ---------------------------------------------------------------------------


def test_react_and_unreact_keep_one_entry_per_emoji(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    ts = slack.post_message(GENERAL, BOB, "db failover done")
    assert slack.react(GENERAL, ts, ALICE).ok
    event = delivered(receiver)["event"]
    assert event == {
        "type": "reaction_added",
        "user": ALICE,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": GENERAL, "ts": ts},
        "item_user": BOB,
        "event_ts": event["event_ts"],
    }
    slack.react(GENERAL, ts, CAROL, ":pushpin:")
    got = client.reactions_get(channel=GENERAL, timestamp=ts, full=True)
    assert got["type"] == "message" and got["channel"] == GENERAL
    assert got["message"]["text"] == "db failover done"
    assert got["message"]["reactions"] == [{"name": "pushpin", "users": [ALICE, CAROL], "count": 2}]
    assert got["message"]["permalink"].endswith(f"/archives/{GENERAL}/p{ts.replace('.', '')}")

    slack.unreact(GENERAL, ts, ALICE)
    assert delivered(receiver)["event"]["type"] == "reaction_removed"
    assert client.reactions_get(channel=GENERAL, timestamp=ts)["message"]["reactions"] == [
        {"name": "pushpin", "users": [CAROL], "count": 1}
    ]
    slack.unreact(GENERAL, ts, CAROL)
    assert "reactions" not in client.reactions_get(channel=GENERAL, timestamp=ts)["message"]


def test_reacting_twice_or_unreacting_nothing_is_refused(slack: FakeSlack, receiver: Any) -> None:
    ts = slack.post_message(GENERAL, BOB, "hello")
    slack.react(GENERAL, ts, ALICE, "eyes")
    with pytest.raises(ValueError, match="already_reacted"):
        slack.react(GENERAL, ts, ALICE, "eyes")
    with pytest.raises(ValueError, match="no_reaction"):
        slack.unreact(GENERAL, ts, BOB, "eyes")
    assert len(receiver.requests) == 1


def test_bot_reactions_through_the_web_api(slack: FakeSlack, client: WebClient) -> None:
    ts = slack.post_message(GENERAL, BOB, "ack")
    client.reactions_add(channel=GENERAL, timestamp=ts, name="white_check_mark")
    assert (
        error_of(
            lambda: client.reactions_add(channel=GENERAL, timestamp=ts, name="white_check_mark")
        )
        == "already_reacted"
    )
    [reaction] = client.reactions_get(channel=GENERAL, timestamp=ts)["message"]["reactions"]
    assert reaction["users"] == [BOT]
    client.reactions_remove(channel=GENERAL, timestamp=ts, name="white_check_mark")
    assert (
        error_of(
            lambda: client.reactions_remove(channel=GENERAL, timestamp=ts, name="white_check_mark")
        )
        == "no_reaction"
    )
    assert error_of(lambda: client.reactions_get(channel=GENERAL, timestamp="1.000100")) == (
        "message_not_found"
    )
    assert error_of(lambda: client.reactions_get(channel=GENERAL)) == "no_item_specified"


# -- edits and deletions -----------------------------------------------------------------


def test_edit_delivers_message_changed_with_both_texts(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    ts = slack.post_message(GENERAL, BOB, "cause: disk full")
    assert slack.edit_message(GENERAL, ts, "cause: connection pool exhausted").ok
    event = delivered(receiver)["event"]
    assert event["type"] == "message" and event["subtype"] == "message_changed"
    assert event["hidden"] is True and event["channel"] == GENERAL
    assert event["channel_type"] == "channel"
    assert event["message"]["ts"] == event["previous_message"]["ts"] == ts
    assert event["message"]["text"] == "cause: connection pool exhausted"
    assert event["previous_message"]["text"] == "cause: disk full"
    assert event["message"]["edited"] == {"user": BOB, "ts": event["ts"]}
    assert event["ts"] == event["event_ts"] and float(event["ts"]) > float(ts)
    [stored] = client.conversations_history(channel=GENERAL, latest=ts, inclusive=True, limit=1)[
        "messages"
    ]
    assert stored["text"] == "cause: connection pool exhausted"
    with pytest.raises(ValueError, match="cant_update_message"):
        slack.edit_message(GENERAL, ts, "not mine", ALICE)


def test_delete_delivers_message_deleted_and_drops_the_pin(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    ts = slack.post_message(GENERAL, BOB, "wrong channel, sorry")
    slack.pin(GENERAL, ts, ALICE)
    assert slack.delete_message(GENERAL, ts, BOB).ok
    event = delivered(receiver)["event"]
    assert event["subtype"] == "message_deleted" and event["deleted_ts"] == ts
    assert event["previous_message"]["text"] == "wrong channel, sorry"
    assert "user" not in event
    assert slack.channels[GENERAL]["pins"] == []
    assert error_of(lambda: client.reactions_get(channel=GENERAL, timestamp=ts)) == (
        "message_not_found"
    )
    with pytest.raises(ValueError, match="message_not_found"):
        slack.delete_message(GENERAL, ts)


def test_deleting_a_thread_parent_leaves_a_tombstone(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    parent = slack.post_message(GENERAL, BOB, "status thread")
    slack.post_message(GENERAL, ALICE, "reply", thread_ts=parent)
    slack.delete_message(GENERAL, parent)
    event = delivered(receiver)["event"]
    assert event["subtype"] == "message_changed"
    assert event["message"]["subtype"] == "tombstone"
    assert event["message"]["ts"] == parent
    assert event["previous_message"]["text"] == "status thread"
    thread = client.conversations_replies(channel=GENERAL, ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["This message was deleted.", "reply"]


# -- reading history ---------------------------------------------------------------------


def test_history_reads_one_message_and_skips_thread_replies(
    slack: FakeSlack, client: WebClient
) -> None:
    first = slack.post_message(GENERAL, BOB, "one")
    reply = slack.post_message(GENERAL, ALICE, "in thread", thread_ts=first)
    second = slack.post_message(GENERAL, BOB, "two")
    answer = client.conversations_history(channel=GENERAL, latest=first, inclusive=True, limit=1)
    assert [m["ts"] for m in answer["messages"]] == [first]
    assert answer["latest"] == first
    everything = client.conversations_history(channel=GENERAL)
    assert [m["ts"] for m in everything["messages"]] == [second, first]
    assert reply not in [m["ts"] for m in everything["messages"]]
    exclusive = client.conversations_history(channel=GENERAL, latest=second, limit=10)
    assert [m["ts"] for m in exclusive["messages"]] == [first]

    page = client.conversations_history(channel=GENERAL, limit=1)
    assert page["has_more"] is True
    rest = client.conversations_history(
        channel=GENERAL, limit=1, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["ts"] for m in rest["messages"]] == [first] and rest["has_more"] is False


def test_history_needs_the_bot_in_the_channel(slack: FakeSlack, client: WebClient) -> None:
    # The seeded #incidents channel has people but not the bot.
    assert error_of(lambda: client.conversations_history(channel=INCIDENTS)) == "not_in_channel"
    assert (
        error_of(lambda: client.conversations_history(channel=GENERAL, latest="soon"))
        == "invalid_ts_latest"
    )


def test_replies_from_the_parent_or_any_reply(slack: FakeSlack, client: WebClient) -> None:
    parent = slack.post_message(GENERAL, BOB, "parent")
    one = slack.post_message(GENERAL, ALICE, "one", thread_ts=parent)
    two = slack.post_message(GENERAL, CAROL, "two", thread_ts=parent)
    whole = client.conversations_replies(channel=GENERAL, ts=parent)["messages"]
    assert [m["ts"] for m in whole] == [parent, one, two]
    assert client.conversations_replies(channel=GENERAL, ts=two)["messages"] == whole
    only = client.conversations_replies(
        channel=GENERAL, ts=parent, oldest=two, latest=two, inclusive=True
    )["messages"]
    assert [m["ts"] for m in only] == [parent, two]  # the parent always leads
    lone = slack.post_message(GENERAL, BOB, "no thread")
    assert [
        m["ts"] for m in client.conversations_replies(channel=GENERAL, ts=lone)["messages"]
    ] == [lone]
    assert error_of(lambda: client.conversations_replies(channel=GENERAL, ts="1.000100")) == (
        "thread_not_found"
    )


# -- people and shortcuts ----------------------------------------------------------------


def test_join_delivers_member_joined_channel_in_the_samples_shape(
    slack: FakeSlack, receiver: Any
) -> None:
    channel = slack.add_channel("inc-7-db", members=[ALICE, BOT])
    assert slack.join(channel, CAROL, inviter=ALICE).ok
    # Slack posts a channel_join message too; an app on message.channels hears it after.
    event, message = (json.loads(r.body)["event"] for r in receiver.requests[-2:])
    assert (message["type"], message["subtype"], message["user"]) == (
        "message",
        "channel_join",
        CAROL,
    )
    sample = SAMPLES / "event_member_joined_channel.json"
    if sample.is_file():
        assert set(event) == set(json.loads(sample.read_text())["event"])
    assert (event["type"], event["user"], event["channel"], event["inviter"]) == (
        "member_joined_channel",
        CAROL,
        channel,
        ALICE,
    )
    assert CAROL in slack.channels[channel]["members"]
    [joined] = [m for m in slack.messages(channel) if m.get("subtype") == "channel_join"]
    assert joined["user"] == CAROL and joined["ts"] == event["event_ts"]
    with pytest.raises(ValueError, match="already_in_channel"):
        slack.join(channel, CAROL)
    slack.join(channel, BOB)
    assert "inviter" not in json.loads(receiver.requests[-2].body)["event"]


def test_say_delivers_a_plain_message_event(slack: FakeSlack, receiver: Any) -> None:
    private = slack.add_channel("inc-8-secret", is_private=True, members=[ALICE, BOT])
    delivery = slack.say(private, ALICE, "anyone seeing 502s?")
    event = delivered(receiver)["event"]
    assert event["ts"] == delivery.payload["event"]["ts"]
    assert (event["type"], event["text"], event["channel_type"]) == (
        "message",
        "anyone seeing 502s?",
        "group",
    )
    assert "subtype" not in event
    assert slack.messages(private)[-1]["text"] == "anyone seeing 502s?"


def test_message_shortcut_payload_and_its_response_url(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    ts = slack.post_message(GENERAL, BOB, "rollback finished at 14:02")
    assert slack.message_shortcut("add_to_timeline", GENERAL, ts, ALICE).ok
    payload = delivered(receiver)
    assert payload["type"] == "message_action"
    assert payload["callback_id"] == "add_to_timeline"
    assert payload["message_ts"] == payload["message"]["ts"] == ts
    assert payload["message"]["text"] == "rollback finished at 14:02"
    assert payload["message"]["user"] == BOB
    assert payload["channel"] == {"id": GENERAL, "name": "general"}
    assert payload["user"]["id"] == ALICE and payload["team"]["id"] == slack.TEAM_ID
    # The trigger opens a modal and the response_url answers the person, as in Slack.
    client.views_open(
        trigger_id=payload["trigger_id"],
        view={"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []},
    )
    WebhookClient(payload["response_url"]).send(text="Added.", response_type="ephemeral")
    assert slack.ephemerals[-1]["user"] == ALICE and slack.ephemerals[-1]["text"] == "Added."
    with pytest.raises(ValueError, match="no message"):
        slack.message_shortcut("add_to_timeline", GENERAL, "1.000100")
