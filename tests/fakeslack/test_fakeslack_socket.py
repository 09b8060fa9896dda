"""Socket Mode against slack_sdk's builtin SocketModeClient (the one Bolt's handler uses)."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from fakeslack import FakeSlack


def test_apps_connections_open_needs_the_app_token(slack: FakeSlack) -> None:
    url = WebClient(token="xapp-test-token", base_url=slack.api_url).apps_connections_open(
        app_token="xapp-test-token"
    )["url"]
    assert url.startswith(f"ws://127.0.0.1:{slack.port}/link/?ticket=")
    assert url.endswith("&app_id=A06HC3K9ZQP")
    bot = WebClient(token="xoxb-test-token", base_url=slack.api_url)
    for token, error in (
        ("xapp-wrong", "invalid_auth"),
        ("xoxb-test-token", "not_allowed_token_type"),
    ):
        with pytest.raises(SlackApiError) as info:
            bot.apps_connections_open(app_token=token)
        assert info.value.response["error"] == error


def test_unknown_or_used_tickets_are_refused(slack: FakeSlack) -> None:
    url = "http" + slack.api_url[4:].replace("/api/", "/link/?ticket=nope&app_id=A06HC3K9ZQP")
    request = urllib.request.Request(
        url,
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 401
    info.value.close()


def test_hello_then_slash_command_acked_with_a_payload(slack: FakeSlack, socket_app: Any) -> None:
    assert slack.socket_connections() == 1
    hello = socket_app.frames[0]
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A06HC3K9ZQP"}
    assert set(hello["debug_info"]) == {"host", "build_number", "approximate_connection_time"}
    socket_app.policy = lambda req: {"text": f"ack: {req.payload['text']}"}
    delivery = slack.slash_command("checkout is slow")
    assert delivery.ok and delivery.acked and delivery.via == "socket"
    assert delivery.ack_payload == {"text": "ack: checkout is slow"}
    [req] = socket_app.requests
    assert req.type == "slash_commands" and req.envelope_id == delivery.envelope_id
    assert req.accepts_response_payload is True
    assert req.payload["command"] == "/incident" and req.payload["trigger_id"]
    # Slack shows an ack that carries text to the user who typed the command.
    assert slack.ephemerals[-1]["text"] == "ack: checkout is slow"


def test_events_envelope_shape(slack: FakeSlack, socket_app: Any) -> None:
    delivery = slack.send_event(
        {
            "type": "app_mention",
            "user": "U061F7AUR",
            "text": "<@U06HBQK1R2S> hi",
            "channel": "C024BE91L",
        }
    )
    assert delivery.acked and delivery.ack_payload is None
    [envelope] = slack.envelopes
    assert set(envelope) == {
        "connection_id",
        "envelope_id",
        "payload",
        "type",
        "accepts_response_payload",
        "retry_attempt",
        "retry_reason",
    }
    assert envelope["type"] == "events_api" and envelope["accepts_response_payload"] is False
    assert (envelope["retry_attempt"], envelope["retry_reason"]) == (0, "")
    assert socket_app.requests[0].retry_attempt == 0


def test_unacked_event_is_redelivered_with_retry_attempt(slack: FakeSlack, socket_app: Any) -> None:
    slack.socket_ack_timeout = 0.3
    socket_app.policy = lambda req: socket_app.NO_ACK if req.retry_attempt == 0 else None
    delivery = slack.send_event(
        {"type": "app_mention", "user": "U061F7AUR", "text": "hi", "channel": "C024BE91L"},
        event_id="Ev0000RETRY1",
    )
    assert delivery.acked and delivery.retry_attempt == 1
    first, second = socket_app.requests
    assert (first.retry_attempt, first.retry_reason) == (0, "")
    assert (second.retry_attempt, second.retry_reason) == (1, "timeout")
    assert first.envelope_id != second.envelope_id == delivery.envelope_id
    assert first.payload["event_id"] == second.payload["event_id"] == "Ev0000RETRY1"
    assert delivery.elapsed >= 0.3


def test_redelivery_stops_after_three_retries(slack: FakeSlack, socket_app: Any) -> None:
    assert slack.event_retry_delays == (0.0, 60.0, 300.0)  # Slack's schedule
    slack.event_retry_delays = (0.0, 0.05, 0.05)  # the same attempts, without the wait
    slack.socket_ack_timeout = 0.1
    socket_app.policy = lambda req: socket_app.NO_ACK
    delivery = slack.send_event(
        {"type": "app_mention", "text": "x", "channel": "C024BE91L"}, timeout=0.6
    )
    assert not delivery.ok and delivery.acked is False
    deadline = time.monotonic() + 3
    while len(slack.envelopes) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)  # under load the last retries may trail the returned delivery
    time.sleep(0.15)  # ...and there must be no fifth attempt after them
    assert [e["retry_attempt"] for e in slack.envelopes] == [0, 1, 2, 3]
    assert {e["retry_reason"] for e in slack.envelopes[1:]} == {"timeout"}


def test_interactive_payloads_are_not_redelivered(slack: FakeSlack, socket_app: Any) -> None:
    slack.socket_ack_timeout = 0.1
    socket_app.policy = lambda req: socket_app.NO_ACK
    delivery = slack.slash_command("x", timeout=0.4)
    assert delivery.acked is False
    assert len(slack.envelopes) == 1


def test_disconnect_frame_makes_the_client_reconnect(slack: FakeSlack, socket_app: Any) -> None:
    # The builtin client connects a new socket first, then drops the old one.
    old, new = socket_app.disconnect_and_wait(slack, "refresh_requested")
    assert slack.calls_to("apps.connections.open")[-1].ok
    assert slack.send_event({"type": "app_mention", "text": "after", "channel": "C024BE91L"}).acked
    assert slack.envelopes[-1]["connection_id"] == new != old


def test_deliver_without_any_transport_raises(slack: FakeSlack) -> None:
    with pytest.raises(RuntimeError, match="nowhere to deliver"):
        slack.send_event({"type": "app_mention", "text": "x"})


def test_envelopes_are_spread_over_connections(slack: FakeSlack, socket_app: Any) -> None:
    second = SocketModeClient(
        app_token="xapp-test-token",
        web_client=WebClient(token="xoxb-test-token", base_url=slack.api_url),
    )
    second.socket_mode_request_listeners.append(
        lambda client, req: client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id)
        )
    )
    second.connect()
    try:
        slack.wait_for_socket_connections(2)
        for n in range(4):
            assert slack.send_event({"type": "app_mention", "text": str(n)}).acked
        used = [e["connection_id"] for e in slack.envelopes]
        assert len(set(used)) == 2 and used[0] != used[1]
    finally:
        second.closed = True
        second.message_queue.put(None)
        second.close()


def test_deliver_many_keeps_several_envelopes_in_flight(slack: FakeSlack) -> None:
    """Each envelope is acked a while after it arrives; with four in flight, twelve take
    about three rounds, not twelve, and every one is acked once, in the payloads' order."""
    client = SocketModeClient(
        app_token="xapp-test-token",
        web_client=WebClient(token="xoxb-test-token", base_url=slack.api_url),
        concurrency=8,
    )
    in_flight: list[int] = []
    busy = [0]
    lock = threading.Lock()

    def slow_ack(client: SocketModeClient, req: Any) -> None:
        with lock:
            busy[0] += 1
            in_flight.append(busy[0])
        time.sleep(0.2)
        with lock:
            busy[0] -= 1
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    client.socket_mode_request_listeners.append(slow_ack)
    client.connect()
    try:
        slack.wait_for_socket_connections(1)
        payloads = [
            {"type": "event_callback", "event": {"type": "app_mention", "text": str(n)}}
            for n in range(12)
        ]
        started = time.monotonic()
        results = slack.deliver_many("events_api", payloads, in_flight=4)
        elapsed = time.monotonic() - started
        assert [r.acked for r in results] == [True] * 12
        assert [r.payload["event"]["text"] for r in results] == [str(n) for n in range(12)]
        assert max(in_flight) == 4
        assert 0.55 < elapsed < 2.0
    finally:
        client.closed = True
        client.message_queue.put(None)
        client.close()
    with pytest.raises(ValueError, match="in_flight"):
        slack.deliver_many("events_api", payloads, in_flight=0)


