"""Fixtures for the fake Slack's own tests: the fake, a real WebClient, a signed-HTTP
receiver and a real builtin Socket Mode client.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from fakeslack import FakeSlack

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url)


# -- HTTP receiver -------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A stand-in app behind an HTTP Request URL; `respond(request)` returns
    (status, body) where a dict body is sent as JSON."""

    url: str
    requests: list[Received] = field(default_factory=list)
    respond: Callable[[Received], tuple[int, Any]] = lambda _req: (200, "")


@pytest.fixture
def receiver(slack: FakeSlack) -> Iterator[Receiver]:
    verifier = SignatureVerifier(SIGNING_SECRET)
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            received = Received(self.path, headers, body, verifier.is_valid_request(body, headers))
            rec = state["receiver"]
            rec.requests.append(received)
            status, answer = rec.respond(received)
            if isinstance(answer, dict):
                raw, ctype = json.dumps(answer).encode(), "application/json"
            else:
                raw, ctype = str(answer).encode(), "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    rec = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/slack/events")
    state["receiver"] = rec
    slack.http_target = rec.url
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- Socket Mode app -----------------------------------------------------------------------


@dataclass
class SocketApp:
    """A bare Socket Mode app; `policy(request)` returns the ack payload (a dict), None
    for a bare ack, or `SocketApp.NO_ACK` to stay silent."""

    NO_ACK = object()

    client: SocketModeClient
    requests: list[SocketModeRequest] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    policy: Callable[[SocketModeRequest], Any] = lambda _req: None

    def disconnect_and_wait(self, slack: FakeSlack, reason: str) -> tuple[str, str]:
        """Send a disconnect frame and wait until the client has fully switched to a new
        connection; returns (old, new) connection ids on the fake's side."""
        [old_id] = slack.socket_connection_ids()
        old_session = self.client.current_session
        opened = len(slack.calls_to("apps.connections.open"))
        assert slack.disconnect(reason) == 1
        slack.wait_for_call("apps.connections.open", count=opened + 1)
        deadline = time.monotonic() + 5
        # The builtin client drops the old socket before it stores the new session;
        # closing it inside that window would leak the new socket, so wait for both.
        while (
            slack.socket_connection_ids() in ([old_id], [])
            or self.client.current_session is old_session
        ) and time.monotonic() < deadline:
            time.sleep(0.01)
        slack.wait_for_socket_connections(1)
        [new_id] = slack.socket_connection_ids()
        assert new_id != old_id and self.client.current_session is not old_session
        return old_id, new_id

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        self.requests.append(req)
        answer = self.policy(req)
        if answer is self.NO_ACK:
            return
        client.send_socket_mode_response(SocketModeResponse(req.envelope_id, payload=answer))


@pytest.fixture
def socket_app(slack: FakeSlack) -> Iterator[SocketApp]:
    slack.socket_ping_interval = 0.1
    client = SocketModeClient(
        app_token=APP_TOKEN,
        web_client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
    )
    app = SocketApp(client)
    client.socket_mode_request_listeners.append(app.handle)
    client.on_message_listeners.append(lambda raw: app.frames.append(json.loads(raw)))
    client.connect()
    slack.wait_for_socket_connections(1)
    deadline = time.monotonic() + 5
    while not app.frames and time.monotonic() < deadline:
        time.sleep(0.01)  # the hello frame shows the client's reader is running
    assert app.frames and app.frames[0]["type"] == "hello"
    try:
        yield app
    finally:
        # close() waits for the reader (woken by the fake's pings) and for the message
        # processor's 1 s queue poll; flagging closed and waking the queue skips the poll.
        client.closed = True
        client.message_queue.put(None)
        client.close()
