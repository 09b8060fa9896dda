"""SIGTERM while events are in flight: the process exits 0, everything it acknowledged is
stored, and what it did not acknowledge reaches the replacement (Slack's retry, Socket Mode
redelivery), so in the end every event is stored exactly once. (A rollout under an ingress's
load, with the drain, is tests/faults/test_rollout_drain.py.)"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.transport.serving import worst_case_shutdown_seconds
from models import Incident
from testkit.net import wait_until
from testkit.processes import TEST_DRAIN_SECONDS, Replicas
from testkit.replica_flows import declare_via, opened, stored_pins, stored_ts, ts_of
from testkit.slack import ReplicaSlack, post_signed_to

EVENTS = 80
RATE = 40


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_sigterm_under_load_loses_nothing_acked(
    slack: ReplicaSlack, replicas: Replicas, mode: str
) -> None:
    bot = replicas.start(mode)
    with slack.via(bot.events_url):
        assert declare_via(slack, "Shutdown under load", slack.ALICE).ok
    wait_until(opened(1), 20, "incident opened")
    incident = Incident.get()
    # Authors the bot has never seen: each pin waits on a slow users.info, so many are in
    # flight when the signal comes.
    slack.faults.latency("users.info", 0.4)
    events = []
    for i in range(EVENTS):
        ts = slack.post_message(incident.channel_id, f"UNEW{i:04d}", f"in flight {i}")
        # Pinned in the workspace too: a redelivered pin (what the first process read but
        # could not ack) is checked against pins.list, and stored by the replacement.
        events.append(slack.pin_event(incident.channel_id, ts))
    if mode == "socket":
        slack.socket_ack_timeout = 4.0

    acked: dict[str, str] = {}  # event ts -> the replica that acknowledged it
    lock = threading.Lock()
    current = {"bot": bot}

    def deliver(event: dict) -> None:
        if mode == "socket":
            answer = slack.deliver("events_api", event, via="socket", timeout=30)
            if answer.ok:
                with lock:
                    acked[ts_of(event)] = "some"
            return
        deadline, attempt = time.monotonic() + 30, 0
        while time.monotonic() < deadline:
            target = current["bot"]
            answer = post_signed_to(target.events_url, "events_api", event, retry_num=attempt)
            if answer.ok:
                with lock:
                    acked[ts_of(event)] = target.name
                return
            attempt += 1
            time.sleep(0.3)

    with ThreadPoolExecutor(16) as pool:
        futures = []
        for i, event in enumerate(events):
            futures.append(pool.submit(deliver, event))
            time.sleep(1 / RATE)
            if i == EVENTS // 2:
                signalled = time.monotonic()
                assert bot.terminate(timeout=20) == 0
                stopped_in = time.monotonic() - signalled
                with lock:
                    acked_by_first = {k for k, v in acked.items() if v in (bot.name, "some")}
                # Everything the first process acknowledged is already in the database.
                have = set(stored_ts(incident.id))
                assert acked_by_first <= have, acked_by_first - have
                current["bot"] = replicas.start(mode, port=bot.port if mode == "http" else None)
        for future in futures:
            future.result(timeout=60)

    # Within the bound the pod's grace period is sized by (HTTP mode drains first).
    assert stopped_in <= worst_case_shutdown_seconds(TEST_DRAIN_SECONDS)
    assert len(acked) == EVENTS, f"{EVENTS - len(acked)} events never acknowledged"
    assert stored_pins(incident.id) == (EVENTS, EVENTS)
    assert sorted(stored_ts(incident.id)) == sorted(ts_of(e) for e in events)
    logs = bot.logs()
    assert any(line.get("message") == "stopped" for line in logs)
    assert current["bot"].terminate() == 0
