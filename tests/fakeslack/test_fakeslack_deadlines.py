"""Slack's 3-second deadline: late HTTP answers and Socket Mode acks count as failed and are
not applied; trigger_ids expire 3 s after the delivery that carried them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack

ALICE = "U024BE7LH"
MODAL = {
    "type": "modal",
    "callback_id": "declare",
    "title": {"type": "plain_text", "text": "Declare"},
    "submit": {"type": "plain_text", "text": "Go"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "v"},
        }
    ],
}


def slow(seconds: float, answer: Any) -> Any:
    def respond(_request: Any) -> tuple[int, Any]:
        time.sleep(seconds)
        return 200, answer

    return respond


def test_a_late_slash_command_answer_is_a_timeout_and_not_shown(
    slack: FakeSlack, receiver: Any
) -> None:
    slack.deadline = 0.3
    receiver.respond = slow(0.5, {"text": "too late"})
    delivery = slack.slash_command("status")
    assert delivery.late and not delivery.ok and delivery.error == "operation_timeout"
    assert delivery.response == {"text": "too late"}  # recorded all the same
    assert slack.ephemerals == []
    receiver.respond = slow(0.0, {"text": "in time"})
    assert slack.slash_command("status").ok
    assert [e["text"] for e in slack.ephemerals] == ["in time"]


def test_a_late_event_answer_fails_with_the_events_api_reason(
    slack: FakeSlack, receiver: Any
) -> None:
    slack.deadline = 0.3
    receiver.respond = slow(0.5, "")
    delivery = slack.send_event({"type": "app_mention", "text": "hi"})
    assert delivery.late and delivery.error == "http_timeout" and delivery.status == 200


def test_a_late_view_submission_leaves_the_modal_open(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    view = client.views_open(trigger_id=slack.issue_trigger_id(), view=MODAL)["view"]
    slack.deadline = 0.3
    receiver.respond = slow(0.5, "")
    delivery = slack.submit_view(view["id"], {"title": "x"})
    assert delivery.late and delivery.error == "operation_timeout"
    assert view["id"] in slack.views  # an empty ack in time would have closed it
    receiver.respond = slow(0.0, "")
    assert slack.submit_view(view["id"], {"title": "x"}).ok
    assert view["id"] not in slack.views


def test_a_late_socket_ack_is_ignored(slack: FakeSlack, socket_app: Any) -> None:
    slack.deadline = 0.3

    def late(_req: Any) -> Any:
        time.sleep(0.5)
        return {"text": "late ack"}

    socket_app.policy = late
    delivery = slack.slash_command("status")
    assert delivery.acked and delivery.late and not delivery.ok
    assert delivery.error == "operation_timeout" and slack.ephemerals == []


def test_the_trigger_clock_starts_when_the_payload_is_sent(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    slack.trigger_ttl = 0.3
    triggers: list[str] = []

    def remember(request: Any) -> tuple[int, Any]:
        triggers.append(request.form()["trigger_id"])
        return 200, ""

    receiver.respond = remember
    assert slack.slash_command("declare").ok
    assert client.views_open(trigger_id=triggers[0], view=MODAL)["ok"]
    slack.slash_command("declare")
    time.sleep(0.4)
    with pytest.raises(SlackApiError) as expired:
        client.views_open(trigger_id=triggers[1], view=MODAL)
    assert expired.value.response["error"] == "expired_trigger_id"
