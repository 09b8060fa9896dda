"""Slack's faults (lost answers, a 429 storm on one method, the apps.connections.open
budget), who can post and invite where, mentions in what the bot posts, metadata in history,
renames and the ssl_check request."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack
from fakeslack.manifest import AppManifest
from fakeslack.ratelimits import RateLimit

ALICE, BOB, CAROL, BOT = "U024BE7LH", "U061F7AUR", "U07CAROL01", "U06HBQK1R2S"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"
BOT_TOKEN, APP_TOKEN = "xoxb-test-token", "xapp-test-token"


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        call()
    return dict(raised.value.response.data)


# -- faults ------------------------------------------------------------------------------


def test_a_lost_answer_still_posts(slack: FakeSlack) -> None:
    bare = WebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])
    slack.faults.lose_answer("chat.postMessage")
    with pytest.raises(OSError):
        bare.chat_postMessage(channel=GENERAL, text="did it post?")
    assert [m["text"] for m in slack.messages(GENERAL)] == ["did it post?"]
    # slack_sdk's default client retries a dropped connection once: a second post.
    default = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    slack.faults.lose_answer("chat.postMessage")
    assert default.chat_postMessage(channel=GENERAL, text="again")["ok"]
    assert [m["text"] for m in slack.messages(GENERAL)][-2:] == ["again", "again"]


def test_a_rate_limit_storm_hits_one_method(slack: FakeSlack, client: WebClient) -> None:
    slack.faults.rate_limit_for("chat.postMessage", 0.3, retry_after=7)
    for _ in range(3):
        body = error_of(lambda: client.chat_postMessage(channel=GENERAL, text="x"))
        assert body["error"] == "ratelimited"
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=GENERAL, text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert client.conversations_info(channel=GENERAL)["ok"]  # other methods unaffected
    time.sleep(0.35)
    assert client.chat_postMessage(channel=GENERAL, text="after")["ok"]
    assert slack.refusals == []  # injected, not the fake's own rule


def test_connections_open_has_a_tier_1_budget(slack: FakeSlack) -> None:
    app = WebClient(token=APP_TOKEN, base_url=slack.api_url)
    assert slack.connections_open_limit == RateLimit(per_minute=1, burst=5)
    for _ in range(5):
        assert app.apps_connections_open(app_token=APP_TOKEN)["ok"]
    with pytest.raises(SlackApiError) as raised:
        app.apps_connections_open(app_token=APP_TOKEN)
    assert raised.value.response.status_code == 429
    assert 1 <= int(raised.value.response.headers["Retry-After"]) <= 60
    assert [c.error for c in slack.refusals] == ["ratelimited"]
    slack.reset()
    assert app.apps_connections_open(app_token=APP_TOKEN)["ok"]
    slack.connections_open_limit = None
    for _ in range(10):
        assert app.apps_connections_open(app_token=APP_TOKEN)["ok"]


# -- who can post and invite where ---------------------------------------------------------


def test_post_message_where_the_bot_is_not(slack: FakeSlack, client: WebClient) -> None:
    # #incidents is public and the bot is not in it: fine with chat:write.public...
    assert client.chat_postMessage(channel=INCIDENTS, text="headline")["ok"]
    slack.use_manifest(AppManifest(bot_scopes=frozenset({"chat:write"}), bot_events=frozenset()))
    assert error_of(lambda: client.chat_postMessage(channel=INCIDENTS, text="x"))["error"] == (
        "not_in_channel"
    )
    secret = slack.add_channel("secret", is_private=True, members=[ALICE])
    assert error_of(lambda: client.chat_postMessage(channel=secret, text="x"))["error"] == (
        "channel_not_found"
    )
    theirs = slack.add_dm(ALICE, BOB)
    assert error_of(lambda: client.chat_postMessage(channel=theirs, text="x"))["error"] == (
        "channel_not_found"
    )
    assert client.chat_postMessage(channel=BOB, text="dm")["ok"]  # the app's own DM


def test_invite_refuses_guests_and_deactivated_people(slack: FakeSlack, client: WebClient) -> None:
    slack.add_user("U0GUEST001", "gus", is_restricted=True)
    slack.add_user("U0SINGLE01", "sid", is_ultra_restricted=True)
    slack.add_user("U0GONE0001", "gone", deleted=True)
    slack.add_user("U0EXT00001", "erin", team_id="T0PARTNER1")
    channel = client.conversations_create(name="inc-1")["channel"]["id"]
    body = error_of(lambda: client.conversations_invite(channel=channel, users=[BOB, "U0GUEST001"]))
    assert body["error"] == "user_is_restricted"
    assert BOB not in slack.channels[channel]["members"]  # nothing happens without force
    body = client.conversations_invite(
        channel=channel,
        users=[BOB, "U0GUEST001", "U0SINGLE01", "U0GONE0001", "U0EXT00001"],
        force=True,
    ).data
    assert body["ok"] and BOB in slack.channels[channel]["members"]
    assert {e["user"]: e["error"] for e in body["errors"]} == {
        "U0GUEST001": "user_is_restricted",
        "U0SINGLE01": "ura_max_channels",
        "U0GONE0001": "cant_invite",
        "U0EXT00001": "no_external_invite_permission",
    }
    assert slack.users["U0SINGLE01"]["is_restricted"] is True


def test_a_workspace_can_forbid_creating_channels(slack: FakeSlack, client: WebClient) -> None:
    slack.workspace_policy(create_channels=False)
    assert error_of(lambda: client.conversations_create(name="inc-2"))["error"] == (
        "restricted_action"
    )
    slack.reset()  # a setting, kept
    assert error_of(lambda: client.conversations_create(name="inc-2"))["error"] == (
        "restricted_action"
    )
    slack.workspace_policy(create_channels=True)
    assert client.conversations_create(name="inc-2")["ok"]


# -- mentions ------------------------------------------------------------------------------


def test_mentions_in_what_the_bot_posts() -> None:
    message = {
        "text": "Incident <!here|here> declared by <@U024BE7LH|alice>",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "see <#C1|general> <https://x.example|x>"},
            },
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "<!channel> is literal here"},
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "<!subteam^S1> <!date^1|x>"}],
            },
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "broadcast", "range": "everyone"},
                            {"type": "user", "user_id": "U2"},
                        ],
                    }
                ],
            },
        ],
    }
    assert FakeSlack.mentions_in(message) == {
        "<!here>",
        "<@U024BE7LH>",
        "<#C1>",
        "<https://x.example>",
        "<!subteam^S1>",
        "<!everyone>",
        "<@U2>",
    }
    assert FakeSlack.mentions_in(message["blocks"][1:2]) == set()
    assert FakeSlack.mentions_in("a &lt;!here&gt; b") == set()


# -- history, renames, ssl_check -----------------------------------------------------------


def test_metadata_comes_back_only_when_asked(slack: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "incident_posted", "event_payload": {"incident": 42}}
    client.chat_postMessage(channel=GENERAL, text="headline", metadata=metadata)
    [plain] = client.conversations_history(channel=GENERAL)["messages"]
    assert "metadata" not in plain
    [full] = client.conversations_history(channel=GENERAL, include_all_metadata=True)["messages"]
    assert full["metadata"] == metadata
    replies = client.conversations_replies(
        channel=GENERAL, ts=full["ts"], include_all_metadata=True
    )
    assert replies["messages"][0]["metadata"] == metadata
    bad = error_of(
        lambda: client.chat_postMessage(channel=GENERAL, text="x", metadata={"event_type": "x"})
    )
    assert bad["error"] == "invalid_metadata_format"


def test_rename_channel(slack: FakeSlack, receiver: Any) -> None:
    channel = slack.add_channel("inc-3-db", members=[ALICE, BOT])
    delivery = slack.rename_channel(channel, ALICE, "inc-3-db-failover")
    assert delivery.ok and delivery.payload is not None
    event = delivery.payload["event"]
    assert event["type"] == "channel_rename"
    assert {k: event["channel"][k] for k in ("id", "name")} == {
        "id": channel,
        "name": "inc-3-db-failover",
    }
    assert isinstance(event["channel"]["created"], int)
    assert slack.deliveries[-1].payload["event"]["subtype"] == "channel_name"  # type: ignore[index]
    slack.slash_command("status", channel=channel)
    assert receiver.requests[-1].form()["channel_name"] == "inc-3-db-failover"
    with pytest.raises(ValueError, match="name_taken"):
        slack.rename_channel(channel, ALICE, "general")


def test_ssl_check(slack: FakeSlack, receiver: Any) -> None:
    assert slack.ssl_check().ok
    request = receiver.requests[-1]
    assert request.content_type == "application/x-www-form-urlencoded"
    form = dict(urllib.parse.parse_qsl(request.body.decode()))
    assert form["ssl_check"] == "1" and form["token"]
    assert request.signature_valid
