"""What the fake sends has the field sets of the captured samples in /work/shared."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from fakeslack import FakeSlack

SAMPLES = Path(os.environ.get("FAKESLACK_SAMPLES", "/work/shared/slack-samples"))
ALICE, BOB, BOT = "U024BE7LH", "U061F7AUR", "U06HBQK1R2S"
GENERAL = "C024BE91L"


@pytest.fixture
def sample() -> Any:
    if not SAMPLES.is_dir():
        pytest.skip(f"Slack samples not found at {SAMPLES} (set FAKESLACK_SAMPLES)")

    def load(name: str) -> Any:
        return json.loads((SAMPLES / name).read_text())

    return load


def last_payload(receiver: Any) -> dict[str, Any]:
    req = receiver.requests[-1]
    if req.content_type == "application/json":
        return dict(req.json())
    form = req.form()
    return json.loads(form["payload"]) if set(form) == {"payload"} else form


def test_slash_command_fields(slack: FakeSlack, receiver: Any, sample: Any) -> None:
    slack.slash_command("checkout latency above 2s for EU customers")
    payload = last_payload(receiver)
    expected = sample("slash_command.json")
    assert set(payload) == set(expected)
    same = (
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
    )
    assert {k: payload[k] for k in same} == {k: expected[k] for k in same}
    assert all(isinstance(v, str) for v in payload.values())
    first, second, third = payload["trigger_id"].split(".")
    assert first.isdigit() and second.isdigit() and len(third) == 32


def test_view_submission_fields(
    slack: FakeSlack, client: WebClient, receiver: Any, sample: Any
) -> None:
    expected = sample("view_submission.json")
    trigger_id = slack.issue_trigger_id()
    view = dict(expected["view"])
    for key in (
        "id",
        "team_id",
        "state",
        "hash",
        "previous_view_id",
        "root_view_id",
        "app_id",
        "app_installed_team_id",
        "bot_id",
    ):
        view.pop(key)
    opened = client.views_open(trigger_id=trigger_id, view=view)["view"]
    assert set(opened) == set(expected["view"])
    assert opened["blocks"] == expected["view"]["blocks"]
    slack.submit_view(
        opened["id"],
        {
            "title": "Checkout latency above 2s for EU customers",
            "severity": "sev2",
            "lead": BOB,
            "summary": expected["view"]["state"]["values"]["summary"]["value"]["value"],
            "private": [],
        },
    )
    payload = last_payload(receiver)
    assert set(payload) == set(expected)
    assert set(payload["view"]) == set(expected["view"])
    assert payload["view"]["state"] == expected["view"]["state"]
    assert payload["user"] == expected["user"] and payload["team"] == expected["team"]


def test_block_actions_fields(
    slack: FakeSlack, client: WebClient, receiver: Any, sample: Any
) -> None:
    expected = sample("block_actions.json")
    posted = client.chat_postMessage(
        channel=GENERAL, text=expected["message"]["text"], blocks=expected["message"]["blocks"]
    )
    slack.click("incident_resolve", user=BOB)
    payload = last_payload(receiver)
    assert set(payload) == set(expected)
    assert set(payload["container"]) == set(expected["container"])
    assert payload["container"]["message_ts"] == posted["ts"]
    assert set(payload["message"]) == set(expected["message"])
    assert payload["message"]["blocks"] == expected["message"]["blocks"]
    [action] = payload["actions"]
    assert set(action) == set(expected["actions"][0])
    assert {k: action[k] for k in ("action_id", "block_id", "text", "value", "style", "type")} == {
        k: expected["actions"][0][k]
        for k in ("action_id", "block_id", "text", "value", "style", "type")
    }
    assert payload["user"] == expected["user"]


def test_pin_events_fields(slack: FakeSlack, receiver: Any, sample: Any) -> None:
    added, removed = sample("event_pin_added.json"), sample("event_pin_removed.json")
    ts = slack.post_message(GENERAL, BOB, "Root cause: pool exhausted")
    other = slack.post_message(GENERAL, BOB, "Timeline")
    slack.pin(GENERAL, other, ALICE)
    assert slack.pin(GENERAL, ts, ALICE).ok
    wrapper = last_payload(receiver)
    assert set(wrapper) == set(added)
    assert wrapper["authorizations"] == added["authorizations"]
    event = wrapper["event"]
    assert set(event) == set(added["event"])
    assert set(event["item"]) == set(added["event"]["item"])
    assert set(event["item"]["message"]) == set(added["event"]["item"]["message"])
    assert event["item"]["message"]["pinned_to"] == [GENERAL]
    assert (event["user"], event["item_user"], event["pin_count"]) == (ALICE, BOB, 2)
    assert event["pinned_info"]["pinned_by"] == ALICE
    assert wrapper["event_id"].startswith("Ev") and len(wrapper["event_id"]) == 12
    assert wrapper["event_context"].startswith("4-")

    slack.unpin(GENERAL, ts, ALICE)
    event = last_payload(receiver)["event"]
    assert set(event) == set(removed["event"])
    assert "pinned_to" not in event["item"]["message"]
    assert (event["pin_count"], event["has_pins"]) == (1, True)
    assert "pinned_to" not in slack.messages(GENERAL)[0]


def test_files_in_pinned_messages(slack: FakeSlack, receiver: Any) -> None:
    ts = slack.post_message(
        GENERAL, ALICE, "graph", files=[{"name": "p95.png", "title": "p95 latency"}]
    )
    slack.pin(GENERAL, ts, BOB)
    [file] = last_payload(receiver)["event"]["item"]["message"]["files"]
    assert file["name"] == "p95.png" and file["title"] == "p95 latency"
    assert file["id"].startswith("F") and file["permalink"] and file["url_private"]


def test_socket_frames_match_samples(slack: FakeSlack, socket_app: Any, sample: Any) -> None:
    assert set(socket_app.frames[0]) == set(sample("socket_hello.json"))
    slack.send_event({"type": "app_mention", "text": "x", "channel": GENERAL})
    slack.slash_command("x")
    event_env, command_env = (dict(e) for e in slack.envelopes)
    for envelope in (event_env, command_env):
        envelope.pop("connection_id")
    assert set(event_env) == set(sample("socket_envelope_events_api.json"))
    assert set(command_env) == set(sample("socket_envelope_slash_commands.json"))
    socket_app.disconnect_and_wait(slack, "warning")
    disconnects = [f for f in socket_app.frames if f.get("type") == "disconnect"]
    assert disconnects == [sample("socket_disconnect_warning.json")]


def test_web_api_responses_match_samples(client: WebClient, slack: FakeSlack, sample: Any) -> None:
    expected = sample("web_api_responses.json")
    assert client.auth_test().data == expected["auth.test"]
    channel = client.conversations_create(name="inc-0042-checkout-latency")["channel"]
    assert set(channel) == set(expected["conversations.create"]["channel"])
    posted = client.chat_postMessage(
        channel=channel["id"],
        text=expected["chat.postMessage"]["message"]["text"],
        blocks=expected["chat.postMessage"]["message"]["blocks"],
    )
    assert set(posted.data) == set(expected["chat.postMessage"])
    assert set(posted["message"]) == set(expected["chat.postMessage"]["message"])
    ts = slack.post_message(channel["id"], BOB, "Root cause")
    link = client.chat_getPermalink(channel=channel["id"], message_ts=ts)
    assert set(link.data) == set(expected["chat.getPermalink"])
    client.pins_add(channel=channel["id"], timestamp=ts)
    [item] = client.pins_list(channel=channel["id"])["items"]
    assert set(item) == set(expected["pins.list"]["items"][0])
    assert set(item["message"]) == set(expected["pins.list"]["items"][0]["message"])


def test_response_url_posts_land_in_the_workspace(slack: FakeSlack, receiver: Any) -> None:
    slack.slash_command("x")
    response_url = last_payload(receiver)["response_url"]
    assert response_url.startswith(f"http://127.0.0.1:{slack.port}/commands/T024BE7LD/")

    def post(body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            response_url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.read() == b"ok"

    post({"text": "only you see this"})
    post({"text": "everyone sees this", "response_type": "in_channel"})
    assert slack.ephemerals[-1]["text"] == "only you see this"
    assert slack.messages(GENERAL)[-1]["text"] == "everyone sees this"
    assert [c.params["text"] for c in slack.calls_to("response_url")] == [
        "only you see this",
        "everyone sees this",
    ]


def test_an_input_left_untouched_is_submitted_with_its_initial_value() -> None:
    from fakeslack.payloads import state_values

    view = {
        "id": "V1",
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "element": {"type": "plain_text_input", "action_id": "a", "initial_value": "Kept"},
            },
            {
                "type": "input",
                "block_id": "sev",
                "element": {
                    "type": "static_select",
                    "action_id": "a",
                    "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}],
                    "initial_option": {"text": {"type": "plain_text", "text": "One"}, "value": "1"},
                },
            },
            {
                "type": "input",
                "block_id": "lead",
                "element": {"type": "users_select", "action_id": "a", "initial_user": "U1"},
            },
            {
                "type": "input",
                "block_id": "note",
                "element": {"type": "plain_text_input", "action_id": "a", "initial_value": "gone"},
            },
        ],
    }
    state = state_values(view, {"note": None})
    assert state["title"]["a"] == {"type": "plain_text_input", "value": "Kept"}
    assert state["sev"]["a"]["selected_option"]["value"] == "1"
    assert state["lead"]["a"]["selected_user"] == "U1"
    assert state["note"]["a"]["value"] is None  # cleared by the person
