"""`incident-bot demo` plays an incident through the fake Slack and serves it in the viewer."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from testkit.net import free_port
from testkit.processes import bot_command


def test_demo_runs_an_incident_end_to_end(tmp_path) -> None:
    port = free_port()
    process = subprocess.Popen(
        bot_command("demo", "--database", str(tmp_path / "demo.db"), "--viewer-port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
    )
    try:
        assert process.stdout is not None
        deadline, url = time.monotonic() + 60, None
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            found = re.search(r"The demo incident is at (\S+)", line)
            url = found.group(1) if found else None
        assert url is not None, "the demo never printed the incident's address"
        with urllib.request.urlopen(url, timeout=10) as answer:
            page = answer.read().decode()
        assert "Checkout latency above 2 s for EU customers" in page
        assert "Connection pool on orders-db primary is exhausted." in page  # a pinned message
        assert "Resolved" in page and "Alert on pool saturation" in page
        number = url.rsplit("/", 1)[1]
        api = url.split("/incidents/")[0] + f"/api/incidents/{number}"
        with urllib.request.urlopen(api, timeout=10) as answer:
            incident = json.load(answer)
        times = {k: _at(v) for k, v in incident["times"].items() if v}
        # An hour of incident, not a few seconds: detected 8 minutes in, closed after 58.
        detected = times["reported_at"] - times["started_at"]  # the start is kept to the minute
        assert dt.timedelta(minutes=8) <= detected < dt.timedelta(minutes=9), detected
        took = times["resolved_at"] - times["reported_at"]
        assert dt.timedelta(minutes=57) < took < dt.timedelta(minutes=59), took
        assert dt.datetime.now(dt.UTC) - times["resolved_at"] > dt.timedelta(minutes=3)
        entries = [(e["kind"], _at(e["occurred_at"])) for e in incident["timeline"]]
        pins = [at for kind, at in entries if kind == "pin"]
        assert len(pins) == 2 and all(at > times["reported_at"] for at in pins)
        moments = [at for _, at in entries]
        assert moments == sorted(moments) and moments[-1] - moments[0] > dt.timedelta(minutes=50)
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
