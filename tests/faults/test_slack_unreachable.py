"""Slack out of reach: a replica started while nothing answers at SLACK_API_URL keeps its
health port up (alive, not ready), retries with a growing delay and one warning per failure,
then connects and becomes ready once Slack answers; a SIGTERM meanwhile ends it at once, with
exit 0. A Slack that goes away after the connection leaves liveness alone (readiness says
so): restarting every replica would not bring Slack back."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from testkit.harness import APP_TOKEN, BOT_TOKEN
from testkit.net import free_port, wait_until
from testkit.processes import Replica, Replicas
from testkit.slack import ReplicaSlack

# A WebSocket close frame as a server sends it (unmasked): code 1001, "going away".
CLOSE_FRAME = bytes([0x88, 0x02, 0x03, 0xE9])


@dataclass(eq=False)
class _Pair:
    client: socket.socket
    upstream: socket.socket
    websocket: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class Doorway:
    """127.0.0.1:`port` forwarded to the fake Slack while open; closed, connections to it
    are refused (Slack, or the way to it, gone). `hang_up` ends the WebSocket connections it
    carries with a close frame, as Slack going away does, then closes."""

    def __init__(self, port: int, upstream: int) -> None:
        self.port, self.upstream = port, upstream
        self._listener: socket.socket | None = None
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()

    def open(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def hang_up(self) -> int:
        """Close frames on the idle WebSocket connections (whole frames: each chunk read from
        Slack is written under the pair's lock), then `close`; how many were hung up."""
        with self._lock:
            sockets = [p for p in self._pairs if p.websocket]
        for pair in sockets:
            with pair.lock, contextlib.suppress(OSError):
                pair.client.sendall(CLOSE_FRAME)
        self.close()
        return len(sockets)

    def close(self) -> None:
        if self._listener is not None:
            # shutdown first: a bare close leaves the port listening until accept() returns.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in (pair.client, pair.upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            pair = _Pair(client, socket.create_connection(("127.0.0.1", self.upstream), 5))
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump_up, args=(pair,), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(pair,), daemon=True).start()

    def _pump_up(self, pair: _Pair) -> None:
        try:
            while data := pair.client.recv(65536):
                pair.websocket = pair.websocket or data.startswith(b"GET /link")
                pair.upstream.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            pair.upstream.shutdown(socket.SHUT_WR)

    def _pump_down(self, pair: _Pair) -> None:
        try:
            while data := pair.upstream.recv(65536):
                with pair.lock:
                    pair.client.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            pair.client.shutdown(socket.SHUT_WR)


@pytest.fixture
def doorway(slack: ReplicaSlack) -> Iterator[Doorway]:
    door = Doorway(free_port(), slack.port)
    try:
        yield door
    finally:
        door.close()


def _through(door: Doorway) -> dict[str, str]:
    return {"SLACK_API_URL": f"http://127.0.0.1:{door.port}/api/"}


def _retries(replica: Replica) -> list[dict]:
    return [line for line in replica.logs() if line.get("message") == "slack not reachable"]


def test_socket_mode_waits_for_slack_then_connects(
    slack: ReplicaSlack, replicas: Replicas, doorway: Doorway
) -> None:
    bot = replicas.start("socket", env=_through(doorway), wait=False)
    wait_until(lambda: len(_retries(bot)) >= 2, 15, "two failed attempts")
    for _ in range(4):  # alive all along, never ready
        assert (bot.status("/livez"), bot.status("/readyz")) == (200, 503)
        time.sleep(0.25)
    assert bot.process.poll() is None
    retries = _retries(bot)
    assert [r["attempt"] for r in retries] == list(range(1, len(retries) + 1))
    delays = [r["retry_in_seconds"] for r in retries]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2, delays
    assert all(r["level"] == "warning" and "Connection refused" in r["error"] for r in retries)

    doorway.open()
    became_ready = bot.wait_status("/readyz", 200, 10)
    assert slack.socket_connections() == 1
    assert slack.slash_command("help", via="socket").ok
    print(f"ready {became_ready:.2f}s after Slack came back, after {len(_retries(bot))} retries")
    logs = bot.logs()
    assert any(line.get("message") == "socket mode connected" for line in logs)
    assert not any(t in json.dumps(logs) for t in (BOT_TOKEN, APP_TOKEN))
    assert not any("http mode" in str(line.get("message")) for line in logs)
    assert bot.terminate(timeout=10) == 0


@pytest.mark.parametrize("mode", ["socket", "http"])
def test_sigterm_while_slack_is_unreachable_exits_0_at_once(
    replicas: Replicas, doorway: Doorway, mode: str
) -> None:
    bot = replicas.start(mode, env=_through(doorway), wait=False)
    wait_until(lambda: len(_retries(bot)) >= 1, 15, "a failed attempt")
    assert (bot.status("/livez"), bot.status("/readyz")) == (200, 503)
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(10) == 0
    assert time.monotonic() - started < 2


@pytest.mark.refusals("invalid_auth")
def test_a_refused_token_stops_the_process_with_a_configuration_error(
    slack: ReplicaSlack, replicas: Replicas
) -> None:
    """No retry changes a token Slack refuses: exit 2 at once, say why, as for a bad variable."""
    slack.faults.error("auth.test", "invalid_auth", times=5)
    bot = replicas.start("socket", wait=False)
    assert bot.process.wait(15) == 2
    output = bot.log_path.read_text()
    assert "configuration error: Slack refused the token at connect: invalid_auth" in output
    assert "Traceback" not in output
    assert BOT_TOKEN not in output and APP_TOKEN not in output


def test_liveness_stays_up_while_slack_goes_away_and_comes_back(
    slack: ReplicaSlack, replicas: Replicas, doorway: Doorway
) -> None:
    doorway.open()
    slack.route_sockets_through(doorway.port)  # the WebSocket too goes through the doorway
    bot = replicas.start("socket", env=_through(doorway))
    assert doorway.hang_up() == 1
    gone = time.monotonic()
    livez: list[int | None] = []

    def watch(until: int) -> float:
        while bot.status("/readyz") != until:
            livez.append(bot.status("/livez"))
            assert time.monotonic() - gone < 20, f"/readyz never {until}: {bot.tail()}"
            time.sleep(0.1)
        return time.monotonic() - gone

    noticed = watch(503)
    time.sleep(2)  # Slack stays away a while: reconnecting fails meanwhile
    doorway.open()
    back = time.monotonic() - gone
    ready = watch(200)
    print(f"not ready after {noticed:.1f}s, Slack back at {back:.1f}s, ready at {ready:.1f}s")
    assert livez and set(livez) == {200}
    assert bot.terminate(timeout=10) == 0
