"""An ingress in front of HTTP-mode replicas, as a Kubernetes cluster runs one: it sends
Slack's signed requests to the replicas it routes to, reads each replica's readiness every
`poll` seconds, and stops routing to one `lag` seconds after reading anything but 200 (the
endpoints' removal reaching the controller). Every request it sent is recorded with its
answer: a refused or reset connection is a request Slack lost."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field

from fakeslack.delivery import build_headers, encode
from testkit.harness import BOB, SIGNING_SECRET
from testkit.processes import Replica
from testkit.slack import ReplicaSlack


@dataclass(frozen=True)
class Sent:
    replica: str
    kind: str  # "note" (a slash command) or "pin" (an events_api delivery)
    key: str  # the note's text, the pinned message's ts
    at: float  # monotonic, when it was sent
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass
class Route:
    replica: Replica
    routed: bool = False
    not_ready_at: float | None = None  # first read of anything but 200
    removed_at: float | None = None


@dataclass
class Ingress:
    """Call `add` for each replica (routed once it reads ready), `start`, then `stop`.

    Half the requests are `/incident note …` slash commands, each on a new connection (the
    fake Slack's own delivery, which also holds it to Slack's 3 s deadline); the other half
    `pin_added` events on a keep-alive connection per worker and replica, as an ingress
    keeps its upstream connections open.
    """

    slack: ReplicaSlack
    channel: str
    workers: int = 4
    interval: float = 0.1  # each worker's pause between requests
    poll: float = 0.5
    lag: float = 1.0
    sent: list[Sent] = field(default_factory=list)
    routes: dict[str, Route] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def add(self, replica: Replica) -> None:
        with self._lock:
            self.routes[replica.name] = Route(replica)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._watch, name="ingress-poll", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name=f"ingress-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def wait_routed(self, name: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not self.routes[name].routed:
            assert time.monotonic() < deadline, f"{name} never routed"
            time.sleep(0.05)

    def wait_removed(self, name: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.routes[name].removed_at is None:
            assert time.monotonic() < deadline, f"{name} never taken out"
            time.sleep(0.05)

    def to(self, name: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.replica == name]

    # -- the controller ------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                routes = list(self.routes.values())
            for route in routes:
                if route.removed_at is not None:
                    continue  # a pod taken out of the endpoints never comes back
                ready = route.replica.status("/readyz") == 200
                with self._lock:
                    if ready and route.not_ready_at is None:
                        route.routed = True
                    elif not ready and route.routed and route.not_ready_at is None:
                        route.not_ready_at = now
                    if route.not_ready_at is not None and now - route.not_ready_at >= self.lag:
                        route.routed = False
                        route.removed_at = now
            self._stop.wait(self.poll if all(r.not_ready_at is None for r in routes) else 0.05)

    def _next(self, turn: int) -> Replica | None:
        with self._lock:
            routed = [r.replica for r in self.routes.values() if r.routed]
        return routed[turn % len(routed)] if routed else None

    # -- the traffic ---------------------------------------------------------------------

    def _work(self) -> None:
        kept: dict[str, http.client.HTTPConnection] = {}
        turn = 0
        try:
            while not self._stop.is_set():
                replica = self._next(turn)
                turn += 1
                if replica is None:
                    time.sleep(0.02)
                    continue
                number = next(self._numbers)
                if number % 2:
                    record = self._pin(replica, number, kept)
                else:
                    record = self._note(replica, number)
                with self._lock:
                    self.sent.append(record)
                time.sleep(self.interval)
        finally:
            for conn in kept.values():
                conn.close()

    def _note(self, replica: Replica, number: int) -> Sent:
        text = f"load note {number}"
        at = time.monotonic()
        with self.slack.via(replica.events_url):
            delivery = self.slack.slash_command(
                f"note {text}", channel=self.channel, via="http", timeout=10
            )
        error = delivery.error
        if delivery.ok and "Added to the timeline" not in str(delivery.body):
            error = f"unexpected answer {delivery.body!r}"
        return Sent(replica.name, "note", text, at, delivery.status, error)

    def _pin(
        self, replica: Replica, number: int, kept: dict[str, http.client.HTTPConnection]
    ) -> Sent:
        ts = self.slack.post_message(self.channel, BOB, f"load pin {number}")
        body, content_type = encode("events_api", self.slack.pin_event(self.channel, ts))
        headers = build_headers(SIGNING_SECRET, body, content_type)
        conn = kept.get(replica.name)
        if conn is None:
            conn = kept[replica.name] = http.client.HTTPConnection(
                "127.0.0.1", replica.port, timeout=10
            )
        at = time.monotonic()
        try:
            conn.request("POST", "/slack/events", body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException) as error:
            with contextlib.suppress(OSError):
                conn.close()
            kept.pop(replica.name, None)
            return Sent(replica.name, "pin", ts, at, None, type(error).__name__)
        if answer.will_close:
            conn.close()
            kept.pop(replica.name, None)
        return Sent(replica.name, "pin", ts, at, answer.status)