def test_pings_are_answered_with_the_same_payload(slack: FakeSlack) -> None:
    client = SocketModeClient(
        app_token="xapp-test-token",
        ping_interval=0.05,
        web_client=WebClient(token="xoxb-test-token", base_url=slack.api_url),
    )
    client.connect()
    try:
        deadline = time.monotonic() + 5
        # The builtin client only records a pong whose payload echoes its own ping.
        while client.current_session.last_ping_pong_time is None:
            assert time.monotonic() < deadline, "no pong echoed the client's ping"
            time.sleep(0.01)
    finally:
        client.closed = True
        client.message_queue.put(None)
        client.close()


def test_tickets_are_single_use(slack: FakeSlack) -> None:
    url = WebClient(token="xapp-test-token", base_url=slack.api_url).apps_connections_open(
        app_token="xapp-test-token"
    )["url"]

    async def connect_twice() -> tuple[dict[str, Any], int]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as ws:
                hello = await ws.receive_json(timeout=5)
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await session.ws_connect(url)
            return hello, info.value.status

    hello, status = asyncio.run(connect_twice())
    assert hello["type"] == "hello" and status == 401


def test_lifecycle_is_idempotent_with_a_client_still_connected() -> None:
    slack = FakeSlack()
    with slack:
        assert slack.start() is slack
        assert slack.api_url == f"http://127.0.0.1:{slack.port}/api/"
        client = SocketModeClient(
            app_token="xapp-test-token",
            auto_reconnect_enabled=False,
            web_client=WebClient(token="xoxb-test-token", base_url=slack.api_url),
        )
        client.connect()
        slack.wait_for_socket_connections(1)
        started = time.monotonic()
        slack.stop()
        assert time.monotonic() - started < 2
    slack.stop()
    client.closed = True
    client.message_queue.put(None)
    client.close()
    with pytest.raises(RuntimeError, match="not running"):
        slack.disconnect()
