"""A rate-limit storm: users.info, chat.postMessage and chat.update answer 429 with
Retry-After: 5 for a minute. Every ack still reaches Slack within its three seconds, every
event is stored once, and every Slack update is made in the end.

One combination per mode, which covers both databases: the storm is Slack's, and the waits
it causes are the same on either database (the suite keeps under its time budget).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from tests.bot.flows import declare
from tests.bot.harness import ALICE, BOB, INCIDENTS, RunningBot

STORM_SECONDS = float(os.environ.get("INCIDENT_TEST_STORM_SECONDS", "60"))
STORMY = ("users.info", "chat.postMessage", "chat.update")
DAVE = "U0DAVE00001"  # never looked up before the storm: naming him needs users.info


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.25)


@pytest.mark.parametrize(
    ("mode", "database_url"),
    [("http", "sqlite"), ("socket", "postgres")],
    indirect=["database_url"],
)
def test_every_ack_is_in_time_and_every_update_lands_through_a_storm(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.add_user(DAVE, "dave")
    declare(slack, "Storm", lead=BOB)
    with database.connection_context():
        incident = Incident.get()
    channel = incident.channel_id
    assert channel and slack.join(channel, DAVE).ok
    started = time.monotonic()
    for method in STORMY:
        slack.faults.rate_limit_for(method, STORM_SECONDS, retry_after=5)

    deliveries: list[Any] = []
    findings = [slack.post_message(channel, DAVE, f"finding {n}") for n in range(5)]
    for ts in findings:
        deliveries.append(slack.pin(channel, ts, ALICE))
    deliveries.append(slack.slash_command("severity 1", channel=channel))
    deliveries.append(slack.slash_command("status identified", channel=channel, user=BOB))
    deliveries.append(slack.slash_command("", channel=channel))  # the Update form opens
    deliveries.append(slack.say(channel, ALICE, "@incident-bot summary Failing over the DB"))
    deliveries.append(slack.react(channel, findings[0], BOB))
    deliveries.append(
        slack.click(
            "incident_resolve", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
        )
    )
    during = time.monotonic() - started
    assert during < STORM_SECONDS, "the deliveries took longer than the storm"
    late = [(d.kind, d.elapsed, d.error) for d in deliveries if not d.ok or d.late]
    assert late == []
    slowest = max(d.elapsed for d in deliveries)
    print(f"slowest ack during the storm: {slowest:.3f} s")
    assert slowest < 3.0
    assert slack.wait_for_view(callback_id="incident_update")

    with database.connection_context():
        stored = [
            e.message_ts
            for e in TimelineEvent.select().where(TimelineEvent.message_ts.in_(findings))
        ]
        incident = Incident.get()
    assert sorted(stored) == sorted(findings)  # each once
    assert (incident.severity, incident.status) == (1, "resolved")
    assert incident.summary == "Failing over the DB"

    def announcement() -> dict[str, Any]:
        return next(m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts)

    def posted(words: str) -> bool:
        return any(words in m.get("text", "") for m in slack.messages(channel))

    limit = STORM_SECONDS + 60
    eventually(lambda: "Resolved" in json.dumps(announcement()), limit, "announcement resolved")
    eventually(lambda: "SEV1" in json.dumps(announcement()), limit, "announcement at SEV1")
    eventually(lambda: posted("is *resolved*"), limit, "resolution told in the channel")
    eventually(lambda: posted("Failing over the DB"), limit, "summary told in the channel")

    def named() -> bool:
        with database.connection_context():
            names = {
                e.author_name
                for e in TimelineEvent.select().where(TimelineEvent.message_ts.in_(findings))
            }
        return names == {"dave"}

    eventually(named, limit, "pins by dave named after him")
