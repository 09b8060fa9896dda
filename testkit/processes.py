"""Real processes for tests and benches: free ports, waiting on a URL or a condition, and
`incident-bot run` replicas started and stopped by PID (their logs in files, so a busy bot
never blocks on a full pipe)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testkit.harness import (
    APP_TOKEN,
    BOT_TOKEN,
    INCIDENTS,
    SIGNING_SECRET,
    manifest_for,
)
from testkit.net import free_port, get
from testkit.slack import ReplicaSlack

# What the health port serves (in both modes); everything else is on the main port.
HEALTH_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics", "/drain"})
# A loopback replica's drain before an HTTP stop, unless asked for another: no ingress is in
# front of it, and the production default (10 s) would only make every stop that slower.
TEST_DRAIN_SECONDS = 1.0


def bot_command(*args: str) -> list[str]:
    """`incident-bot ARGS`, run by this interpreter from the checkout."""
    return [sys.executable, "-m", "bot.cli", *args]


def run_command(
    mode: str,
    *,
    port: int,
    health_port: int = 0,
    drain_seconds: float | None = TEST_DRAIN_SECONDS,
) -> list[str]:
    """`incident-bot run` on loopback: Slack's requests on `port` in HTTP mode, health on
    `health_port` in both modes (0: none), draining `drain_seconds` before an HTTP stop
    (None: the bot's own default)."""
    drain = [] if drain_seconds is None else ["--drain-seconds", str(drain_seconds)]
    return bot_command(
        "run",
        "--mode",
        mode,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--health-port",
        str(health_port),
        *drain,
    )


def bot_env(api_url: str, database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A bot's environment: this one's, pointed at a fake Slack (with the harness's tokens)
    and a database, reminders off unless `extra` turns them on."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "INCIDENTS_CHANNEL": INCIDENTS,
        "LOG_FORMAT": "json",
        # Nothing due during a test unless a test asks for it.
        "REMINDERS_ENABLED": "false",
        **(extra or {}),
    }


@dataclass
class Replica:
    """One `incident-bot run` process; health on its own port in both modes."""

    name: str
    mode: str
    process: subprocess.Popen[bytes]
    port: int
    health_port: int
    log_path: Path

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def url(self, path: str) -> str:
        """Health paths on the health port (when it has one), the rest on the main port."""
        if path.split("?", 1)[0] in HEALTH_PATHS and self.health_port:
            return self.health_url(path)
        return self.main_url(path)

    def main_url(self, path: str) -> str:
        """On the port Slack's requests reach in HTTP mode (its /healthz, /livez, /readyz)."""
        return f"http://127.0.0.1:{self.port}{path}"

    def health_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.health_port}{path}"

    def status(self, path: str) -> int | None:
        try:
            return get(self.url(path))[0]
        except OSError:
            return None

    def wait_status(self, path: str, status: int, timeout: float) -> float:
        """Seconds until `path` answers `status`; AssertionError on timeout."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.status(path) == status:
                return time.monotonic() - started
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.tail()}")
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: {path} never answered {status}: {self.tail()}")

    def terminate(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def logs(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def tail(self, n: int = 15) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


@dataclass
class Replicas:
    """Starts bot processes; every one still running is killed, by PID, at teardown."""

    slack: ReplicaSlack
    database_url: str
    directory: Path
    started: list[Replica] = field(default_factory=list)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return bot_env(self.slack.api_url, self.database_url, extra)

    def start(
        self,
        mode: str,
        *,
        env: dict[str, str] | None = None,
        wait: bool = True,
        port: int | None = None,
        drain_seconds: float | None = TEST_DRAIN_SECONDS,
    ) -> Replica:
        """Start one; with `wait`, until it is ready (/readyz 200: the database answers and,
        in Socket Mode, the connection is up; liveness alone says nothing of Slack)."""
        name = f"{mode}-{len(self.started) + 1}"
        self.slack.use_manifest(manifest_for(mode))
        port, health = port or free_port(), free_port()
        log_path = self.directory / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                run_command(mode, port=port, health_port=health, drain_seconds=drain_seconds),
                env=self.env(env),
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
        replica = Replica(name, mode, process, port, health, log_path)
        self.started.append(replica)
        if wait:
            replica.wait_status("/readyz", 200, 30)
        return replica

    def stop_all(self) -> None:
        for replica in self.started:
            if replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.started:
            try:
                replica.process.wait(15)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(5)
