"""A real Bolt app driven through the fake over Socket Mode and over signed HTTP: the
payloads must parse, route and ack exactly as they would from Slack.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from fakeslack import FakeSlack

ALICE, BOB = "U024BE7LH", "U061F7AUR"
GENERAL = "C024BE91L"


def incident_app(slack: FakeSlack) -> App:
    """A miniature incident bot: command -> modal -> channel + headline -> button, pins."""
    app = App(
        client=WebClient(token=slack.bot_token, base_url=slack.api_url),
        signing_secret=slack.signing_secret,
    )

    @app.command("/incident")
    def declare(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "incident_declare",
                "title": {"type": "plain_text", "text": "Declare an incident"},
                "submit": {"type": "plain_text", "text": "Declare"},
                "private_metadata": body["channel_id"],
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "title",
                        "label": {"type": "plain_text", "text": "What is happening?"},
                        "element": {
                            "type": "plain_text_input",
                            "action_id": "value",
                            "initial_value": body["text"],
                        },
                    }
                ],
            },
        )

    @app.view("incident_declare")
    def submitted(ack: Ack, view: dict[str, Any], client: WebClient) -> None:
        title = view["state"]["values"]["title"]["value"]["value"]
        if not title:
            ack(response_action="errors", errors={"title": "Please describe it"})
            return
        ack()
        channel = client.conversations_create(name="inc-0001")["channel"]["id"]
        client.chat_postMessage(
            channel=channel,
            text=title,
            blocks=[
                {
                    "type": "section",
                    "block_id": "headline",
                    "text": {"type": "mrkdwn", "text": f"*{title}*"},
                },
                {
                    "type": "actions",
                    "block_id": "incident_actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "incident_resolve",
                            "value": "1",
                            "text": {"type": "plain_text", "text": "Resolve"},
                        }
                    ],
                },
            ],
        )

    @app.action("incident_resolve")
    def resolve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="Resolved")

    @app.event("pin_added")
    def pinned(event: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(
            channel=event["channel_id"], text=f"noted {event['item']['message']['text']}"
        )

    return app


@pytest.fixture
def bolt_socket(slack: FakeSlack) -> Iterator[SocketModeHandler]:
    slack.socket_ping_interval = 0.1
    handler = SocketModeHandler(incident_app(slack), app_token=slack.app_token)
    handler.connect()
    slack.wait_for_socket_connections(1)
    try:
        yield handler
    finally:
        # Same shortcut as the socket_app fixture: skip the processor's 1 s queue poll.
        handler.client.closed = True
        handler.client.message_queue.put(None)
        handler.close()


@pytest.fixture
def bolt_http(slack: FakeSlack) -> Iterator[None]:
    app = incident_app(slack)

    class BoltHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = BoltRequest(
                body=body.decode(), headers={k.lower(): v for k, v in self.headers.items()}
            )
            response = app.dispatch(request)
            raw = (response.body or "").encode()
            self.send_response(response.status)
            for name, values in response.headers.items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), BoltHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    slack.http_target = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_incident_story(slack: FakeSlack, via: str) -> None:
    assert slack.slash_command("checkout is slow", via=via).ok
    view = slack.wait_for_view("incident_declare")
    assert view["blocks"][0]["element"]["initial_value"] == "checkout is slow"

    rejected = slack.submit_view(view["id"], {"title": None}, via=via)
    assert rejected.response == {
        "response_action": "errors",
        "errors": {"title": "Please describe it"},
    }
    assert slack.view_errors == {view["id"]: {"title": "Please describe it"}}

    assert slack.submit_view(view["id"], {"title": "Checkout is slow"}, via=via).ok
    assert view["id"] not in slack.views
    headline = slack.wait_for_call("chat.postMessage").response

    assert slack.click("incident_resolve", user=BOB, via=via).ok
    slack.wait_for_call("chat.update")
    assert slack.messages(headline["channel"])[0]["text"] == "Resolved"

    note = slack.post_message(headline["channel"], BOB, "Root cause: pool exhausted")
    assert slack.pin(headline["channel"], note, ALICE, via=via).ok
    reply = slack.wait_for_call("chat.postMessage", count=2)
    assert reply.params["text"] == "noted Root cause: pool exhausted"


def test_bolt_over_socket_mode(slack: FakeSlack, bolt_socket: SocketModeHandler) -> None:
    run_incident_story(slack, "socket")
    assert slack.calls_to("auth.test") and slack.calls_to("apps.connections.open")


def test_bolt_over_http(slack: FakeSlack, bolt_http: None) -> None:
    run_incident_story(slack, "http")


def test_bolt_rejects_unsigned_and_stale_requests(slack: FakeSlack, bolt_http: None) -> None:
    body = "command=%2Fincident&text=x"
    ctype = "application/x-www-form-urlencoded"
    assert slack.post_signed(body, content_type=ctype, signature="").status == 401
    stale = slack.post_signed(body, content_type=ctype, timestamp=int(time.time()) - 301)
    assert stale.status == 401 and stale.body == {"error": "invalid request"}
