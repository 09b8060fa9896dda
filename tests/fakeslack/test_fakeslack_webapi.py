"""Web API methods through the real slack_sdk WebClient: happy paths and Slack's errors."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack

ALICE, BOB, CAROL = "U024BE7LH", "U061F7AUR", "U07CAROL01"
BOT = "U06HBQK1R2S"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"


def error_of(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    return str(info.value.response["error"])


# -- auth ----------------------------------------------------------------------------------


def test_auth_test_answers_the_bot_identity(client: WebClient) -> None:
    data = client.auth_test().data
    assert data == {
        "ok": True,
        "url": "https://acme.slack.com/",
        "team": "Acme Inc",
        "user": "incident-bot",
        "team_id": "T024BE7LD",
        "user_id": BOT,
        "bot_id": "B06HC3KA4TT",
        "is_enterprise_install": False,
    }


def test_missing_and_wrong_tokens_are_rejected(slack: FakeSlack) -> None:
    assert error_of(WebClient(base_url=slack.api_url).auth_test) == "not_authed"
    assert error_of(WebClient(token="xoxb-nope", base_url=slack.api_url).auth_test) == (
        "invalid_auth"
    )
    # The app-level token only opens sockets.
    app_client = WebClient(token="xapp-test-token", base_url=slack.api_url)
    assert error_of(app_client.auth_test) == "not_allowed_token_type"


def test_unknown_method(client: WebClient) -> None:
    assert error_of(client.api_call, "chat.frobnicate") == "unknown_method"


def test_legacy_token_argument_in_a_form_body(slack: FakeSlack) -> None:
    body = b"token=xoxb-test-token&user=U061F7AUR"
    request = urllib.request.Request(slack.api_url + "users.info", data=body, method="POST")
    with urllib.request.urlopen(request) as response:
        data = json.loads(response.read())
    assert data["ok"] is True and data["user"]["name"] == "bob"
    assert slack.calls_to("users.info")[0].token == "xoxb-test-token"


# -- conversations -------------------------------------------------------------------------


def test_conversations_create_returns_a_slack_channel(client: WebClient, slack: FakeSlack) -> None:
    channel = client.conversations_create(name="inc-0042-checkout-latency")["channel"]
    assert channel["id"].startswith("C") and len(channel["id"]) == 11
    assert channel["id"][1:].isalnum() and channel["id"].isupper()
    assert channel["name"] == "inc-0042-checkout-latency"
    assert channel["is_member"] is True and channel["creator"] == BOT
    assert channel["is_private"] is False and channel["is_archived"] is False
    assert channel["topic"] == {"value": "", "creator": "", "last_set": 0}
    assert slack.channels[channel["id"]]["members"] == {BOT}


def test_conversations_create_private(client: WebClient, slack: FakeSlack) -> None:
    channel = client.conversations_create(name="inc-secret", is_private=True)["channel"]
    assert channel["is_private"] is True
    assert slack.channel_by_name("inc-secret")["is_private"] is True


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Inc Checkout!", "invalid_name_specials"),
        ("UPPER", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("---", "invalid_name_punctuation"),
        ("", "invalid_name_required"),
        ("general", "name_taken"),
    ],
)
def test_conversations_create_name_rules(client: WebClient, name: str, error: str) -> None:
    assert error_of(client.conversations_create, name=name) == error


def test_archived_channel_names_stay_taken(client: WebClient, slack: FakeSlack) -> None:
    slack.add_channel("old-incident", archived=True)
    assert error_of(client.conversations_create, name="old-incident") == "name_taken"


def test_conversations_invite(client: WebClient, slack: FakeSlack) -> None:
    cid = client.conversations_create(name="inc-1")["channel"]["id"]
    client.conversations_invite(channel=cid, users=[ALICE, BOB])
    assert slack.channels[cid]["members"] == {BOT, ALICE, BOB}
    # One new user among existing members is fine; only "all already in" fails.
    client.conversations_invite(channel=cid, users=f"{ALICE},{CAROL}")
    assert CAROL in slack.channels[cid]["members"]
    with pytest.raises(SlackApiError) as info:
        client.conversations_invite(channel=cid, users=[BOB])
    assert info.value.response["error"] == "already_in_channel"
    assert info.value.response["errors"] == [
        {"user": BOB, "ok": False, "error": "already_in_channel"}
    ]


def test_conversations_invite_errors(client: WebClient, slack: FakeSlack) -> None:
    cid = client.conversations_create(name="inc-2")["channel"]["id"]
    assert error_of(client.conversations_invite, channel=cid, users="U0NOBODY") == (
        "user_not_found"
    )
    assert error_of(client.conversations_invite, channel=cid, users=BOT) == "cant_invite_self"
    assert error_of(client.conversations_invite, channel=INCIDENTS, users=CAROL) == (
        "not_in_channel"
    )
    assert error_of(client.conversations_invite, channel="C0MISSING00", users=BOB) == (
        "channel_not_found"
    )
    client.conversations_archive(channel=cid)
    assert error_of(client.conversations_invite, channel=cid, users=BOB) == "is_archived"
    # Nobody was invited; the bot itself left with the archive, as apps do.
    assert slack.channels[cid]["members"] == set()


def test_an_archived_channel_cannot_be_unarchived_by_the_bot(
    client: WebClient, slack: FakeSlack
) -> None:
    """conversations.unarchive's page: bot tokens cannot unarchive (a person can: see
    tests/bot/jobs/test_archiver.py)."""
    cid = client.conversations_create(name="inc-back")["channel"]["id"]
    assert error_of(client.conversations_unarchive, channel=cid) == "not_archived"
    client.conversations_archive(channel=cid)
    assert error_of(client.conversations_unarchive, channel=cid) == "not_in_channel"
    assert slack.channels[cid]["is_archived"]


def test_conversations_invite_force_skips_invalid_ids(client: WebClient, slack: FakeSlack) -> None:
    cid = client.conversations_create(name="inc-3")["channel"]["id"]
    response = client.conversations_invite(channel=cid, users=[BOB, "U0NOBODY"], force=True)
    assert response["errors"] == [{"user": "U0NOBODY", "ok": False, "error": "user_not_found"}]
    assert slack.channels[cid]["members"] == {BOT, BOB}


def test_set_topic_updates_the_channel_and_posts_a_topic_message(
    client: WebClient, slack: FakeSlack
) -> None:
    cid = client.conversations_create(name="inc-4")["channel"]["id"]
    channel = client.conversations_setTopic(channel=cid, topic="SEV2 | Lead: bob")["channel"]
    assert channel["topic"]["value"] == "SEV2 | Lead: bob"
    assert channel["topic"]["creator"] == BOT
    [message] = slack.messages(cid)
    assert message["subtype"] == "channel_topic"
    assert message["text"] == "set the channel topic: SEV2 | Lead: bob"
    assert error_of(client.conversations_setTopic, channel=cid, topic="x" * 251) == "too_long"
    assert error_of(client.conversations_setTopic, channel=INCIDENTS, topic="x") == (
        "not_in_channel"
    )


def test_conversations_info_join_members(client: WebClient, slack: FakeSlack) -> None:
    info = client.conversations_info(channel=INCIDENTS, include_num_members=True)["channel"]
    assert info["name"] == "incidents" and info["is_member"] is False
    assert info["num_members"] == 2
    joined = client.conversations_join(channel=INCIDENTS)["channel"]
    assert joined["is_member"] is True
    assert BOT in slack.channels[INCIDENTS]["members"]
    assert client.conversations_join(channel=INCIDENTS)["warning"] == "already_in_channel"
    members = client.conversations_members(channel=INCIDENTS)["members"]
    assert sorted(members) == sorted([ALICE, BOB, BOT])
    first = client.conversations_members(channel=GENERAL, limit=3)
    rest = client.conversations_members(
        channel=GENERAL, cursor=first["response_metadata"]["next_cursor"]
    )
    assert sorted(first["members"] + rest["members"]) == sorted([ALICE, BOB, CAROL, BOT])
    assert rest["response_metadata"]["next_cursor"] == ""


def test_private_channels_are_invisible_to_an_outside_bot(
    client: WebClient, slack: FakeSlack
) -> None:
    cid = slack.add_channel("hr-private", is_private=True, members=[ALICE])
    assert error_of(client.conversations_info, channel=cid) == "channel_not_found"
    assert error_of(client.conversations_join, channel=cid) == "channel_not_found"
    assert error_of(client.chat_postMessage, channel=cid, text="x") == "channel_not_found"
    inside = slack.add_channel("bot-private", is_private=True, members=[ALICE, BOT])
    assert error_of(client.conversations_join, channel=inside) == (
        "method_not_supported_for_channel_type"
    )


def test_archive_and_rename(client: WebClient, slack: FakeSlack) -> None:
    cid = client.conversations_create(name="inc-5")["channel"]["id"]
    renamed = client.conversations_rename(channel=cid, name="inc-5-resolved")["channel"]
    assert renamed["name"] == "inc-5-resolved" and renamed["previous_names"] == ["inc-5"]
    assert error_of(client.conversations_rename, channel=cid, name="general") == "name_taken"
    assert error_of(client.conversations_rename, channel=cid, name="Bad Name") == (
        "invalid_name_specials"
    )
    posted = client.chat_postMessage(channel=cid, text="before the archive")["ts"]
    client.conversations_archive(channel=cid)
    assert slack.channels[cid]["is_archived"] is True
    # chat.update's own word for a message in an archived channel (its method page).
    assert error_of(client.chat_update, channel=cid, ts=posted, text="y") == "is_inactive"
    assert error_of(client.conversations_archive, channel=cid) == "already_archived"
    assert error_of(client.chat_postMessage, channel=cid, text="x") == "is_archived"


# -- chat ----------------------------------------------------------------------------------


def test_post_message_shape_and_ordering(client: WebClient, slack: FakeSlack) -> None:
    blocks = [
        {
            "type": "section",
            "block_id": "headline",
            "text": {"type": "mrkdwn", "text": "*SEV2* checkout"},
        }
    ]
    first = client.chat_postMessage(channel=GENERAL, text="SEV2 checkout", blocks=blocks)
    assert first["channel"] == GENERAL and first["ts"] == first["message"]["ts"]
    assert first["message"] == {
        "user": BOT,
        "type": "message",
        "ts": first["ts"],
        "bot_id": "B06HC3KA4TT",
        "app_id": "A06HC3K9ZQP",
        "text": "SEV2 checkout",
        "team": "T024BE7LD",
        "blocks": blocks,
    }
    second = client.chat_postMessage(channel=GENERAL, text="reply", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["thread_ts"] == first["ts"]
    messages = slack.messages(GENERAL)
    assert [m["ts"] for m in messages] == [first["ts"], second["ts"]]
    assert messages[0]["reply_count"] == 1


def test_post_message_targets_and_errors(client: WebClient, slack: FakeSlack) -> None:
    # The bot is not in #incidents but chat:write.public lets it post there.
    assert client.chat_postMessage(channel=INCIDENTS, text="public")["ok"]
    assert client.chat_postMessage(channel="#general", text="by name")["channel"] == GENERAL
    dm = client.chat_postMessage(channel=BOB, text="you are the lead")
    assert dm["channel"].startswith("D")
    assert [m["text"] for m in slack.dms(BOB)] == ["you are the lead"]
    assert error_of(client.chat_postMessage, channel="C0MISSING00", text="x") == (
        "channel_not_found"
    )
    # api_call directly: the chat_postMessage helper warns about the missing text first.
    assert error_of(client.api_call, "chat.postMessage", json={"channel": GENERAL}) == "no_text"
    assert (
        error_of(
            client.chat_postMessage, channel=GENERAL, text="x", blocks=[{"type": "divider"}] * 51
        )
        == "invalid_blocks"
    )


def test_post_message_accepts_json_strings_in_form_bodies(
    client: WebClient, slack: FakeSlack
) -> None:
    blocks = [{"type": "divider"}]
    client.api_call(
        "chat.postMessage", data={"channel": GENERAL, "text": "form", "blocks": json.dumps(blocks)}
    )
    assert slack.messages(GENERAL)[-1]["blocks"] == blocks
    assert slack.calls_to("chat.postMessage")[-1].params["blocks"] == blocks


def test_chat_update(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel=GENERAL, text="v1")["ts"]
    updated = client.chat_update(channel=GENERAL, ts=ts, text="v2")
    assert updated["text"] == "v2" and updated["ts"] == ts
    assert slack.messages(GENERAL)[0]["text"] == "v2"
    human_ts = slack.post_message(GENERAL, ALICE, "mine")
    assert error_of(client.chat_update, channel=GENERAL, ts=human_ts, text="x") == (
        "cant_update_message"
    )
    assert error_of(client.chat_update, channel=GENERAL, ts="1.000000", text="x") == (
        "message_not_found"
    )


def test_post_ephemeral(client: WebClient, slack: FakeSlack) -> None:
    response = client.chat_postEphemeral(channel=GENERAL, user=ALICE, text="only you")
    assert response["message_ts"]
    assert slack.ephemerals == [
        {
            "channel": GENERAL,
            "user": ALICE,
            "text": "only you",
            "blocks": None,
            "ts": response["message_ts"],
            "thread_ts": None,
        }
    ]
    assert slack.messages(GENERAL) == []
    assert error_of(client.chat_postEphemeral, channel=INCIDENTS, user=ALICE, text="x") == (
        "not_in_channel"
    )
    outsider = slack.add_channel("quiet", members=[BOT, BOB])
    assert error_of(client.chat_postEphemeral, channel=outsider, user=ALICE, text="x") == (
        "user_not_in_channel"
    )
    # The method takes IM channels: the bot's own DM with Bob works...
    dm = client.chat_postMessage(channel=BOB, text="hi")["channel"]
    assert client.chat_postEphemeral(channel=dm, user=BOB, text="x")["ok"]
    # ...a DM between two other people does not exist for the bot.
    theirs = slack.add_dm(ALICE, BOB)
    assert error_of(client.chat_postEphemeral, channel=theirs, user=BOB, text="x") == (
        "channel_not_found"
    )


def test_get_permalink(client: WebClient, slack: FakeSlack) -> None:
    ts = slack.post_message(GENERAL, ALICE, "root cause")
    link = client.chat_getPermalink(channel=GENERAL, message_ts=ts)["permalink"]
    assert link == f"https://acme.slack.com/archives/{GENERAL}/p{ts.replace('.', '')}"


# -- users, pins, bookmarks ----------------------------------------------------------------


def test_users_info(client: WebClient, slack: FakeSlack) -> None:
    alice = client.users_info(user=ALICE)["user"]
    assert alice["name"] == "alice" and alice["real_name"] == "Alice Archer"
    assert alice["profile"]["display_name"] == "alice"
    assert alice["profile"]["real_name"] == "Alice Archer"
    assert alice["is_bot"] is False and alice["tz"]
    assert client.users_info(user=BOT)["user"]["is_bot"] is True
    slack.add_user("U0DAVE0001", "dave", real_name="Dave Dunn", display_name="dd")
    assert client.users_info(user="U0DAVE0001")["user"]["profile"]["display_name"] == "dd"
    assert error_of(client.users_info, user="U0NOBODY") == "user_not_found"


def test_pins_list_add_remove(client: WebClient, slack: FakeSlack) -> None:
    ts = slack.post_message(GENERAL, BOB, "Root cause: pool exhausted")
    client.pins_add(channel=GENERAL, timestamp=ts)
    [item] = client.pins_list(channel=GENERAL)["items"]
    assert item["type"] == "message" and item["channel"] == GENERAL
    assert item["created_by"] == BOT
    assert item["message"]["pinned_to"] == [GENERAL]
    assert item["message"]["permalink"].endswith(ts.replace(".", ""))
    assert error_of(client.pins_add, channel=GENERAL, timestamp=ts) == "already_pinned"
    client.pins_remove(channel=GENERAL, timestamp=ts)
    assert client.pins_list(channel=GENERAL)["items"] == []
    assert "pinned_to" not in slack.messages(GENERAL)[0]


def test_bookmarks_add(client: WebClient, slack: FakeSlack) -> None:
    bookmark = client.bookmarks_add(
        channel_id=GENERAL, title="Incident doc", type="link", link="https://example.com/doc"
    )["bookmark"]
    assert bookmark["id"].startswith("Bk") and bookmark["channel_id"] == GENERAL
    assert slack.channels[GENERAL]["bookmarks"] == [bookmark]
    assert (
        error_of(
            client.bookmarks_add,
            channel_id=INCIDENTS,
            title="x",
            type="link",
            link="https://example.com",
        )
        == "not_in_channel"
    )
