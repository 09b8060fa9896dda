"""Fault tests: `incident-bot run` as real processes on PostgreSQL against the fake Slack.

Here live the pieces those tests share: a fake Slack that can aim each thread's HTTP
deliveries at a different replica, bot processes started and stopped by PID (their logs in
files, so a busy bot never blocks on a full pipe), signed deliveries to a chosen URL or Socket
Mode connection, pin payloads, and a TCP proxy that resets or silences connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from peewee import Database

from fakeslack import FakeSlack
from fakeslack import payloads as slack_payloads
from fakeslack.delivery import Delivery, build_headers, encode, post
from fakeslack.socketmode import Envelope
from fakeslack.state import permalink
from models import db, init_database
from tests.bot.harness import (
    ALICE,
    APP_TOKEN,
    BOB,
    BOT_TOKEN,
    INCIDENTS,
    SIGNING_SECRET,
    manifest_for,
    unexpected_refusals,
)
from tests.bot.test_cli_process import free_port, get
from tests.conftest import TABLES_IN_DELETE_ORDER


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "db_restart: stops and restarts the shared PostgreSQL server (deselect with "
        "-m 'not db_restart')",
    )


# -- the fake Slack ----------------------------------------------------------------------------


class ReplicaSlack(FakeSlack):
    """FakeSlack whose HTTP deliveries go to the target set for the calling thread, so
    concurrent threads can each talk to their own replica (FakeSlack has one target)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._shared_target: str | None = None
        super().__init__(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET)

    @property  # type: ignore[override]
    def http_target(self) -> str | None:
        return getattr(self._local, "target", None) or self._shared_target

    @http_target.setter
    def http_target(self, value: str | None) -> None:
        self._shared_target = value

    @contextlib.contextmanager
    def via(self, url: str) -> Iterator[None]:
        """HTTP deliveries made by this thread go to `url` meanwhile."""
        previous = getattr(self._local, "target", None)
        self._local.target = url
        try:
            yield
        finally:
            self._local.target = previous

    def deliver_on(
        self, connection_id: str, kind: str, payload: dict[str, Any], timeout: float = 10.0
    ) -> bool:
        """Send one envelope on one Socket Mode connection (no redelivery); True if acked.

        FakeSlack spreads envelopes round-robin; the two-replica test needs each copy of an
        event on a chosen connection, so this reaches into the hub's (private) send.
        """
        hub = self._hub

        async def send() -> bool:
            envelope = Envelope(kind, payload, asyncio.get_running_loop().create_future())
            await hub._send(hub._conns[connection_id], envelope, 0, "")
            try:
                await asyncio.wait_for(asyncio.shield(envelope.settled), timeout)
            except TimeoutError:
                return False
            return True

        return self._server.call(send(), timeout + 5)

    def route_sockets_through(self, port: int | None) -> None:
        """Hand out Socket Mode URLs on `port` (a proxy in front of this fake); None: direct."""
        self._hub.url_base = f"ws://127.0.0.1:{port or self.port}"


@pytest.fixture(scope="session")
def fault_slack() -> Iterator[ReplicaSlack]:
    with ReplicaSlack() as slack:
        yield slack


@pytest.fixture
def slack(fault_slack: ReplicaSlack, request: pytest.FixtureRequest) -> Iterator[ReplicaSlack]:
    """Fresh; the test fails if a replica sent what Slack would refuse, unless expected."""
    fault_slack.reset()
    fault_slack.socket_ack_timeout = 3.0
    fault_slack.route_sockets_through(None)
    yield fault_slack
    fault_slack.faults.clear()
    fault_slack.http_target = None
    allowed = {code for mark in request.node.iter_markers("refusals") for code in mark.args}
    refused = unexpected_refusals(fault_slack, allowed)
    assert not refused, "Slack would refuse what a replica sent:\n" + "\n".join(refused)


def post_signed_to(
    url: str, kind: str, payload: dict[str, Any], *, retry_num: int = 0, timeout: float = 10.0
) -> Delivery:
    """A delivery as Slack makes it (encoded, signed, retry headers) to a given replica."""
    body, content_type = encode(kind, payload)
    headers = build_headers(SIGNING_SECRET, body, content_type, retry_num=retry_num)
    return post(url, body, headers, timeout=timeout, kind=kind, payload=payload)


