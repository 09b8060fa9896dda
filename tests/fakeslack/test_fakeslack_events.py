"""Which events reach the app: only subscribed ones, only from conversations the bot is in;
`say` adds `app_mention`; people from other organisations carry their team; the log of
deliveries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakeslack import FakeSlack
from fakeslack.manifest import AppManifest, SlashCommand

ALICE, BOB, BOT = "U024BE7LH", "U061F7AUR", "U06HBQK1R2S"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"
EVERYTHING = AppManifest.permissive()


def only(*events: str, scopes: frozenset[str] = EVERYTHING.bot_scopes) -> AppManifest:
    return AppManifest(
        bot_scopes=scopes,
        bot_events=frozenset(events),
        commands=(SlashCommand("/incident", True),),
    )


def events_of(receiver: Any) -> list[dict[str, Any]]:
    return [json.loads(r.body)["event"] for r in receiver.requests]


def test_unsubscribed_events_are_not_delivered(slack: FakeSlack, receiver: Any) -> None:
    slack.use_manifest(only("pin_added"))
    ts = slack.post_message(GENERAL, ALICE, "hello")
    reaction = slack.react(GENERAL, ts)
    assert not reaction.delivered and not reaction.ok
    assert reaction.error == "not_subscribed:reaction_added"
    assert slack.pin(GENERAL, ts).ok
    assert [e["type"] for e in events_of(receiver)] == ["pin_added"]
    # Raw injection still delivers whatever it is given.
    assert slack.send_event({"type": "reaction_added", "user": ALICE}).ok


def test_events_need_the_scope_behind_the_subscription(slack: FakeSlack, receiver: Any) -> None:
    slack.use_manifest(only("message.channels", scopes=frozenset({"chat:write"})))
    delivery = slack.say(GENERAL, ALICE, "hi")
    assert delivery.error == "missing_scope:channels:history" and not receiver.requests


def test_events_come_only_from_conversations_the_bot_is_in(slack: FakeSlack, receiver: Any) -> None:
    # #incidents has Alice and Bob but not the bot.
    ts = slack.post_message(INCIDENTS, ALICE, "where is the bot?")
    assert slack.pin(INCIDENTS, ts).error == "not_in_conversation"
    assert slack.say(INCIDENTS, ALICE, "hello?").error == "not_in_conversation"
    assert not slack.join(INCIDENTS, FakeSlack.CAROL).delivered
    assert not receiver.requests
    # Once the bot joins, Slack tells it (member_joined_channel fires for its own join).
    assert slack.join(INCIDENTS, BOT).ok
    assert slack.say(INCIDENTS, ALICE, "hello").ok


def test_message_subscription_follows_the_kind_of_conversation(
    slack: FakeSlack, receiver: Any
) -> None:
    private = slack.add_channel("inc-9", is_private=True, members=[ALICE, BOT])
    slack.use_manifest(only("message.channels"))
    assert slack.say(GENERAL, ALICE, "public").ok
    assert slack.say(private, ALICE, "private").error == "not_subscribed:message.groups"


def test_say_delivers_message_then_app_mention(slack: FakeSlack, receiver: Any) -> None:
    first = slack.say(GENERAL, ALICE, "@incident-bot sev1 please")
    message, mention = events_of(receiver)
    assert message["type"] == "message" and mention["type"] == "app_mention"
    assert mention["text"] == f"<@{BOT}> sev1 please" and mention["user"] == ALICE
    assert mention["blocks"][0]["elements"][0]["elements"][0] == {"type": "user", "user_id": BOT}
    assert first.payload is not None and first.payload["event"]["type"] == "app_mention"
    assert slack.deliveries[-1] is first and len(slack.deliveries) == 2
    thread = slack.say(GENERAL, BOB, f"<@{BOT}> in a thread", thread_ts=message["ts"], raw=True)
    assert thread.payload is not None
    assert thread.payload["event"]["thread_ts"] == message["ts"]
    slack.reset()
    assert slack.deliveries == []


def test_app_mention_alone_when_messages_are_not_subscribed(
    slack: FakeSlack, receiver: Any
) -> None:
    slack.use_manifest(only("app_mention"))
    assert slack.say(GENERAL, ALICE, "no mention").error == "not_subscribed:message.channels"
    assert slack.say(GENERAL, ALICE, "hey @incident-bot").ok
    assert [e["type"] for e in events_of(receiver)] == ["app_mention"]


def test_someone_from_another_organisation(slack: FakeSlack, receiver: Any) -> None:
    slack.add_user("U0EXT00001", "erin", team_id="T0PARTNER1")
    shared = slack.add_channel("ext-acme-partner", members=[ALICE, BOT, "U0EXT00001"])
    assert slack.channels[shared]["is_ext_shared"]
    slack.say(shared, "U0EXT00001", "hello from outside")
    body = json.loads(receiver.requests[-1].body)
    assert body["is_ext_shared_channel"] is True and body["team_id"] == FakeSlack.TEAM_ID
    event = body["event"]
    assert (event["team"], event["user_team"], event["source_team"]) == ("T0PARTNER1",) * 3
    with pytest.raises(ValueError, match="another organisation"):
        slack.slash_command("declare", user="U0EXT00001", channel=shared)
    ts = slack.post_message(shared, ALICE, "x")
    with pytest.raises(ValueError, match="another organisation"):
        slack.message_shortcut("declare_from_message", shared, ts, user="U0EXT00001")
