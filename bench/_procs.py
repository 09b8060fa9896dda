"""Shared by the bench scripts: bot replicas with their fake Slack, waiting for a port, the
resident memory of a process. Puts the repository on the path, so a script run as
`python bench/x.py` imports the project and `testkit/`."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.processes import Replicas
from testkit.slack import ReplicaSlack


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
