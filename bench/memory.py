"""Resident memory of the bot (at rest, and after 2,000 pins) and of the viewer (at rest, and
after 200 page loads): `python bench/memory.py`. Also prints all three benches side by side."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import declare_path
import pins_throughput
from _procs import rss_mb

from testkit.net import free_port, wait_for
from testkit.postgres import throwaway_database


def viewer_rss() -> dict[str, float]:
    with throwaway_database() as url:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "viewer.cli", "--port", str(port)],
            env={**os.environ, "DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz")
            time.sleep(0.5)
            rest = rss_mb(process.pid)
            for path in ["/", "/stats", "/api/incidents"] * 67:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    r.read()
            return {
                "viewer_rss_rest_mb": round(rest, 1),
                "viewer_rss_after_mb": round(rss_mb(process.pid), 1),
            }
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    print("declare path (100 ms per Slack call):", declare_path.run())
    for name, row in pins_throughput.run().items():
        print(f"pins, {name}:", row)
    print("viewer:", viewer_rss())
