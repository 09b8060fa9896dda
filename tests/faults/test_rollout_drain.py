"""A rolling update in HTTP mode under load drops nothing: the old pod is told to go (a
preStop `GET /drain`, then SIGTERM, as the kubelet does; or SIGTERM alone) while an ingress
that learns of readiness only by polling it still sends it requests. The pod answers 503 on
its readiness paths at once, goes on answering every request for the drain, then stops,
exits 0, within its bound; every request sent got a 2xx and what each stored is there.
Without a drain the same rollout loses requests, which is what makes this test able to fail."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.transport.serving import worst_case_shutdown_seconds
from models import Incident, TimelineEvent
from testkit.net import wait_until
from testkit.processes import Replica, Replicas
from testkit.replica_flows import declare_via, opened
from testkit.slack import ReplicaSlack
from tests.faults.ingress import Ingress

DRAIN = 3.0  # > the ingress's worst lag: a poll every 0.5 s, then 1 s for the removal
LOAD_BEFORE = 1.0
LOAD_AFTER = 1.0


@pytest.fixture
def rollout(slack: ReplicaSlack, replicas: Replicas) -> Iterator[tuple[Replica, Ingress]]:
    """An incident declared, then two replicas under an ingress's load; yields the old one."""
    old = replicas.start("http", drain_seconds=DRAIN)
    with slack.via(old.events_url):
        assert declare_via(slack, "Rollout under load", slack.ALICE).ok
    wait_until(opened(1), 20, "incident opened")
    ingress = Ingress(slack, Incident.get().channel_id)
    ingress.add(old)
    ingress.start()
    try:
        ingress.wait_routed(old.name)
        new = replicas.start("http", drain_seconds=DRAIN)
        ingress.add(new)
        ingress.wait_routed(new.name)
        time.sleep(LOAD_BEFORE)
        yield old, ingress
    finally:
        ingress.stop()


def _drain(replica: Replica) -> tuple[int, dict, float]:
    """The kubelet's preStop hook: GET /drain, which answers when the drain is over."""
    started = time.monotonic()
    with urllib.request.urlopen(replica.url("/drain"), timeout=DRAIN + 10) as answer:
        return answer.status, json.loads(answer.read()), time.monotonic() - started


def _readiness(replica: Replica) -> dict[str, int | None]:
    return {
        "health /readyz": replica.status("/readyz"),
        "health /livez": replica.status("/livez"),
        "main /healthz": _status(replica.main_url("/healthz")),
        "main /readyz": _status(replica.main_url("/readyz")),
    }


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)
    except OSError:
        return None


def test_http_mode_has_its_health_port_and_keeps_metrics_and_drain_off_the_slack_port(
    replicas: Replicas,
) -> None:
    bot = replicas.start("http")
    for path in ("/livez", "/readyz", "/healthz"):
        assert (_status(bot.health_url(path)), _status(bot.main_url(path))) == (200, 200), path
    assert _status(bot.health_url("/metrics")) == 200
    assert _status(bot.main_url("/metrics")) == 404
    assert _status(bot.main_url("/drain")) == 404  # the ingress's port drains nobody
    logs = bot.logs()
    listening = {line["server"] for line in logs if line.get("message") == "listening"}
    assert listening == {"health", "slack-events"}
    assert bot.terminate() == 0


@pytest.mark.parametrize("how", ["prestop", "sigterm", "sigterm_during_prestop"])
def test_a_rollout_under_load_drops_nothing(rollout: tuple[Replica, Ingress], how: str) -> None:
    old, ingress = rollout
    started = time.monotonic()
    hook: dict[str, object] = {}
    hook_thread = None
    if how == "sigterm":
        old.process.send_signal(signal.SIGTERM)
    else:
        hook_thread = threading.Thread(target=lambda: hook.update(answer=_drain(old)))
        hook_thread.start()
    # Readiness goes 503 at once on every readiness path; liveness stays 200.
    wait_until(lambda: old.status("/readyz") == 503, 2, "readiness 503")
    assert _readiness(old) == {
        "health /readyz": 503,
        "health /livez": 200,
        "main /healthz": 503,
        "main /readyz": 503,
    }
    if how == "sigterm_during_prestop":
        time.sleep(1)
        old.process.send_signal(signal.SIGTERM)
    if hook_thread is not None:
        hook_thread.join(DRAIN + 10)
        status, body, waited = hook["answer"]  # type: ignore[misc]
        assert status == 200 and body["status"] == "drained"
        assert DRAIN - 0.2 <= waited < DRAIN + 1
        if how == "prestop":
            old.process.send_signal(signal.SIGTERM)  # the kubelet, once the hook returned
    assert old.process.wait(worst_case_shutdown_seconds(DRAIN) + 5) == 0
    stopped_in = time.monotonic() - started
    ingress.wait_removed(old.name)
    time.sleep(LOAD_AFTER)
    ingress.stop()

    sent_to_old = ingress.to(old.name)
    route = ingress.routes[old.name]
    assert route.not_ready_at is not None and route.removed_at is not None
    during_drain = [s for s in sent_to_old if s.at >= route.not_ready_at]
    failed = [s for s in ingress.sent if not s.ok]
    print(
        f"{how}: {len(ingress.sent)} requests, {len(sent_to_old)} to the old replica, "
        f"{len(during_drain)} after it read 503, stopped in {stopped_in:.2f}s"
    )
    assert not failed, f"{len(failed)} of {len(ingress.sent)} failed: {failed[:5]}"
    assert during_drain, "the ingress's lag never overlapped the drain: nothing was tested"
    assert DRAIN <= stopped_in <= worst_case_shutdown_seconds(DRAIN)
    assert stopped_in < DRAIN + 3, "drained twice, or the stop took long"
    # Every acknowledged request's work is stored.
    notes = {
        e.text
        for e in TimelineEvent.select().where(TimelineEvent.kind == "note")
        if e.text.startswith("load note")
    }
    pins = {e.message_ts for e in TimelineEvent.select().where(TimelineEvent.kind == "pin")}
    assert notes == {s.key for s in ingress.sent if s.kind == "note"}
    assert pins == {s.key for s in ingress.sent if s.kind == "pin"}
    draining = [line for line in old.logs() if line.get("message") == "draining"]
    assert [line["trigger"] for line in draining] == (
        ["signal"] if how == "sigterm" else ["GET /drain"]
    )
    assert any(line.get("message") == "stopped" and line["finished"] for line in old.logs())


def test_without_a_drain_the_same_rollout_loses_requests(
    slack: ReplicaSlack, replicas: Replicas
) -> None:
    """The control: the port closes at SIGTERM while the ingress still routes to it."""
    old = replicas.start("http", drain_seconds=0)
    with slack.via(old.events_url):
        assert declare_via(slack, "Rollout without a drain", slack.ALICE).ok
    wait_until(opened(1), 20, "incident opened")
    ingress = Ingress(slack, Incident.get().channel_id)
    ingress.add(old)
    ingress.start()
    try:
        ingress.wait_routed(old.name)
        new = replicas.start("http", drain_seconds=0)
        ingress.add(new)
        ingress.wait_routed(new.name)
        time.sleep(LOAD_BEFORE)
        old.process.send_signal(signal.SIGTERM)
        assert old.process.wait(worst_case_shutdown_seconds(0) + 5) == 0
        ingress.wait_removed(old.name)
        time.sleep(LOAD_AFTER)
    finally:
        ingress.stop()
    lost = [s for s in ingress.sent if not s.ok]
    assert lost, "nothing was lost without a drain: the ingress's lag is not being simulated"
    assert {s.replica for s in lost} == {old.name}
