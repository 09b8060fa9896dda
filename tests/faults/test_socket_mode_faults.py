"""Socket Mode under trouble: Slack's three disconnect frames, a TCP connection cut, and a
connection that silently stops passing anything (no pongs). The bot reconnects (within 5 s,
or, for the silent connection, within slack_sdk's default 40 s without a pong), no envelope
is lost (what was sent into the dead connection is redelivered on Slack's schedule and
stored), and the reconnects stay within apps.connections.open's Tier 1 budget."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from models import Incident
from testkit.net import wait_until
from testkit.processes import Replicas
from testkit.proxy import Proxy
from testkit.replica_flows import declare_via, opened, pin_stream, stored_pins, stored_ts, ts_of
from testkit.slack import ReplicaSlack

EVENTS = 60
RATE = 20
RECONNECT_WITHIN = 5.0
# slack_sdk's default ping, every 5 s: a connection without a pong for 20 s is replaced at
# the monitor's next turn. A dropped one is noticed the same way (its reads fail quietly).
SILENT_RECONNECT_WITHIN = 4 * 5 + 5 + 5


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

    silent, dropped = fault == "missing_pongs", fault == "dropped_tcp"
    if silent or dropped:
        # Events sent into the dead link come back on Slack's schedule: after the deadline,
        # a minute on, five minutes on. This test is about reconnecting and storing what
        # comes back, not Slack's clock: its retries come 15 s apart here.
        slack.event_retry_delays = (0.0, 15.0, 15.0)
    wait = 60
    with ThreadPoolExecutor(16) as pool:
        futures = []
        for i, event in enumerate(events):
            futures.append(
                pool.submit(slack.deliver, "events_api", event, via="socket", timeout=wait)
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
            lambda: bool(set(slack.socket_connection_ids()) - before),
            SILENT_RECONNECT_WITHIN + 5 if silent or dropped else 15,
            "a new connection",
        )
        answers = [f.result(timeout=wait + 15) for f in futures]

    # The new connection follows its apps.connections.open within milliseconds.
    opened_at = [
        c.finished_at for c in slack.calls_to("apps.connections.open") if c.started_at >= faulted
    ]
    assert opened_at, "no new apps.connections.open"
    reconnect_time = min(opened_at) - faulted
    print(f"{fault}: reconnected after {reconnect_time:.2f}s")
    within = SILENT_RECONNECT_WITHIN if silent or dropped else RECONNECT_WITHIN
    assert reconnect_time < within, f"reconnected after {reconnect_time:.1f}s"
    # One apps.connections.open for the start, one for the reconnect: Tier 1 is respected.
    opens = slack.calls_to("apps.connections.open")
    assert all(c.ok for c in opens) and len(opens) <= 3, [c.summary() for c in opens]
    unacked = [a for a in answers if not a.ok]
    assert not unacked, f"{len(unacked)} envelopes never acknowledged: {bot.tail()}"
    assert stored_pins(incident.id) == (EVENTS, EVENTS)
    assert sorted(stored_ts(incident.id)) == sorted(ts_of(e) for e in events)
    slack.wait_for_socket_connections(1, timeout=10)  # the old connection is gone
    assert bot.status("/livez") == 200
    assert bot.terminate() == 0
