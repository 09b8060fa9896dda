"""Running the real bot against the fake Slack, in either mode, for end-to-end tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slack_bolt import App

from bot.config import Settings
from bot.features.deps import Deps
from bot.slack.client import make_client
from bot.transport.app import build_app
from bot.transport.serving import HttpServer, create_http_app, make_socket_handler
from fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "test-signing-secret"

ALICE, BOB, CAROL = "U024BE7LH", "U061F7AUR", "U07CAROL01"
BOT_USER = "U06HBQK1R2S"
GENERAL, INCIDENTS = "C024BE91L", "C07INCIDNTS"

# Slack's refusals that mean the bot sent what Slack does not take: a test that hits one
# fails, unless it expects it (@pytest.mark.refusals("code", …)).
DEFECTS = frozenset(
    {
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "too_long",
        "missing_scope",
        "not_in_channel",
        "channel_not_found",
        "user_not_in_channel",
        "is_archived",
        "invalid_trigger_id",
        "exchanged_trigger_id",
        "view_too_large",
        "invalid_name",
        "invalid_name_specials",
        "invalid_name_maxlength",
        "invalid_name_punctuation",
        "invalid_name_required",
        "not_allowed_token_type",
        "cant_update_message",
        "invalid_metadata_format",
        "no_text",
        "invalid_auth",
        "not_authed",
        "unknown_method",
    }
)


def manifest_for(mode: str) -> Path:
    """The app manifest Slack would have for the bot in `mode` (the one this repo ships)."""
    return ROOT / "deploy" / "slack" / f"manifest.{mode}.yaml"


def unexpected_refusals(slack: FakeSlack, allowed: Iterable[str] = ()) -> list[str]:
    allowed = set(allowed)
    return [
        call.summary()
        for call in slack.refusals
        if call.error in DEFECTS and call.error not in allowed
    ]


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
    slack.use_manifest(manifest_for(mode))
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


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for something the bot does after Slack has its answer (a row, a second post)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)
