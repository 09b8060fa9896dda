"""Slack misbehaving while an incident is declared: storms of 429 with Retry-After, 5xx
answers, 2-second answers and connections reset after Slack did the work. Declaring completes,
or the reporter is told plainly what failed; never a second channel; reminders do not pile up.
"""

from __future__ import annotations

import datetime as dt
import time

from models import Incident, Reminder
from testkit.net import wait_until
from testkit.processes import Replicas
from testkit.proxy import Proxy
from testkit.replica_flows import declare_via, opened
from testkit.slack import ReplicaSlack
from tests.bot.flows import confirmations


def _told(slack: ReplicaSlack) -> list[str]:
    return [str(c.params.get("text", "")) for c in confirmations(slack)]


def _declare(
    slack: ReplicaSlack, replicas: Replicas, title: str, env: dict | None = None, **fields: str
) -> None:
    bot = replicas.start("http", env=env)
    with slack.via(bot.events_url):
        assert declare_via(slack, title, slack.ALICE, **fields).ok


def _one_channel(slack: ReplicaSlack) -> None:
    created = [c for c in slack.calls_to("conversations.create") if c.ok]
    assert len(created) == 1, [c.summary() for c in slack.calls_to("conversations.create")]
    assert [n for n in (ch["name"] for ch in slack.channels.values()) if n.startswith("inc-")] == [
        created[0].response["channel"]["name"]
    ]


def test_429_and_5xx_storms_are_ridden_out(slack: ReplicaSlack, replicas: Replicas) -> None:
    # slack_sdk counts one retry budget across its handlers (a 5xx after four 429s is not
    # retried), so each call here gets at most 4 bad answers: 1 server error, then 429s.
    slack.faults.server_error("conversations.create", 503, times=1)
    slack.faults.rate_limit("conversations.create", times=3, retry_after=1)
    slack.faults.server_error("chat.postMessage", 500, times=1)
    slack.faults.rate_limit("chat.postMessage", times=3, retry_after=1)
    _declare(slack, replicas, "Storm of rate limits")
    wait_until(opened(1), 30, "incident opened despite the storm")
    wait_until(lambda: _told(slack), 10, "reporter told")
    assert "did not work" not in _told(slack)[0]
    _one_channel(slack)


def test_slow_slack_still_declares(slack: ReplicaSlack, replicas: Replicas) -> None:
    replicas.start("http")  # started before the latency, so start-up is not slowed
    slack.faults.latency("*", 2.0)
    started = time.monotonic()
    _declare(slack, replicas, "Slow Slack")
    wait_until(lambda: _told(slack), 30, "reporter told")
    assert time.monotonic() - started < 20
    assert "did not work" not in _told(slack)[0]
    _one_channel(slack)


def test_a_long_storm_is_waited_out_and_the_reporter_hears_why_it_is_slow(
    slack: ReplicaSlack, replicas: Replicas
) -> None:
    """chat.postMessage answers 429 for 20 s: the reporter is told within seconds that the
    channel is open and the posts are still on their way; they land once Slack allows."""
    started = time.monotonic()
    slack.faults.rate_limit_for("chat.postMessage", 20, retry_after=2)
    _declare(slack, replicas, "Long storm")
    wait_until(lambda: _told(slack), 15, "reporter told")
    assert time.monotonic() - started < 15
    text = _told(slack)[0]
    assert "Still being done" in text and "post the opening message" in text, text
    wait_until(opened(1), 60, "opening message and announcement posted after the storm")
    assert time.monotonic() - started >= 20
    _one_channel(slack)


def test_reset_after_create_makes_no_second_channel(
    slack: ReplicaSlack, replicas: Replicas, proxy: Proxy
) -> None:
    """conversations.create reaches Slack and the channel is made, but the answer is lost
    in a connection reset; the client retries and must not open `inc-0001-…-2`."""
    proxy.drop_after_answer("/api/conversations.create", 1)
    proxy.drop_after_answer("/api/chat.postMessage", 1)
    env = {"SLACK_API_URL": f"http://127.0.0.1:{proxy.port}/api/"}
    _declare(slack, replicas, "Reset after create", env=env)
    wait_until(lambda: _told(slack), 30, "reporter told")
    assert proxy.dropped_answers >= 1
    _one_channel(slack)


def test_reminders_do_not_pile_up_under_429(slack: ReplicaSlack, replicas: Replicas) -> None:
    env = {
        "REMINDERS_ENABLED": "true",
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "REMINDER_OPEN_HOURS": "0",
        "REMINDER_UPDATE_MINUTES": "none",
    }
    _declare(slack, replicas, "Reminders in a storm", env=env)
    wait_until(opened(1), 20, "incident opened")
    incident = Incident.get()
    mark = len(slack.calls_to("chat.postMessage"))
    slack.faults.rate_limit_for("chat.postMessage", 6, retry_after=1)
    Incident.update(reported_at=Incident.reported_at - dt.timedelta(minutes=10)).execute()
    wait_until(
        lambda: Reminder.select().where(Reminder.sent_at.is_null(False)).count() == 2,
        30,
        "both reminders sent once the storm is over",
    )
    time.sleep(3)  # three more scheduler runs
    tries = [
        c
        for c in slack.calls_to("chat.postMessage")[mark:]
        if c.params.get("channel") == incident.channel_id
    ]
    assert Reminder.select().count() == 2
    # Each reminder is one post that its client retried through the storm (a try a second
    # for six seconds at most), never sent again by a later scheduler run.
    posted = [c for c in tries if c.ok]
    assert len(posted) == 2 and len(tries) <= 2 * 8, len(tries)
