"""The app manifest drives the fake: loading Slack's manifest YAML, scopes per method and
conversation kind (`missing_scope`), and switching manifests at run time."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack
from fakeslack.manifest import AppManifest, load_manifest

REPO = Path(__file__).resolve().parents[2]
SOCKET_MANIFEST = REPO / "deploy" / "slack" / "manifest.socket.yaml"
HTTP_MANIFEST = REPO / "deploy" / "slack" / "manifest.http.yaml"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"


def manifest(*scopes: str, events: tuple[str, ...] = (), escape: bool = True) -> AppManifest:
    from fakeslack.manifest import SlashCommand

    return AppManifest(
        bot_scopes=frozenset(scopes),
        bot_events=frozenset(events),
        commands=(SlashCommand("/incident", escape),),
    )


def refusal(call: object) -> dict[str, object]:
    with pytest.raises(SlackApiError) as raised:
        call()  # type: ignore[operator]
    return dict(raised.value.response.data)  # type: ignore[arg-type]


def test_loads_the_projects_manifests() -> None:
    socket = load_manifest(SOCKET_MANIFEST)
    assert socket.socket_mode is True
    assert "chat:write" in socket.bot_scopes and "pins:write" not in socket.bot_scopes
    assert "message.channels" in socket.bot_events and "pin_added" in socket.bot_events
    assert socket.should_escape is True
    assert socket.has_shortcut("declare_from_message") and not socket.has_shortcut("other")
    with pytest.raises(ValueError, match="no slash command"):
        socket.should_escape_for("/other")
    http = load_manifest(HTTP_MANIFEST)
    assert http.socket_mode is False and http.bot_scopes == socket.bot_scopes


def test_permissive_is_the_default_and_grants_everything(slack: FakeSlack) -> None:
    assert slack.manifest == AppManifest.permissive()
    assert slack.manifest.should_escape and slack.manifest.should_escape_for("/anything")
    assert slack.manifest.has_scope("pins:write") and slack.manifest.subscribes("pin_added")


def test_a_missing_scope_is_refused_the_way_slack_does(slack: FakeSlack, client: WebClient) -> None:
    slack.use_manifest(manifest("channels:read"))
    body = refusal(lambda: client.chat_postMessage(channel=GENERAL, text="hi"))
    assert body == {
        "ok": False,
        "error": "missing_scope",
        "needed": "chat:write",
        "provided": "channels:read",
    }
    assert client.conversations_info(channel=GENERAL)["ok"]


def test_scopes_follow_the_kind_of_conversation(slack: FakeSlack, client: WebClient) -> None:
    slack.use_manifest(manifest("channels:manage", "channels:read"))
    assert client.conversations_create(name="inc-public")["ok"]
    body = refusal(lambda: client.conversations_create(name="inc-private", is_private=True))
    assert body["error"] == "missing_scope" and body["needed"] == "groups:write"
    private = slack.add_channel("secret", is_private=True, members=[FakeSlack.BOT_USER_ID])
    assert refusal(lambda: client.conversations_info(channel=private))["needed"] == "groups:read"
    slack.use_manifest(manifest("groups:write.topic", "groups:read"))
    assert client.conversations_setTopic(channel=private, topic="t")["ok"]
    body = refusal(lambda: client.conversations_setTopic(channel=GENERAL, topic="t"))
    assert body["needed"] == "channels:manage,channels:write.topic"


def test_the_manifest_is_kept_across_reset_and_can_be_a_path(slack: FakeSlack) -> None:
    slack.use_manifest(SOCKET_MANIFEST)
    slack.reset()
    assert slack.manifest == load_manifest(SOCKET_MANIFEST)
    slack.use_manifest(None)
    assert slack.manifest.everything


def test_the_projects_manifest_lacks_pins_write(slack: FakeSlack, client: WebClient) -> None:
    slack.use_manifest(SOCKET_MANIFEST)
    ts = slack.post_message(GENERAL, FakeSlack.ALICE, "pin me")
    assert refusal(lambda: client.pins_add(channel=GENERAL, timestamp=ts))["needed"] == (
        "pins:write"
    )
    assert client.chat_getPermalink(channel=GENERAL, message_ts=ts)["ok"]  # needs no scope


def test_constructor_takes_a_manifest() -> None:
    fake = FakeSlack(manifest=SOCKET_MANIFEST)
    assert not fake.manifest.everything and fake.manifest.socket_mode
