"""Socket Mode under trouble: Slack's three disconnect frames, a TCP connection cut, and a
connection that silently stops passing anything (no pongs). The bot reconnects within 5 s
and no envelope is lost: what was sent into the dead connection is redelivered and stored."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from models import Incident
from tests.faults.conftest import Proxy, Replicas, ReplicaSlack, wait_until
from tests.faults.flows import declare_via, opened, pin_stream, stored_pins, stored_ts, ts_of

EVENTS = 60
RATE = 20
RECONNECT_WITHIN = 5.0


@pytest.mark.parametrize(
    "fault", ["warning", "refresh_requested", "link_disabled", "dropped_tcp", "missing_pongs"]
)
def test_reconnects_and_loses_nothing(
    slack: ReplicaSlack, replicas: Replicas, proxy: Proxy, fault: str
) -> None:
    slack.route_sockets_through(proxy.port)
    bot = replicas.start("socket")
    slack.wait_for_socket_connections(1, timeout=10)
    assert declare_via(slack, f"Socket trouble {fault}", slack.ALICE).ok
    wait_until(opened(1), 20, "incident opened")
    incident = Incident.get()
    events = pin_stream(slack, incident.channel_id, EVENTS)
    before = set(slack.socket_connection_ids())

    with ThreadPoolExecutor(16) as pool:
        futures = []
        for i, event in enumerate(events):
            futures.append(
                pool.submit(slack.deliver, "events_api", event, via="socket", timeout=25)
            )
            time.sleep(1 / RATE)
            if i == RATE // 2:
                faulted = time.time()
                if fault == "dropped_tcp":
                    assert proxy.drop_open() == 1
                elif fault == "missing_pongs":
                    assert proxy.silence_open() == 1
                else:
                    assert slack.disconnect(fault) == 1
        wait_until(
            lambda: bool(set(slack.socket_connection_ids()) - before), 15, "a new connection"
        )
        answers = [f.result(timeout=40) for f in futures]

    # The new connection follows its apps.connections.open within milliseconds.
    opened_at = [
        c.finished_at for c in slack.calls_to("apps.connections.open") if c.started_at >= faulted
    ]
    assert opened_at, "no new apps.connections.open"
    reconnect_time = min(opened_at) - faulted
    print(f"{fault}: reconnected after {reconnect_time:.2f}s")
    assert reconnect_time < RECONNECT_WITHIN, f"reconnected after {reconnect_time:.1f}s"
    unacked = [a for a in answers if not a.ok]
    assert not unacked, f"{len(unacked)} envelopes never acknowledged: {bot.tail()}"
    assert stored_pins(incident.id) == (EVENTS, EVENTS)
    assert sorted(stored_ts(incident.id)) == sorted(ts_of(e) for e in events)
    slack.wait_for_socket_connections(1, timeout=10)  # the old connection is gone
    assert bot.status("/livez") == 200
    assert bot.terminate() == 0
