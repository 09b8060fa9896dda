"""Latency and throughput of the viewer on PostgreSQL with 10,000 incidents.

Creates a throwaway database on the server at --admin-url, fills it (one incident has a
2,000-entry timeline), serves the viewer with waitress on 127.0.0.1, and prints p50/p95
latency and requests per second for /, /incidents/<n> and /api/incidents. Drops the
database afterwards. Every loop is bounded by --requests.

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
    parser.add_argument("--concurrency", type=int, default=4)
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
            print(f"{'path':<28}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>10}")
            for path in ("/", f"/incidents/{big}", "/api/incidents"):
                p50, p95, rps = measure(port, path, args.requests, args.concurrency)
                print(f"{path:<28}{p50:>10.1f}{p95:>10.1f}{rps:>10.1f}")
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
