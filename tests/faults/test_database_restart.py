"""PostgreSQL stopped for 10 s in the middle of a stream of pins, then started again.

HTTP mode: while it cannot store, the bot answers non-2xx (Slack retries), and nothing it
acknowledged is missing. Socket Mode: unacked envelopes come back (the fake redelivers them)
and are stored. Either way /readyz goes red then green, the pooled connections recover by
themselves, and afterwards every event is stored exactly once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models import Incident, db
from testkit.net import wait_until
from testkit.postgres import OwnPostgres
from testkit.processes import Replicas
from testkit.replica_flows import declare_via, opened, pin_stream, stored_pins, stored_ts, ts_of
from testkit.slack import ReplicaSlack, post_signed_to

EVENTS = 240
RATE = 20  # events per second: the stream runs about 12 s, the outage 10 s of it
OUTAGE = 10.0


@pytest.mark.db_restart
@pytest.mark.parametrize("mode", ["http", "socket"])
def test_database_restart(
    slack: ReplicaSlack, own_postgres: OwnPostgres, tmp_path: Path, mode: str
) -> None:
    replicas = Replicas(slack, own_postgres.url, tmp_path)
    try:
        _run(slack, own_postgres, replicas, mode)
    finally:
        replicas.stop_all()


def _run(slack: ReplicaSlack, server: OwnPostgres, replicas: Replicas, mode: str) -> None:
    bot = replicas.start(mode)
    if mode == "socket":
        slack.wait_for_socket_connections(1, timeout=10)
        # Slack redelivers an unacked envelope three times (after the deadline, then a
        # minute and five minutes on). This test is about storing what comes back after
        # the outage, not about Slack's clock: three retries 5 s apart outlast the outage.
        slack.socket_ack_timeout = 5.0
        slack.event_retry_delays = (0.0, 5.0, 5.0)
    with slack.via(bot.events_url):
        assert declare_via(slack, "Database restart", slack.ALICE).ok
    wait_until(opened(1), 20, "incident opened")
    incident = Incident.get()
    events = pin_stream(slack, incident.channel_id, EVENTS)

    acked_at: dict[str, float] = {}  # event ts -> when the bot first acknowledged it
    refused = []  # (when, status) of every non-2xx answer
    lock = threading.Lock()

    def deliver(event: dict) -> None:
        key = ts_of(event)
        if mode == "http":
            deadline = time.monotonic() + 40
            attempt = 0
            while time.monotonic() < deadline:
                answer = post_signed_to(
                    bot.events_url, "events_api", event, retry_num=attempt, timeout=10
                )
                with lock:
                    if answer.ok:
                        acked_at[key] = time.monotonic()
                        return
                    refused.append((time.monotonic(), answer.status))
                attempt += 1
                time.sleep(0.5)  # Slack waits longer; the point is that it tries again
        else:
            answer = slack.deliver("events_api", event, via="socket", timeout=40)
            if answer.ok:
                with lock:
                    acked_at[key] = time.monotonic()

    readiness: list[tuple[float, int | None]] = []
    with ThreadPoolExecutor(16) as pool:
        futures = []
        stopped_at = started_at = 0.0
        for i, event in enumerate(events):
            futures.append(pool.submit(deliver, event))
            time.sleep(1 / RATE)
            if i == RATE:  # a second into the stream
                server.stop()
                stopped_at = time.monotonic()
                db.obj.close_all()  # this process's pooled connections are dead too
            if stopped_at and not started_at:
                readiness.append((time.monotonic(), bot.status("/readyz")))
                if time.monotonic() - stopped_at >= OUTAGE:
                    started_at = time.monotonic()  # it may take work as soon as it listens
                    server.start()
        if not started_at:
            started_at = time.monotonic()
            server.start()
        green_after = bot.wait_status("/readyz", 200, 15)
        for future in futures:
            future.result(timeout=60)

    assert any(status == 503 for _, status in readiness), readiness
    assert green_after < 5, f"readiness green only {green_after:.1f}s after the restart"
    missing = [ts_of(e) for e in events if ts_of(e) not in acked_at]
    assert not missing, f"{len(missing)} events never acknowledged: {bot.tail()}"
    # Nothing was acknowledged while the database was down (it could not have been stored).
    during = [k for k, at in acked_at.items() if stopped_at + 0.5 < at < started_at]
    db.obj.close_all()
    assert not during, f"{len(during)} events acknowledged during the outage"
    assert stored_pins(incident.id) == (EVENTS, EVENTS)
    assert sorted(stored_ts(incident.id)) == sorted(ts_of(e) for e in events)
    if mode == "http":
        assert refused and all(status is None or status >= 500 for _, status in refused)
    else:
        redelivered = [e for e in slack.envelopes if e.get("retry_attempt", 0) > 0]
        assert redelivered, "the outage should have left envelopes unacked"
    assert bot.terminate() == 0
