"""Two bot processes on one PostgreSQL, in HTTP mode and in Socket Mode (two connections):
every event delivered twice, to both replicas at once; 50 incidents declared at once;
reminders due on both schedulers. Nothing doubles, nothing goes missing."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.channels import channel_name
from models import Incident, Reminder
from testkit.net import wait_until
from testkit.processes import Replicas
from testkit.replica_flows import declare_via, opened, pin_stream, stored_pins, stored_ts, ts_of
from testkit.slack import ReplicaSlack, post_signed_to

EVENTS = 1000
INCIDENTS = 50
THREADS = 16
REMINDER_ENV = {
    "REMINDERS_ENABLED": "true",
    "SCHEDULER_INTERVAL_SECONDS": "1",
    "REMINDER_OPEN_HOURS": "0",
    "REMINDER_UPDATE_MINUTES": "none",
}


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_two_replicas_store_everything_once(
    slack: ReplicaSlack, replicas: Replicas, pg, mode: str
) -> None:
    pair = [replicas.start(mode, env=REMINDER_ENV) for _ in range(2)]
    if mode == "socket":
        slack.wait_for_socket_connections(2, timeout=10)
        connections = slack.socket_connection_ids()

    def send(copy: int, kind: str, payload: dict) -> bool:
        if mode == "http":
            return post_signed_to(pair[copy].events_url, kind, payload).ok
        return slack.deliver_on(connections[copy], kind, payload)

    # 50 declarations at once, spread over both replicas (no lead, no severity: both
    # reminders will fall due).
    users = [slack.add_user(f"UFAULT{i:04d}", f"person{i}")["id"] for i in range(INCIDENTS)]

    def declare(i: int) -> bool:
        title = f"Concurrent outage {'abcde'[i % 5]}"  # shared titles: names differ by number
        if mode == "http":
            with slack.via(pair[i % 2].events_url):
                return declare_via(slack, title, users[i]).ok
        return declare_via(slack, title, users[i]).ok

    with ThreadPoolExecutor(THREADS) as pool:
        assert all(pool.map(declare, range(INCIDENTS)))
    wait_until(opened(INCIDENTS), 60, f"{INCIDENTS} incidents opened in Slack")
    incidents = list(Incident.select().order_by(Incident.id))
    assert [i.id for i in incidents] == list(range(1, INCIDENTS + 1))
    names = [i.channel_name for i in incidents]
    assert len(set(names)) == INCIDENTS
    assert names == [channel_name(i.id, i.title) for i in incidents]  # no `-2` retries
    created = [c for c in slack.calls_to("conversations.create") if c.ok]
    assert len(created) == INCIDENTS  # one channel each, none orphaned
    assert sorted(c.response["channel"]["id"] for c in created) == sorted(
        i.channel_id for i in incidents
    )

    # 1,000 pins in one incident channel, each delivered to both replicas concurrently.
    channel = incidents[0].channel_id
    events = pin_stream(slack, channel, EVENTS)
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(
            pool.map(
                lambda job: send(job[0], "events_api", job[1]),
                [(copy, event) for event in events for copy in (0, 1)],
            )
        )
    elapsed = time.monotonic() - started
    assert all(answers), f"{answers.count(False)} of {len(answers)} deliveries not acknowledged"
    assert stored_pins(incidents[0].id) == (EVENTS, EVENTS)
    assert sorted(stored_ts(incidents[0].id)) == sorted(ts_of(e) for e in events)
    print(f"{mode}: {2 * EVENTS} deliveries in {elapsed:.1f}s")

    # Every reminder falls due on both schedulers at once: each is posted by one of them.
    mark = len(slack.calls_to("chat.postMessage"))
    Incident.update(reported_at=Incident.reported_at - dt.timedelta(minutes=10)).execute()
    wait_until(
        lambda: Reminder.select().where(Reminder.sent_at.is_null(False)).count() >= 2 * INCIDENTS,
        30,
        "every reminder sent",
    )
    time.sleep(2.5)  # two more scheduler runs on each replica: nothing new may go out
    posted = [c for c in slack.calls_to("chat.postMessage")[mark:]]
    per_channel = Counter(c.params["channel"] for c in posted)
    assert per_channel == {i.channel_id: 2 for i in incidents}
    assert Reminder.select().count() == 2 * INCIDENTS
    for replica in pair:
        assert replica.terminate() == 0


def test_two_replicas_changing_one_incident_at_once_leave_slack_showing_the_latest(
    slack: ReplicaSlack, replicas: Replicas, pg
) -> None:
    """Changes made at the same moment through both replicas, while Slack's answers take
    varying time (so edits land in another order than they were sent): the announcement,
    the opening message and the topic end up showing the incident as last stored."""
    from bot.slack import blocks
    from testkit.harness import INCIDENTS

    pair = [replicas.start("http") for _ in range(2)]
    with slack.via(pair[0].events_url):
        assert declare_via(slack, "Race to the last word", slack.ALICE).ok
    wait_until(opened(1), 20, "incident opened")
    incident = Incident.get()
    for method in ("chat.update", "conversations.setTopic"):
        slack.faults.latency(method, 0.05, jitter=0.6)
    words = [f"severity {1 + n % 4}" for n in range(12)] + [
        "status identified",
        "lead @carol",
        "status monitoring",
        "severity 2",
        "lead @bob",
    ]

    def send(n: int) -> bool:
        with slack.via(pair[n % 2].events_url):
            return slack.slash_command(words[n], channel=incident.channel_id, timeout=10).ok

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(send, range(len(words))))

    def quiet() -> bool:
        last = max((c.finished_at for c in slack.calls), default=0.0)
        return time.time() - last > 2.0

    wait_until(quiet, 60, "Slack calls settling")
    final = Incident.get()
    lead = {slack.BOB: "bob", slack.CAROL: "carol"}.get(final.lead_id or "", "")
    announcement = next(m for m in slack.messages(INCIDENTS) if m["ts"] == final.announcement_ts)
    opening = next(
        m for m in slack.messages(final.channel_id) if m["ts"] == final.opening_message_ts
    )
    for message in (announcement, opening):
        shown = str(message["blocks"])
        assert final.severity_label in shown and blocks.status_label(final) in shown
        assert f"<@{final.lead_id}>" in shown
    assert slack.channels[final.channel_id]["topic"]["value"] == blocks.topic(final, lead)
    for replica in pair:
        assert replica.terminate() == 0
