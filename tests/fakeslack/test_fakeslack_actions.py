"""People clicking in messages and the app answering through response_url or the ack."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack

ALICE, BOB = "U024BE7LH", "U061F7AUR"
GENERAL = "C024BE91L"

SEVERITY_PICKER = {
    "type": "actions",
    "block_id": "controls",
    "elements": [
        {
            "type": "static_select",
            "action_id": "set_severity",
            "placeholder": {"type": "plain_text", "text": "Severity"},
            "options": [
                {"text": {"type": "plain_text", "text": "SEV1"}, "value": "sev1"},
                {"text": {"type": "plain_text", "text": "SEV2"}, "value": "sev2"},
            ],
        },
        {
            "type": "button",
            "action_id": "resolve",
            "value": "7",
            "style": "danger",
            "text": {"type": "plain_text", "text": "Resolve"},
        },
    ],
}


def payload_of(receiver: Any, index: int = -1) -> dict[str, Any]:
    return dict(json.loads(receiver.requests[index].form()["payload"]))


def post_json(url: str, body: dict[str, Any]) -> bytes:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return bytes(response.read())


def test_click_picks_options_and_button_values(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    older = client.chat_postMessage(channel=GENERAL, text="old", blocks=[SEVERITY_PICKER])
    newer = client.chat_postMessage(channel=GENERAL, text="new", blocks=[SEVERITY_PICKER])
    slack.click("set_severity", value="sev1", user=BOB)
    action = payload_of(receiver)["actions"][0]
    assert action["type"] == "static_select" and action["block_id"] == "controls"
    assert action["selected_option"]["value"] == "sev1"
    # Without message_ts the newest message holding the element is the one clicked.
    assert payload_of(receiver)["container"]["message_ts"] == newer["ts"]
    slack.click("resolve", message_ts=older["ts"], channel="general")
    action = payload_of(receiver)["actions"][0]
    assert (action["value"], action["style"]) == ("7", "danger")
    assert payload_of(receiver)["container"]["message_ts"] == older["ts"]
    slack.click("resolve", value="override")
    assert payload_of(receiver)["actions"][0]["value"] == "override"
    with pytest.raises(LookupError):
        slack.click("no_such_action")


def test_action_response_url_replaces_and_deletes_the_original(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    ts = client.chat_postMessage(channel=GENERAL, text="SEV2", blocks=[SEVERITY_PICKER])["ts"]
    slack.click("resolve")
    url = payload_of(receiver)["response_url"]
    assert post_json(url, {"replace_original": True, "text": "Resolved"}) == b"ok"
    assert slack.messages(GENERAL)[0]["text"] == "Resolved"
    assert slack.messages(GENERAL)[0]["ts"] == ts
    post_json(url, {"delete_original": True})
    assert slack.messages(GENERAL) == []


def test_click_in_an_ephemeral_message(slack: FakeSlack, client: WebClient, receiver: Any) -> None:
    client.chat_postEphemeral(channel=GENERAL, user=ALICE, text="choose", blocks=[SEVERITY_PICKER])
    slack.click("set_severity", value="sev2")
    payload = payload_of(receiver)
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload


def test_slash_command_ack_in_channel_is_posted(slack: FakeSlack, receiver: Any) -> None:
    receiver.respond = lambda req: (
        200,
        {"response_type": "in_channel", "text": "Incident declared"},
    )
    slack.slash_command("db down")
    assert slack.messages(GENERAL)[-1]["text"] == "Incident declared"
    assert slack.ephemerals == []


def test_chat_delete_only_the_bots_messages(slack: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=GENERAL, text="oops")["ts"]
    client.chat_delete(channel=GENERAL, ts=ts)
    assert slack.messages(GENERAL) == []
    human = slack.post_message(GENERAL, ALICE, "mine")
    with pytest.raises(SlackApiError, match="cant_delete_message"):
        client.chat_delete(channel=GENERAL, ts=human)


def test_unknown_channels_in_human_actions_fail_loudly(slack: FakeSlack) -> None:
    with pytest.raises(KeyError):
        slack.post_message("C0NOWHERE00", ALICE, "x")
    ts = slack.post_message(GENERAL, ALICE, "x")
    with pytest.raises(ValueError, match="no_pin"):
        slack.unpin(GENERAL, ts, ALICE)
