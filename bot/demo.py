"""`incident-bot demo`: the fake Slack, the bot in Socket Mode and the viewer on a local
SQLite file, with a short scripted incident played through the real Slack paths."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bot.config import Settings
from bot.features.deps import Deps
from bot.slack.client import make_client
from bot.transport.app import build_app
from bot.transport.serving import make_socket_handler
from fakeslack import FakeSlack
from models import init_database, migrate

log = logging.getLogger("incident_bot.demo")

BOT_TOKEN, APP_TOKEN = "xoxb-demo-token", "xapp-demo-token"
ALICE, BOB = "U024BE7LH", "U061F7AUR"
INCIDENTS = "C07INCIDNTS"


def run_demo(database_path: Path, viewer_port: int, stop: threading.Event) -> int:
    database_url = f"sqlite:///{database_path.resolve()}"
    viewer_url = f"http://127.0.0.1:{viewer_port}"
    with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as slack:
        settings = Settings.from_env(
            {
                "DATABASE_URL": database_url,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_APP_TOKEN": APP_TOKEN,
                "SLACK_API_URL": slack.api_url,
                "INCIDENTS_CHANNEL": INCIDENTS,
                "VIEWER_BASE_URL": viewer_url,
            }
        )
        init_database(settings.database_url)
        migrate()
        deps = Deps.create(settings)
        app = build_app(settings, make_client(settings.bot_token, settings.slack_api_url), deps)
        handler = make_socket_handler(app, settings.app_token)
        handler.connect()
        viewer = subprocess.Popen(
            [sys.executable, "-m", "viewer.cli", "--host", "127.0.0.1", "--port", str(viewer_port)],
            env={**os.environ, "DATABASE_URL": database_url},
        )
        try:
            slack.wait_for_socket_connections(1, timeout=10)
            number = play(slack)
            _wait_for_viewer(viewer_url, viewer)
            print(
                f"\nThe demo incident is at {viewer_url}/incidents/{number}\n"
                f"All incidents: {viewer_url}/\nPress Ctrl-C to stop.",
                flush=True,
            )
            stop.wait()
        finally:
            viewer.terminate()
            viewer.wait(10)
            handler.close()
            deps.close()
    return 0


def _wait_for_viewer(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the viewer did not start at {url}")


def play(slack: FakeSlack) -> int:
    """Declare, pin, change status, note, add an action, resolve: as people would in Slack."""
    title = "Checkout latency above 2 s for EU customers"
    slack.slash_command(title, user=ALICE)
    view = slack.wait_for_view(callback_id="incident_declare", timeout=10)
    slack.submit_view(
        view["id"],
        {
            "title": title,
            "summary": "p95 of POST /checkout jumped from 300 ms to 2.4 s at 13:05 UTC.",
            "impact": "EU customers wait or abandon their basket.",
            "severity": "2",
            "lead": BOB,
        },
        user=ALICE,
    )
    # The reporter is told where the incident lives once it is open in Slack.
    slack.wait_for_call(
        "response_url", where=lambda c: "is declared" in str(c.params.get("text")), timeout=10
    )
    channel = next(c for c in slack.channels.values() if c["name"].startswith("inc-"))
    channel_id, number = channel["id"], int(channel["name"].split("-")[1])
    for user, text in (
        (BOB, "Connection pool on orders-db primary is exhausted."),
        (ALICE, "The 13:00 deploy raised the worker count from 8 to 32."),
    ):
        slack.pin(channel_id, slack.post_message(channel_id, user, text), user)
    for user, words in (
        (BOB, "status identified"),
        (BOB, "note Rolling back the deploy"),
        (BOB, "status monitoring"),
        (ALICE, "action Alert on pool saturation @bob"),
        (BOB, "close"),
    ):
        slack.slash_command(words, user=user, channel=channel_id)
    slack.wait_for_call(
        "chat.postMessage", where=lambda c: c.params.get("channel") == BOB, timeout=10
    )
    return number
