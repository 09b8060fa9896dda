"""Pin events per second on PostgreSQL with one and with two bot replicas, and the number
stored: in HTTP mode beside a bare Bolt app that stores each pin with one INSERT
(bench/bare_bolt.py), served the same way, as the machine's yardstick; then in Socket Mode.

`python bench/pins_throughput.py [EVENTS]`
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
from _procs import bots, rss_mb, wait_until_listening

from models import Incident, TimelineEvent, db
from testkit.net import free_port, wait_until
from testkit.postgres import throwaway_database
from testkit.processes import bot_env
from testkit.replica_flows import declare_via, opened, pin_stream
from testkit.slack import post_signed_to

THREADS = 16
HERE = Path(__file__).resolve().parent


def _deliver(urls: list[str], payloads: list[dict[str, Any]]) -> tuple[float, int]:
    """Every payload, signed, spread over `urls` by 16 senders: (seconds, acked)."""
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(
            pool.map(
                lambda job: post_signed_to(urls[job[0] % len(urls)], "events_api", job[1]).ok,
                enumerate(payloads),
            )
        )
    return time.monotonic() - started, sum(answers)


def _row(count: int, events: int, seconds: float, acked: int, stored: int) -> dict[str, object]:
    return {
        "events": events,
        "acked": acked,
        "stored": stored,
        "lost": events - stored,
        "seconds": round(seconds, 2),
        "per_second": round(events / seconds),
        "per_replica": round(events / seconds / count),
    }


@contextmanager
def bare_apps(slack: Any, url: str, count: int) -> Iterator[list[str]]:
    """`count` bare Bolt processes on `url`; yields their event URLs."""
    env = bot_env(slack.api_url, url)
    with tempfile.TemporaryDirectory() as directory:
        ports = [free_port() for _ in range(count)]
        logs = [Path(directory) / f"bare-{port}.log" for port in ports]
        processes = []
        for port, log in zip(ports, logs, strict=True):
            with log.open("wb") as stderr:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, str(HERE / "bare_bolt.py"), str(port)],
                        env=env,
                        stderr=stderr,
                    )
                )
        try:
            urls = [f"http://127.0.0.1:{port}/slack/events" for port in ports]
            for port, process, log in zip(ports, processes, logs, strict=True):
                wait_until_listening(port, process, log)
            yield urls
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)


def _bare_stored(url: str) -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bare_pin")
        (count,) = cursor.fetchone()
    conn.close()
    return int(count)


def run(events: int = 2000) -> dict[str, object]:
    figures: dict[str, object] = {}
    for count in (1, 2):
        with throwaway_database() as url, bots(url) as (slack, replicas):
            running = [replicas.start("http") for _ in range(count)]
            with slack.via(running[0].events_url):
                declare_via(slack, "Bench pins", slack.ALICE)
            wait_until(opened(1), 20, "incident opened")
            incident = Incident.get()
            payloads = pin_stream(slack, incident.channel_id, events)

            with bare_apps(slack, url, count) as urls:
                seconds, acked = _deliver(urls, payloads)
                figures[f"bare Bolt, {count} replica(s)"] = _row(
                    count, events, seconds, acked, _bare_stored(url)
                )

            rest = [rss_mb(r.process.pid) for r in running]
            seconds, acked = _deliver([r.events_url for r in running], payloads)
            stored = TimelineEvent.select().where(TimelineEvent.kind == "pin").count()
            figures[f"bot, {count} replica(s)"] = {
                **_row(count, events, seconds, acked, stored),
                "rss_rest_mb": [round(x, 1) for x in rest],
                "rss_after_mb": [round(rss_mb(r.process.pid), 1) for r in running],
            }
            db.obj.close_all()
        figures[f"bot, Socket Mode, {count} replica(s)"] = _socket_mode(events, count)
    return figures


def _socket_mode(events: int, count: int) -> dict[str, object]:
    """The same pins over Socket Mode: each replica holds a connection, the fake Slack deals
    the envelopes out between them, 16 in flight at once, and an envelope counts when it is
    acknowledged."""
    with throwaway_database() as url, bots(url) as (slack, replicas):
        running = [replicas.start("socket") for _ in range(count)]
        slack.wait_for_socket_connections(count, timeout=30)
        declare_via(slack, "Bench pins", slack.ALICE)
        wait_until(opened(1), 20, "incident opened")
        payloads = pin_stream(slack, Incident.get().channel_id, events)
        started = time.monotonic()
        results = slack.deliver_many("events_api", payloads, in_flight=THREADS)
        seconds = time.monotonic() - started
        acked = sum(result.ok for result in results)
        stored = TimelineEvent.select().where(TimelineEvent.kind == "pin").count()
        row = {
            **_row(count, events, seconds, acked, stored),
            "rss_after_mb": [round(rss_mb(r.process.pid), 1) for r in running],
        }
        db.obj.close_all()
    return row


if __name__ == "__main__":
    for name, row in run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000).items():
        print(name, row)
