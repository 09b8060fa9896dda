"""Signed HTTP deliveries to a local receiver that verifies them with slack_sdk."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from fakeslack import FakeSlack
from fakeslack.signing import sign

SAMPLES = Path("/work/shared/slack-samples")


def test_signing_matches_slacks_worked_example() -> None:
    example = json.loads((SAMPLES / "signature_example.json").read_text())
    assert (
        sign(example["signing_secret"], example["timestamp"], example["body"])
        == (example["expected_signature"])
    )


def test_slash_command_is_form_encoded_and_signed(slack: FakeSlack, receiver: Any) -> None:
    delivery = slack.slash_command("checkout latency above 2s", via="http")
    assert delivery.ok and delivery.status == 200 and delivery.via == "http"
    [req] = receiver.requests
    assert req.signature_valid
    assert req.path == "/slack/events"
    assert req.content_type == "application/x-www-form-urlencoded"
    form = req.form()
    assert form["text"] == "checkout latency above 2s"
    assert form["is_enterprise_install"] == "false"
    assert form == {k: str(v) for k, v in delivery.payload.items()}
    assert b"text=checkout+latency+above+2s" in req.body
    assert "x-slack-retry-num" not in req.headers


def test_interactive_payload_is_a_payload_form_field(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    ts = client.chat_postMessage(
        channel="C024BE91L",
        text="x",
        blocks=[
            {
                "type": "actions",
                "block_id": "acts",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "go",
                        "text": {"type": "plain_text", "text": "Go"},
                        "value": "42",
                    }
                ],
            }
        ],
    )["ts"]
    delivery = slack.click("go")
    [req] = receiver.requests
    assert req.signature_valid and delivery.ok
    assert set(req.form()) == {"payload"}
    payload = json.loads(req.form()["payload"])
    assert payload["type"] == "block_actions"
    assert payload["container"]["message_ts"] == ts
    assert payload["actions"][0]["value"] == "42"


def test_event_is_json_with_retry_headers(slack: FakeSlack, receiver: Any) -> None:
    slack.send_event(
        {"type": "app_mention", "text": "hi", "channel": "C024BE91L"},
        event_id="Ev0000000001",
        retry_num=2,
    )
    [req] = receiver.requests
    assert req.signature_valid
    assert req.content_type == "application/json"
    assert req.json()["event_id"] == "Ev0000000001"
    assert req.headers["x-slack-retry-num"] == "2"
    assert req.headers["x-slack-retry-reason"] == "http_timeout"
    slack.deliver("events_api", req.json(), retry_num=1, retry_reason="http_error")
    assert receiver.requests[1].headers["x-slack-retry-reason"] == "http_error"


def test_answers_are_parsed(slack: FakeSlack, receiver: Any) -> None:
    receiver.respond = lambda req: (200, {"text": "on it"})
    delivery = slack.slash_command("x")
    assert delivery.body == {"text": "on it"} and delivery.response == {"text": "on it"}
    assert delivery.headers["Content-Type"] == "application/json"
    receiver.respond = lambda req: (401, "invalid request")
    delivery = slack.slash_command("x")
    assert not delivery.ok and delivery.status == 401 and delivery.body == "invalid request"


def test_post_signed_for_hostile_requests(slack: FakeSlack, receiver: Any) -> None:
    body = "token=x&command=%2Fincident"
    ctype = "application/x-www-form-urlencoded"
    assert slack.post_signed(body, content_type=ctype).ok
    stale = int(time.time()) - 600
    slack.post_signed(body, content_type=ctype, timestamp=stale)
    slack.post_signed(body, content_type=ctype, signature="")
    slack.post_signed(body, content_type=ctype, signature="v0=deadbeef")
    slack.post_signed(body, content_type=ctype, extra_headers={"X-Extra": "1"})
    valid = [r.signature_valid for r in receiver.requests]
    assert valid == [True, False, False, False, True]
    assert "x-slack-signature" not in receiver.requests[2].headers
    assert receiver.requests[1].headers["x-slack-request-timestamp"] == str(stale)
    assert receiver.requests[4].headers["x-extra"] == "1"
    # The stale one really is signed, just too old for a five-minute window.
    verifier = SignatureVerifier("test-signing-secret", clock=_FrozenClock(stale))
    assert verifier.is_valid_request(receiver.requests[1].body, receiver.requests[1].headers)


class _FrozenClock(Clock):
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


def test_slow_apps_time_out(slack: FakeSlack, receiver: Any) -> None:
    def slow(req: Any) -> tuple[int, str]:
        time.sleep(0.3)
        return 200, ""

    receiver.respond = slow
    delivery = slack.send_event({"type": "app_mention", "text": "x"}, timeout=0.1)
    assert not delivery.ok and delivery.error == "http_timeout" and delivery.status is None


def test_refused_connections_are_failed_deliveries(slack: FakeSlack) -> None:
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))  # bound but not listening: connects are refused
        slack.http_target = f"http://127.0.0.1:{closed_port.getsockname()[1]}/slack/events"
        delivery = slack.send_event({"type": "app_mention", "text": "x"})
    assert not delivery.ok and delivery.error == "connection_failed"
    slack.http_target = None
    with pytest.raises(RuntimeError):
        slack.send_event({"type": "app_mention", "text": "x"}, via="http")
