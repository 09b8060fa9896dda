"""`incident-bot demo` plays an incident through the fake Slack and serves it in the viewer."""

from __future__ import annotations

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
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
