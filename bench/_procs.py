"""Shared by the bench scripts: a throwaway PostgreSQL database, the fake Slack, bot
processes (reused from tests/faults), and the resident memory of a process."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import init_database, migrate  # noqa: E402
from tests.bot.test_cli_process import free_port  # noqa: E402,F401 (for the bench scripts)
from tests.conftest import PG_ADMIN_URL, _with_database  # noqa: E402
from tests.faults.conftest import Replicas, ReplicaSlack  # noqa: E402


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    admin.autocommit = True
    name = f"incident_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(PG_ADMIN_URL, name)
    database = init_database(url)
    migrate(database)
    try:
        yield url
    finally:
        database.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def bots(url: str) -> Iterator[tuple[ReplicaSlack, Replicas]]:
    with ReplicaSlack() as slack, tempfile.TemporaryDirectory() as directory:
        running = Replicas(slack, url, Path(directory))
        try:
            yield slack, running
        finally:
            running.stop_all()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until_listening(
    port: int, process: subprocess.Popen[bytes], log: Path | None = None
) -> None:
    """Until the server on `port` answers HTTP (any status); SystemExit, with the tail of its
    `log` if given, when it exits or 30 s pass."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}{_tail(log)}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/events", timeout=1)
        except urllib.error.HTTPError as answered:
            answered.close()
            return  # it answers (405/404 for a GET): it is up
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}{_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None:
        return ""
    return f": {log.read_text(errors='replace').strip().splitlines()[-5:]}"
