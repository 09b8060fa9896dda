"""`incident-bot demo`: the fake Slack, the bot in Socket Mode and the viewer on a local
SQLite file, with a scripted incident played through the real Slack paths: an hour of it,
each step at its moment (the bot's and the workspace's clocks are set back for the play)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.config import Settings
from bot.domain import timeline
from bot.features.deps import Deps
from bot.slack.client import make_client
from bot.transport.app import build_app
from bot.transport.serving import make_socket_handler
from fakeslack import FakeSlack, clock
from models import AuditEntry, db, init_database, migrate
from models.fields import replay_at

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
            [
                sys.executable,
                *("-m", "viewer.cli", "--host", "127.0.0.1", "--port", str(viewer_port)),
                *("--metrics-port", "0"),  # nothing scrapes a demo; its port may be taken
            ],
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


# The script, in minutes before the demo starts: an hour of incident, from the impact
# starting to the close, each step played through Slack at its moment.
IMPACT_STARTED, DECLARED = 70, 62
MESSAGES = (
    (58, 57, BOB, "Connection pool on orders-db primary is exhausted."),
    (52, 50, ALICE, "Deploy 4812 raised the worker count from 8 to 32."),
)
COMMANDS = (
    (45, BOB, "status identified"),
    (38, BOB, "note Rolling back the deploy"),
    (22, BOB, "status monitoring"),
    (15, ALICE, "action Alert on pool saturation @bob"),
    (4, BOB, "close"),
)


def _at(minutes_ago: int) -> None:
    """Move the bot's and the workspace's clocks to `minutes_ago` before real time."""
    offset = dt.timedelta(minutes=-minutes_ago)
    replay_at(offset)
    clock.shift(offset.total_seconds())


def _settled(count: Callable[[], int], want: int, what: str, timeout: float = 10) -> None:
    # Each step is handled before the clocks move on, so it is stored at its own moment.
    deadline = time.monotonic() + timeout
    while count() < want:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo's bot did not handle {what} in time")
        time.sleep(0.02)


def play(slack: FakeSlack) -> int:
    """Declare, pin, change status, note, add an action, resolve: as people would in Slack,
    each at its moment of the script, so the incident reads like one that took an hour."""
    try:
        return _play(slack)
    finally:
        _at(0)


def _play(slack: FakeSlack) -> int:
    title = "Checkout latency above 2 s for EU customers"
    _at(DECLARED)
    started = int(time.time()) - IMPACT_STARTED * 60
    slack.slash_command(title, user=ALICE)
    view = slack.wait_for_view(callback_id="incident_declare", timeout=10)
    slack.submit_view(
        view["id"],
        {
            "title": title,
            "summary": "p95 of POST /checkout jumped from 300 ms to 2.4 s after the deploy.",
            "impact": "EU customers wait or abandon their basket.",
            "started": started,
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
    for pinned, (posted_at, pinned_at, user, text) in enumerate(MESSAGES, start=1):
        _at(posted_at)
        ts = slack.post_message(channel_id, user, text)
        _at(pinned_at)
        slack.pin(channel_id, ts, user)
        _settled(partial(_pins, number), pinned, "a pin")
    for minutes_ago, user, words in COMMANDS:
        _at(minutes_ago)
        recorded = _audited(number)
        slack.slash_command(words, user=user, channel=channel_id)
        _settled(partial(_audited, number), recorded + 1, words)
    slack.wait_for_call(
        "chat.postMessage", where=lambda c: c.params.get("channel") == BOB, timeout=10
    )
    return number


def _audited(number: int) -> int:
    # Every command that changes an incident leaves an audit row.
    with db.connection_context():
        return AuditEntry.select().where(AuditEntry.incident == number).count()


def _pins(number: int) -> int:
    return sum(1 for entry in timeline.entries(number) if entry.kind == "pin")
