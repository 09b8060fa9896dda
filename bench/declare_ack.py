"""/incident in HTTP and Socket Mode: ack time and command → views.open, the bot against a
bare Bolt app.

Both run as their own processes on loopback, served the same way, pointed at a fake Slack in
this process (in Socket Mode one each); commands alternate between them so both see the
same machine.
Usage: python bench/declare_ack.py [N] [http] [socket]   (default: 500 commands, both modes)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _procs import wait_until_listening

from fakeslack import FakeSlack
from testkit.harness import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from testkit.net import free_port
from testkit.processes import bot_command, bot_env, run_command

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


Series = dict[str, dict[str, list[float]]]


def measure_http(n: int, env: dict[str, str], slack: FakeSlack) -> Series:
    ports = {"bot": free_port(), "bare": free_port()}
    commands = {
        "bot": run_command("http", port=ports["bot"]),
        "bare": [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(ports["bare"])],
    }
    processes = {
        name: subprocess.Popen(cmd, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        for name, cmd in commands.items()
    }
    try:
        for name, process in processes.items():
            wait_until_listening(ports[name], process)

        def send(name: str, i: int) -> tuple[object, FakeSlack]:
            slack.http_target = f"http://127.0.0.1:{ports[name]}/slack/events"
            return slack.slash_command(f"bench {i}", via="http"), slack

        return _alternate(n, send)
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(10)


def measure_socket(n: int, env: dict[str, str], fakes: dict[str, FakeSlack]) -> Series:
    """Each app gets a fake Slack of its own: Slack spreads envelopes over every connection
    of one app, and these are two apps."""
    commands = {
        "bot": run_command("socket", port=free_port()),
        "bare": [sys.executable, str(ROOT / "bench" / "bare_bolt.py"), "socket"],
    }
    processes = {
        name: subprocess.Popen(
            cmd,
            env={**env, "SLACK_API_URL": fakes[name].api_url},
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        for name, cmd in commands.items()
    }
    try:
        for fake in fakes.values():
            fake.wait_for_socket_connections(1, timeout=30)

        def send(name: str, i: int) -> tuple[object, FakeSlack]:
            return fakes[name].slash_command(f"bench {i}", via="socket"), fakes[name]

        return _alternate(n, send)
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(10)


def _alternate(n: int, send) -> Series:  # type: ignore[no-untyped-def]
    ack: dict[str, list[float]] = {"bot": [], "bare": []}
    opened: dict[str, list[float]] = {"bot": [], "bare": []}
    for i in range(n * 2 + 20):
        name = "bot" if i % 2 == 0 else "bare"
        started = time.time()
        delivery, fake = send(name, i)
        if not delivery.ok:  # type: ignore[attr-defined]
            raise SystemExit(f"{name}: command {i} was not answered: {delivery}")
        trigger = delivery.payload["trigger_id"]  # type: ignore[attr-defined]
        call = fake.wait_for_call(
            "views.open", where=lambda c, t=trigger: c.params.get("trigger_id") == t, timeout=10
        )
        if i >= 20:  # the first few warm both processes up
            ack[name].append(delivery.elapsed * 1000)  # type: ignore[attr-defined]
            opened[name].append((call.started_at - started) * 1000)
    return {"ack": ack, "command → views.open": opened}


def report(title: str, series: Series) -> None:
    print(title)
    print(f"{'':30}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label, values in series.items():
        for name in ("bot", "bare"):
            row = [percentile(values[name], p) for p in (50, 95, 99)]
            print(f"{label + ' (' + name + ')':30}" + "".join(f"{v:9.2f}" for v in row))
        ratios = [percentile(values["bot"], p) / percentile(values["bare"], p) for p in (50, 99)]
        print(
            f"{'  ratio bot/bare':30}{ratios[0]:9.2f}{'':9}{ratios[1]:9.2f}"
            "   (target ≤ 1.2 at p50 and p99)"
        )
    print()


def run(n: int, modes: list[str]) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET) as one,
        FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET) as two,
    ):
        for fake in (one, two):
            fake.trigger_ttl = 3600.0  # the bench measures speed, not the 3 s expiry
        env = bot_env(one.api_url, f"sqlite:///{tmp}/bench.db")
        subprocess.run(
            bot_command("migrate"),
            env=env,
            check=True,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        results = {}
        if "http" in modes:
            results["http"] = measure_http(n, env, one)
        if "socket" in modes:
            results["socket"] = measure_socket(n, env, {"bot": one, "bare": two})
    for mode, series in results.items():
        report(
            f"/incident in {mode} mode, {n} commands each, sequential, loopback, fake Slack", series
        )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    chosen = sys.argv[2:] or ["http", "socket"]
    run(count, chosen)
