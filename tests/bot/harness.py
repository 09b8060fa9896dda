"""Running the real bot against the fake Slack, in either mode, for end-to-end tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from slack_bolt import App

from bot.app import build_app
from bot.config import Settings
from bot.deps import Deps
from bot.runtime import HttpServer, create_http_app, make_socket_handler
from bot.slack_client import make_client
from fakeslack import FakeSlack

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "test-signing-secret"

ALICE, BOB, CAROL = "U024BE7LH", "U061F7AUR", "U07CAROL01"
BOT_USER = "U06HBQK1R2S"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"


def settings_for(
    slack: FakeSlack, mode: str, database_url: str, env: Mapping[str, str] | None = None
) -> Settings:
    base = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "INCIDENTS_CHANNEL": INCIDENTS,
        "VIEWER_BASE_URL": "https://incidents.example.com",
    }
    merged = {**base, **(env or {})}
    return Settings.from_env({k: v for k, v in merged.items() if v is not None}, mode=mode)


@dataclass
class RunningBot:
    mode: str
    settings: Settings
    app: App


@contextmanager
def running_bot(
    slack: FakeSlack, mode: str, database_url: str, env: Mapping[str, str] | None = None
) -> Iterator[RunningBot]:
    """The bot as `incident-bot run` builds it, served over a real socket or HTTP port."""
    settings = settings_for(slack, mode, database_url, env)
    deps = Deps.create(settings)
    app = build_app(settings, make_client(settings.bot_token, settings.slack_api_url), deps)
    try:
        if mode == "http":
            with _http_server(app) as url:
                slack.http_target = url
                try:
                    yield RunningBot(mode, settings, app)
                finally:
                    slack.http_target = None
        else:
            handler = make_socket_handler(app, settings.app_token)
            handler.connect()
            try:
                slack.wait_for_socket_connections(1)
                yield RunningBot(mode, settings, app)
            finally:
                # close() otherwise sits out the message processor's 1 s queue poll.
                handler.client.closed = True
                handler.client.message_queue.put(None)
                handler.close()
    finally:
        deps.close()


@contextmanager
def _http_server(app: App) -> Iterator[str]:
    server = HttpServer(create_http_app(app), host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/slack/events"
    finally:
        server.stop()
        thread.join(5)
