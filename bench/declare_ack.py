"""/incident in HTTP mode: ack time and command → views.open, the bot against a bare Bolt app.

Both run as their own processes on loopback, served the same way, pointed at one fake Slack
in this process; commands alternate between them so both see the same machine.
Usage: python bench/declare_ack.py [N]   (default 500 commands each)
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
BOT_TOKEN, APP_TOKEN, SECRET = "xoxb-bench", "xapp-bench", "bench-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/events", timeout=1)
        except urllib.error.HTTPError:
            return  # it answers (405/404 for a GET): it is up
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listening on {port}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(n: int) -> None:
    with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SECRET) as slack, \
            tempfile.TemporaryDirectory() as tmp:
        slack.trigger_ttl = 3600.0  # the bench measures speed, not the 3 s expiry
        env = {**os.environ, "SLACK_API_URL": slack.api_url, "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
               "LOG_FORMAT": "json"}
        subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], env=env, check=True,
                       cwd=ROOT, stderr=subprocess.DEVNULL)
        ports = {"bot": free_port(), "bare": free_port()}
        commands = {
            "bot": [sys.executable, "-m", "bot.cli", "run", "--mode", "http", "--host",
                    "127.0.0.1", "--port", str(ports["bot"])],
            "bare": [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(ports["bare"])],
        }
        processes = {name: subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
                     for name, cmd in commands.items()}
        try:
            for name, process in processes.items():
                wait_until_listening(ports[name], process)
            ack: dict[str, list[float]] = {"bot": [], "bare": []}
            opened: dict[str, list[float]] = {"bot": [], "bare": []}
            for i in range(n * 2 + 20):
                name = "bot" if i % 2 == 0 else "bare"
                slack.http_target = f"http://127.0.0.1:{ports[name]}/slack/events"
                started = time.time()
                delivery = slack.slash_command(f"bench {i}", via="http")
                if not delivery.ok:
                    raise SystemExit(f"{name}: command {i} answered {delivery.status}")
                trigger = delivery.payload["trigger_id"]
                call = slack.wait_for_call(
                    "views.open", where=lambda c, t=trigger: c.params.get("trigger_id") == t,
                    timeout=10)
                if i >= 20:  # the first few warm up both processes
                    ack[name].append(delivery.elapsed * 1000)
                    opened[name].append((call.started_at - started) * 1000)
        finally:
            for process in processes.values():
                process.terminate()
                process.wait(10)

    print(f"/incident over HTTP, {n} commands each, sequential, loopback, fake Slack")
    print(f"{'':28}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label, series in (("ack", ack), ("command → views.open", opened)):
        for name in ("bot", "bare"):
            row = [percentile(series[name], p) for p in (50, 95, 99)]
            print(f"{label + ' (' + name + ')':28}" + "".join(f"{v:9.2f}" for v in row))
        ratios = [percentile(series["bot"], p) / percentile(series["bare"], p) for p in (50, 99)]
        print(f"{label + ' ratio bot/bare':28}{ratios[0]:9.2f}{'':9}{ratios[1]:9.2f}"
              "   (target ≤ 1.2 at p50 and p99)")
    print(f"mean ack bot {statistics.mean(ack['bot']):.2f} ms, bare "
          f"{statistics.mean(ack['bare']):.2f} ms")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
