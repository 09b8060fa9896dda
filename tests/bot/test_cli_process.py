"""`incident-bot` as a real process: both modes reach Slack, answer health checks, stop on
SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from fakeslack import FakeSlack
from models import Incident
from testkit.harness import APP_TOKEN, BOT_TOKEN, INCIDENTS, SIGNING_SECRET
from testkit.net import free_port, get, wait_for
from testkit.processes import bot_command
from tests.bot.flows import confirmations, declare


@contextmanager
def bot_process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        bot_command(*args),
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()


def env_for(slack: FakeSlack, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_API_URL": slack.api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "INCIDENTS_CHANNEL": INCIDENTS,
        "LOG_FORMAT": "json",
    }


def stop_and_read_logs(process: subprocess.Popen[bytes]) -> list[dict]:
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert process.stderr is not None
    lines = process.stderr.read().decode().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_socket_mode_process(slack: FakeSlack, database, database_url: str) -> None:
    health = free_port()
    args = ["run", "--host", "127.0.0.1", "--health-port", str(health)]
    with bot_process(args, env_for(slack, database_url)) as process:
        # Ready once connected to Slack (alive sooner: liveness never waits on Slack).
        wait_for(f"http://127.0.0.1:{health}/readyz")
        assert get(f"http://127.0.0.1:{health}/livez")[0] == 200
        declare(slack, "From a real process")
        with urllib.request.urlopen(f"http://127.0.0.1:{health}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
        assert "incident_bot_incidents_declared_total 1.0" in metrics
        logs = stop_and_read_logs(process)
    with database.connection_context():
        incident = Incident.get()
    assert incident.channel_id
    assert any(line.get("incident") == incident.id for line in logs)
    assert any(line["message"] == "stopped" for line in logs)
    assert not any(BOT_TOKEN in json.dumps(line) or APP_TOKEN in json.dumps(line) for line in logs)


def test_http_mode_process(slack: FakeSlack, database, database_url: str) -> None:
    port = free_port()
    args = ["run", "--mode", "http", "--host", "127.0.0.1", "--port", str(port)]
    # A health port of its own (never the default 8081 another test may hold), no drain.
    args += ["--health-port", str(free_port()), "--drain-seconds", "0"]
    with bot_process(args, env_for(slack, database_url)) as process:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        slack.http_target = f"http://127.0.0.1:{port}/slack/events"
        try:
            declare(slack, "Over HTTP from a real process")
        finally:
            slack.http_target = None
        logs = stop_and_read_logs(process)
    with database.connection_context():
        assert Incident.select().count() == 1
    assert not any(SIGNING_SECRET in json.dumps(line) for line in logs)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_missing_variable_stops_the_process_with_its_name(database_url: str) -> None:
    result = subprocess.run(
        bot_command("run", "--mode", "http"),
        env={
            "PATH": os.environ.get("PATH", ""),
            "SLACK_BOT_TOKEN": "xoxb-1",
            "DATABASE_URL": database_url,
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_no_secret_reaches_the_logs(slack: FakeSlack, database, database_url: str) -> None:
    """Tokens, the signing secret and the database password, scanned for in every line."""
    password = "pg-pass-4b1d"  # trust authentication on the test server accepts any password
    with_password = database_url.replace(
        "postgresql://postgres@", f"postgresql://postgres:{password}@"
    )
    assert password in with_password
    port = free_port()
    env = {**env_for(slack, with_password), "LOG_FORMAT": "text"}
    slack.faults.error("bookmarks.add", "missing_scope", extra={"needed": "bookmarks:write"})
    args = ["run", "--mode", "http", "--host", "127.0.0.1", "--port", str(port)]
    # A health port of its own (never the default 8081 another test may hold), no drain.
    args += ["--health-port", str(free_port()), "--drain-seconds", "0"]
    with bot_process(args, env) as process:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        slack.http_target = f"http://127.0.0.1:{port}/slack/events"
        try:
            declare(slack, "Secrets stay secret")
            slack.post_signed("{}", content_type="application/json", signature="v0=bad")
        finally:
            slack.http_target = None
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        assert process.stderr is not None
        output = process.stderr.read().decode()
    assert output.strip(), "the bot logged nothing at all"
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, password):
        assert secret not in output, secret


@pytest.mark.parametrize(
    "mode_args", [["--mode", "http"], ["--mode", "socket"]], ids=["http", "socket"]
)
def test_sigterm_finishes_the_work_in_flight(
    slack: FakeSlack, database, database_url: str, mode_args: list[str]
) -> None:
    """SIGTERM while a declaration is half-way through Slack: it completes, then exit 0."""
    port, health = free_port(), free_port()
    args = [
        "run",
        *mode_args,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--health-port",
        str(health),
        *("--drain-seconds", "1"),
    ]
    slack.faults.latency("conversations.create", 1.5)
    with bot_process(args, env_for(slack, database_url)) as process:
        if "http" in mode_args:
            wait_for(f"http://127.0.0.1:{port}/healthz")
            slack.http_target = f"http://127.0.0.1:{port}/slack/events"
        else:
            wait_for(f"http://127.0.0.1:{health}/readyz")
        try:
            slack.slash_command("Shutdown race")
            view = slack.wait_for_view(callback_id="incident_declare")
            assert slack.submit_view(view["id"], {"title": "Shutdown race", "severity": "3"}).ok
            time.sleep(0.5)  # conversations.create is now under way (it takes 1.5 s)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
            assert time.monotonic() - started < 15
        finally:
            slack.http_target = None
    with database.connection_context():
        incident = Incident.get()
    assert incident.channel_id is not None
    assert len(confirmations(slack)) == 1
