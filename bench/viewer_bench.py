"""Latency and size of the viewer's pages on PostgreSQL with 10,000 incidents.

Creates a throwaway database on the server at --admin-url, fills it (one incident has a
2,000-entry timeline, another 500), serves the viewer with waitress on 127.0.0.1, and
prints for the list, the two incident pages, a search and the API: p50/p95 latency (one
client at a time by default, as the targets are set), requests per second, the page's
size and how many SQL statements it runs, beside the target. The HMCTS fork's page of the
500-entry shape took 279 ms (measured before, on this machine). Drops the database
afterwards. Every loop is bounded by --requests.

    python bench/viewer_bench.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg2  # noqa: E402
from waitress.server import create_server  # noqa: E402

from models import init_database, migrate  # noqa: E402
from testkit import bulk
from testkit.sql_count import queries_for
from viewer import create_app  # noqa: E402
from viewer.config import Settings  # noqa: E402
from viewer.database import close_all  # noqa: E402


def measure(port: int, path: str, requests: int, concurrency: int) -> tuple[float, float, float]:
    def one(_: int) -> float:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        return time.perf_counter() - started

    for _ in range(5):  # warm the pool and caches
        one(0)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = sorted(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - began
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    return statistics.median(latencies) * 1000, p95 * 1000, requests / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    admin = psycopg2.connect(args.admin_url, connect_timeout=5)
    admin.autocommit = True
    name = f"viewer_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlunparse(urlparse(args.admin_url)._replace(path=f"/{name}"))
    try:
        writer = init_database(url)
        migrate(writer)
        started = time.perf_counter()
        big = bulk.populate(writer)
        # As autovacuum would soon after such a load: the planner needs the statistics to
        # choose the search indexes over reading every row.
        writer.execute_sql("ANALYZE")
        writer.close_all()
        print(
            f"filled {bulk.INCIDENTS} incidents, {bulk.BIG_TIMELINE} timeline entries "
            f"in {time.perf_counter() - started:.1f} s"
        )

        app = create_app(Settings(database_url=url))
        # One more thread than clients, so waitress never queues (and never warns about it).
        server = create_server(app, host="127.0.0.1", port=0, threads=args.concurrency + 1)
        port = server.socket.getsockname()[1]  # type: ignore[union-attr]
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            targets = {
                "/": "p50 <= 15 ms",
                f"/incidents/{big - 1}": "p50 <= 25 ms, <= 250 KB (500 entries)",
                f"/incidents/{big}": "p50 <= 100 ms (2,000 entries)",
                "/?q=database": "p50 <= 30 ms",
                "/api/incidents": "",
            }
            print(
                f"{'path':<26}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}{'KB':>7}{'gzip':>6}"
                f"{'SQL':>5}  target"
            )
            for path, target in targets.items():
                p50, p95, rps = measure(port, path, args.requests, args.concurrency)
                size = len(app.test_client().get(path).get_data()) / 1024
                sent = app.test_client().get(path, headers={"Accept-Encoding": "gzip"})
                packed = len(sent.get_data()) / 1024
                statements = len(queries_for(app, path))
                print(
                    f"{path:<26}{p50:>9.1f}{p95:>9.1f}{rps:>8.1f}{size:>7.0f}{packed:>6.0f}"
                    f"{statements:>5}  " + target
                )
        finally:
            server.close()
            close_all(app)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
