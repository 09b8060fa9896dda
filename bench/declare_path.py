"""The declare path with every Slack call taking 100 ms: time from the modal's submit to the
channel created, people invited, opening message and announcement posted, and the number of
sequential Slack round trips: `python bench/declare_path.py [RUNS]`."""

from __future__ import annotations

import statistics
import sys
import time

from _procs import bots

from testkit.net import wait_until
from testkit.postgres import throwaway_database
from testkit.replica_flows import open_modal, opened

LATENCY = 0.1
STEPS = {"create": "conversations.create", "invite": "conversations.invite"}


def _depth(calls: list) -> int:
    """Longest chain of calls where each starts after the previous one finished."""
    depth: dict[int, int] = {}
    for i, call in enumerate(calls):
        before = [depth[j] for j in range(i) if calls[j].finished_at <= call.started_at]
        depth[i] = 1 + max(before, default=0)
    return max(depth.values(), default=0)


def run(runs: int = 5) -> dict[str, object]:
    times: dict[str, list[float]] = {k: [] for k in ("create", "invite", "opening", "announce")}
    depths = []
    with throwaway_database() as url, bots(url) as (slack, replicas):
        bot = replicas.start("http")
        for n in range(1, runs + 1):
            with slack.via(bot.events_url):
                view_id = open_modal(slack, f"Bench declare {n}", slack.ALICE)
                slack.faults.latency("*", LATENCY)
                mark = len(slack.calls)
                submitted = time.time()
                slack.submit_view(view_id, {"title": f"Bench declare {n}", "lead": slack.BOB})
            wait_until(opened(n), 20, "opened")
            slack.faults.latency("*", 0)
            calls = [c for c in slack.calls[mark:] if c.method != "chat.postEphemeral"]
            posts = [c for c in calls if c.method == "chat.postMessage"]
            done = {
                "create": [c for c in calls if c.method == "conversations.create"],
                "invite": [c for c in calls if c.method == "conversations.invite"],
                "opening": [c for c in posts if c.params.get("channel") != "C07INCIDNTS"],
                "announce": [c for c in posts if c.params.get("channel") == "C07INCIDNTS"],
            }
            for key, found in done.items():
                times[key].append(max(c.finished_at for c in found) - submitted)
            depths.append(_depth(sorted(calls, key=lambda c: c.started_at)))
    return {
        **{f"{k}_ms_median": round(statistics.median(v) * 1000) for k, v in times.items()},
        "sequential_round_trips": max(depths),
    }


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
