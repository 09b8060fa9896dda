"""Pin events per second on PostgreSQL with one and with two bot replicas (HTTP mode), and
the number stored: `python bench/pins_throughput.py [EVENTS]`."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from _procs import bots, rss_mb, throwaway_database

from models import Incident, TimelineEvent, db
from tests.faults.conftest import post_signed_to, wait_until
from tests.faults.flows import declare_via, opened, pin_stream

THREADS = 16


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
            rest = [rss_mb(r.process.pid) for r in running]
            started = time.monotonic()
            with ThreadPoolExecutor(THREADS) as pool:
                urls = [r.events_url for r in running]
                answers = list(
                    pool.map(
                        lambda job, urls=urls: (
                            post_signed_to(urls[job[0] % len(urls)], "events_api", job[1]).ok
                        ),
                        enumerate(payloads),
                    )
                )
            elapsed = time.monotonic() - started
            stored = TimelineEvent.select().where(TimelineEvent.kind == "pin").count()
            figures[f"{count} replica(s)"] = {
                "events": events,
                "acked": sum(answers),
                "stored": stored,
                "lost": events - stored,
                "seconds": round(elapsed, 2),
                "per_second": round(events / elapsed),
                "per_replica": round(events / elapsed / count),
                "rss_rest_mb": [round(x, 1) for x in rest],
                "rss_after_mb": [round(rss_mb(r.process.pid), 1) for r in running],
            }
            db.obj.close_all()
    return figures


if __name__ == "__main__":
    for name, row in run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000).items():
        print(name, row)