def pin_added(
    channel: str,
    ts: str,
    text: str,
    *,
    author: str = BOB,
    pinner: str = ALICE,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The `event_callback` Slack sends when `pinner` pins message `ts` in `channel`."""
    message = {
        "type": "message",
        "user": author,
        "text": text,
        "ts": ts,
        "permalink": permalink(channel, ts),
    }
    item = {
        "type": "message",
        "created": int(time.time()),
        "created_by": pinner,
        "channel": channel,
        "message": message,
    }
    event = slack_payloads.pin_event("pin_added", item=item, user=pinner, pin_count=1, event_ts=ts)
    return slack_payloads.event_callback(
        event,
        event_id=event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        event_time=int(time.time()),
    )


# -- the database ------------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[str, Database]]:
    """The run's PostgreSQL database, emptied; (url, the shared proxy's database)."""
    database = init_database(postgres_url)
    with database.connection_context():
        database.execute_sql(
            f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} RESTART IDENTITY CASCADE"
        )
    yield postgres_url, database
    if db.obj is not None:
        db.obj.close_all()


# -- bot processes -----------------------------------------------------------------------------


@dataclass
class Replica:
    """One `incident-bot run` process; HTTP mode serves health on its own port."""

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
        port = self.port if self.mode == "http" else self.health_port
        return f"http://127.0.0.1:{port}{path}"

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
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SLACK_API_URL": self.slack.api_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "INCIDENTS_CHANNEL": INCIDENTS,
            "LOG_FORMAT": "json",
            # Nothing due during a test unless a test asks for it.
            "REMINDERS_ENABLED": "false",
            **(extra or {}),
        }

    def start(
        self,
        mode: str,
        *,
        env: dict[str, str] | None = None,
        wait: bool = True,
        port: int | None = None,
    ) -> Replica:
        name = f"{mode}-{len(self.started) + 1}"
        self.slack.use_manifest(manifest_for(mode))
        port, health = port or free_port(), free_port()
        log_path = self.directory / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "run",
                    "--mode",
                    mode,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--health-port",
                    str(health),
                ],
                env=self.env(env),
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
        replica = Replica(name, mode, process, port, health, log_path)
        self.started.append(replica)
        if wait:
            replica.wait_status("/livez" if mode == "socket" else "/healthz", 200, 30)
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


@pytest.fixture
def replicas(slack: ReplicaSlack, pg: tuple[str, Database], tmp_path: Path) -> Iterator[Replicas]:
    running = Replicas(slack, pg[0], tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


# -- a TCP proxy that misbehaves on request -----------------------------------------------------


def _drop(sock: socket.socket) -> None:
    """Close abruptly (RST, no FIN handshake), waking any thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@dataclass(eq=False)
class _Pair:
    client: socket.socket
    upstream: socket.socket
    silenced: bool = False
    drop_on_answer: bool = False


class Proxy:
    """Forwards 127.0.0.1:port to the fake Slack; can drop or silence connections.

    - `drop_open()`: every open connection is cut (the peer sees it closed at once);
    - `silence_open()`: open connections stay up but nothing passes any more (a dead NAT
      entry: no data, no pongs, no FIN);
    - `drop_after_answer(path, times)`: the next `times` requests for `path` reach Slack and
      are answered, but the answer is lost in a connection reset (the worst case for a
      non-idempotent call such as conversations.create).
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._pairs: set[_Pair] = set()
        self._drops: dict[str, int] = {}
        self.dropped_answers = 0
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def drop_open(self) -> int:
        with self._lock:
            pairs, self._pairs = list(self._pairs), set()
        for pair in pairs:
            _drop(pair.client)
            _drop(pair.upstream)
        return len(pairs)

    def silence_open(self) -> int:
        with self._lock:
            for pair in self._pairs:
                pair.silenced = True
            return len(self._pairs)

    def drop_after_answer(self, path: str, times: int) -> None:
        with self._lock:
            self._drops[path] = self._drops.get(path, 0) + times

    def close(self) -> None:
        self._closed = True
        _drop(self._listener)
        self.drop_open()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), 5)
                upstream.settimeout(None)
            except OSError:
                _drop(client)
                continue
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump_up, args=(pair,), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(pair,), daemon=True).start()

    def _pump_up(self, pair: _Pair) -> None:
        first = True
        while True:
            try:
                data = pair.client.recv(65536)
            except OSError:
                data = b""
            if not data:
                _drop(pair.upstream)
                return
            if first:
                first = False
                line = data.split(b"\r\n", 1)[0].decode("latin-1")
                with self._lock:
                    for path, left in self._drops.items():
                        if left and f" {path}" in line:
                            self._drops[path] = left - 1
                            pair.drop_on_answer = True
                            break
            if pair.silenced:
                continue
            try:
                pair.upstream.sendall(data)
            except OSError:
                _drop(pair.client)
                return

    def _pump_down(self, pair: _Pair) -> None:
        while True:
            try:
                data = pair.upstream.recv(65536)
            except OSError:
                data = b""
            if not data or pair.drop_on_answer:
                if pair.drop_on_answer and data:
                    with self._lock:
                        self.dropped_answers += 1
                _drop(pair.client)
                _drop(pair.upstream)
                with self._lock:
                    self._pairs.discard(pair)
                return
            if pair.silenced:
                continue
            try:
                pair.client.sendall(data)
            except OSError:
                _drop(pair.upstream)
                return


@pytest.fixture
def proxy(slack: ReplicaSlack) -> Iterator[Proxy]:
    running = Proxy(slack.port)
    try:
        yield running
    finally:
        running.close()


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> float:
    """Seconds until `predicate()` is true; AssertionError naming `what` on timeout."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)


# -- a PostgreSQL server of the test's own, to stop and start ------------------------------------

PG_BIN = Path(os.environ.get("INCIDENT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


class OwnPostgres:
    """A throwaway PostgreSQL cluster (initdb in a temp directory, its own port).

    The restart test stops *this* server, not the shared one: the run's session fixtures
    hold connections to the shared server that a restart would kill under them.
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="incident-faults-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            PG_BIN / "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: object) -> None:
        argv = [str(c) for c in command]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            PG_BIN / "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "-l",
            str(self.directory / "server.log"),
            "start",
        )

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pidfile.read_text().splitlines()[0])
        return None

    def remove(self) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self.stop()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries in {PG_BIN} (set INCIDENT_TEST_PG_BIN)")
    server = OwnPostgres()
    try:
        server.start()
        database = init_database(server.url)
        from models import migrate

        migrate(database)
        yield server
    finally:
        if db.obj is not None and hasattr(db.obj, "close_all"):
            db.obj.close_all()
        server.remove()
