"""Acks during a rate-limit storm: users.info, chat.postMessage and chat.update answer 429
with Retry-After: 5 for a minute, while people keep pinning, reacting, typing commands and
mentioning the bot in an incident channel. Prints the ack times (p50, p99, p100: Slack's
deadline is 3 s) in HTTP and Socket Mode, how many were late, and how long after the storm
the last Slack update landed.

The bot runs as `incident-bot run` in its own process on an SQLite file, the fake Slack in
this one. Usage: python bench/rate_limit_storm.py [STORM_SECONDS] [http] [socket]
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
ALICE, BOB = FakeSlack.ALICE, FakeSlack.BOB
STORMY = ("users.info", "chat.postMessage", "chat.update")
RATE = 4.0  # deliveries a second during the storm


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(mode: str, storm: float) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET) as slack,
    ):
        slack.use_manifest(ROOT / "deploy" / "slack" / f"manifest.{mode}.yaml")
        database = f"sqlite:///{folder}/storm.db"
        env = bot_env(slack.api_url, database)
        subprocess.run(
            bot_command("migrate"),
            env=env,
            check=True,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        port = free_port()
        bot = subprocess.Popen(
            run_command(mode, port=port), env=env, cwd=ROOT, stderr=subprocess.DEVNULL
        )
        try:
            if mode == "http":
                wait_until_listening(port, bot)
                slack.http_target = f"http://127.0.0.1:{port}/slack/events"
            else:
                slack.wait_for_socket_connections(1, timeout=30)
            channel, announcement = declare(slack)
            print(f"{mode}: the storm begins ({storm:.0f} s)", flush=True)
            acks, late, storm_ends = storm_of_work(slack, channel, announcement, storm)
            settled = settle(slack, storm_ends)
            print(
                f"{mode}: {len(acks)} deliveries during the storm; ack p50 "
                f"{percentile(acks, 50) * 1000:.0f} ms, p99 {percentile(acks, 99) * 1000:.0f} ms, "
                f"p100 {max(acks) * 1000:.0f} ms (deadline 3000 ms); late or unacked: {late}"
            )
            print(f"{mode}: every Slack update made {settled:.1f} s after the storm ended")
        finally:
            bot.terminate()
            bot.wait(20)


def declare(slack: FakeSlack) -> tuple[str, str]:
    slack.slash_command("Storm bench", user=ALICE)
    view = slack.wait_for_view(callback_id="incident_declare", timeout=10)
    slack.submit_view(
        view["id"], {"title": "Storm bench", "severity": "2", "lead": BOB}, user=ALICE
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        posted = [m for m in slack.messages(FakeSlack.INCIDENTS) if m.get("bot_id")]
        channels = [c for c in slack.channels.values() if c["name"].startswith("inc-")]
        if posted and channels:
            return channels[0]["id"], posted[0]["ts"]
        time.sleep(0.1)
    raise RuntimeError("the incident was not opened")


def storm_of_work(
    slack: FakeSlack, channel: str, announcement: str, storm: float
) -> tuple[list[float], int, float]:
    """People at work while Slack rate-limits the bot: the ack time of each delivery, how
    many were late or unacknowledged, and when (monotonic) the storm ends."""
    for method in STORMY:
        slack.faults.rate_limit_for(method, storm, retry_after=5)
    started = time.monotonic()
    acks: list[float] = []
    late = 0
    n = 0
    while time.monotonic() - started < storm - 5:
        n += 1
        person = f"U0STORM{n:04d}"  # a new author every time: naming them needs users.info
        slack.add_user(person, f"person{n}")
        slack.join(channel, person)
        ts = slack.post_message(channel, person, f"finding {n}")
        kind = n % 4
        if kind == 0:
            delivery = slack.pin(channel, ts, ALICE)
        elif kind == 1:
            delivery = slack.slash_command(f"severity {1 + n % 3}", channel=channel, user=BOB)
        elif kind == 2:
            delivery = slack.react(channel, ts, BOB)
        else:
            delivery = slack.say(channel, ALICE, f"@incident-bot note finding {n} confirmed")
        if delivery.elapsed is not None:
            acks.append(delivery.elapsed)
        late += int(not delivery.ok or delivery.late)
        time.sleep(max(0.0, n / RATE - (time.monotonic() - started)))
    return acks, late, started + storm


def settle(slack: FakeSlack, storm_ends: float) -> float:
    """Seconds after the storm until the bot's last Slack call (quiet for 5 s after it)."""
    deadline = storm_ends + 300
    while time.monotonic() < deadline:
        last = max((c.finished_at for c in slack.calls), default=0.0)
        quiet = time.time() - last
        if time.monotonic() > storm_ends and quiet > 5:
            return max(0.0, time.monotonic() - quiet - storm_ends)
        time.sleep(0.5)
    raise RuntimeError("the bot was still calling Slack five minutes after the storm")


def main() -> int:
    args = sys.argv[1:]
    storm = float(args[0]) if args and args[0].replace(".", "").isdigit() else 60.0
    modes = [a for a in args if a in ("http", "socket")] or ["http", "socket"]
    for mode in modes:
        run(mode, storm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
