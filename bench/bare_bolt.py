"""A bare Bolt app for comparison: acks /incident and opens a minimal modal, nothing else.

Served exactly as the bot's HTTP mode is (Flask + SlackRequestHandler on waitress), so the
difference between the two is the bot's own work.
Usage: SLACK_API_URL=… SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=… python bench/bare_bolt.py PORT
"""

from __future__ import annotations

import os
import sys
from typing import Any

from flask import Flask, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

MODAL = {
    "type": "modal",
    "callback_id": "bare",
    "title": {"type": "plain_text", "text": "Bare"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "blocks": [{"type": "input", "block_id": "title", "label": {"type": "plain_text",
                                                                 "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "value"}}],
}


def main() -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/incident")
    def incident(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    web = Flask("bare")
    handler = SlackRequestHandler(app)
    web.post("/slack/events")(lambda: handler.handle(request))
    serve(web, host="127.0.0.1", port=int(sys.argv[1]), threads=16, _quiet=True)


if __name__ == "__main__":
    main()
