"""A bare Bolt app for comparison: acks /incident and opens the declare modal, and (given a
DATABASE_URL on PostgreSQL) stores each pinned message with one INSERT; nothing else.

Served exactly as the bot is (HTTP: Flask + SlackRequestHandler on waitress; Socket Mode:
Bolt's SocketModeHandler), so the difference between the two is the bot's own work.
Usage: SLACK_API_URL=… SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=… [DATABASE_URL=…]
         python bench/bare_bolt.py PORT
       SLACK_API_URL=… SLACK_BOT_TOKEN=… SLACK_APP_TOKEN=… python bench/bare_bolt.py socket
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

from bot.features.declare import modal


def main() -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    pins_url = os.environ.get("DATABASE_URL", "")
    if not pins_url.startswith("postgres"):
        pins_url = ""
    # Pins are stored before the ack, as the bot stores them; /incident keeps Bolt's default.
    app = App(
        client=client,
        signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
        process_before_response=bool(pins_url),
    )

    @app.command("/incident")
    def incident(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        # The same form the bot opens, so both send Slack the same bytes and the difference
        # measured is the bot's own work before it.
        client.views_open(
            trigger_id=body["trigger_id"],
            view=modal(body.get("text", ""), origin_channel=body.get("channel_id")),
        )

    if pins_url:
        store_pins(app, pins_url)

    if sys.argv[1] == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(app, app_token=os.environ["SLACK_APP_TOKEN"]).start()
        return
    web = Flask("bare")
    handler = SlackRequestHandler(app)
    web.post("/slack/events")(lambda: handler.handle(request))
    serve(web, host="127.0.0.1", port=int(sys.argv[1]), threads=16, _quiet=True)


PINS_TABLE = "bare_pin"


def store_pins(app: App, url: str) -> None:
    """The least a pin handler can do: one INSERT per pin through a pool, once per pin
    whatever Slack repeats."""
    from psycopg2.pool import ThreadedConnectionPool

    pool = ThreadedConnectionPool(16, 16, url)  # psycopg2 closes any above the minimum
    conn = pool.getconn()
    with conn, conn.cursor() as cursor:
        # Replicas start together, and two concurrent CREATE TABLE IF NOT EXISTS can collide.
        cursor.execute("SELECT pg_advisory_xact_lock(4242)")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PINS_TABLE} (channel text, ts text, "
            "text text, PRIMARY KEY (channel, ts))"
        )
    pool.putconn(conn)

    @app.event("pin_added")
    def pin_added(event: dict[str, Any]) -> None:
        message = event["item"]["message"]
        conn = pool.getconn()
        conn.autocommit = True  # one statement, one round trip
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {PINS_TABLE} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (event["channel_id"], message["ts"], message.get("text", "")),
                )
        finally:
            pool.putconn(conn)


if __name__ == "__main__":
    main()
