"""A rate-limit storm: users.info, chat.postMessage and chat.update answer 429 with
Retry-After: 5 for a minute. Every ack still reaches Slack within its three seconds, every
event is stored once, and every Slack update is made in the end.

Both modes in one storm, on PostgreSQL: the storm is Slack's, and what it makes the bot wait
for is the same on either database (one minute of storm, not four, in the suite).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from testkit.harness import ALICE, BOB, INCIDENTS, RunningBot, eventually, running_bot
from tests.bot.flows import declare

STORM_SECONDS = float(os.environ.get("INCIDENT_TEST_STORM_SECONDS", "60"))
STORMY = ("users.info", "chat.postMessage", "chat.update")
DAVE = "U0DAVE00001"  # never looked up before the storm: naming him needs users.info


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_every_ack_is_in_time_and_every_update_lands_through_a_storm(
    slack: FakeSlack, database, database_url: str
) -> None:
    """Both modes at once, one incident each, through one storm (the bot on SQLite is the
    same code: the storm is Slack's)."""
    slack.add_user(DAVE, "dave")
    with running_bot(slack, "http", database_url), running_bot(slack, "socket", database_url):
        incidents = {}
        for via in ("http", "socket"):
            declare(slack, f"Storm over {via}", lead=BOB, via=via)
            with database.connection_context():
                incidents[via] = Incident.select().order_by(Incident.id.desc()).get()
        for via, incident in incidents.items():
            assert incident.channel_id and slack.join(incident.channel_id, DAVE, via=via).ok
        started = time.monotonic()
        for method in STORMY:
            slack.faults.rate_limit_for(method, STORM_SECONDS, retry_after=5)
        findings = {via: storm_of_work(slack, incident, via) for via, incident in incidents.items()}
        assert time.monotonic() - started < STORM_SECONDS, "deliveries outlasted the storm"
        for via, incident in incidents.items():
            everything_lands(slack, database, incident.id, findings[via])


def storm_of_work(slack: FakeSlack, incident: Incident, via: str) -> list[str]:
    """What people do during the storm, each answered within Slack's deadline; returns the
    ts of the messages pinned."""
    channel = incident.channel_id
    assert channel
    deliveries: list[Any] = []
    findings = [slack.post_message(channel, DAVE, f"finding {n}") for n in range(5)]
    for ts in findings:
        deliveries.append(slack.pin(channel, ts, ALICE, via=via))
    deliveries.append(slack.slash_command("severity 1", channel=channel, via=via))
    deliveries.append(slack.slash_command("status identified", channel=channel, user=BOB, via=via))
    deliveries.append(slack.slash_command("", channel=channel, via=via))  # the Update form
    deliveries.append(
        slack.say(channel, ALICE, "@incident-bot summary Failing over the DB", via=via)
    )
    deliveries.append(slack.react(channel, findings[0], BOB, via=via))
    deliveries.append(
        slack.click(
            "incident_resolve",
            user=BOB,
            channel=INCIDENTS,
            message_ts=incident.announcement_ts,
            via=via,
        )
    )
    late = [(d.kind, d.elapsed, d.error) for d in deliveries if not d.ok or d.late]
    assert late == [], via
    slowest = max(d.elapsed for d in deliveries)
    print(f"{via}: slowest ack during the storm {slowest:.3f} s")
    assert slowest < 3.0
    assert slack.wait_for_view(callback_id="incident_update")
    return findings


def everything_lands(slack: FakeSlack, database, number: int, findings: list[str]) -> None:
    """Stored once, at once; in Slack, in the end."""
    with database.connection_context():
        stored = [
            e.message_ts
            for e in TimelineEvent.select().where(TimelineEvent.message_ts.in_(findings))
        ]
        incident = Incident.get_by_id(number)
    assert sorted(stored) == sorted(findings)  # each once
    assert (incident.severity, incident.status) == (1, "resolved")
    assert incident.summary == "Failing over the DB"
    channel = incident.channel_id

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


def test_a_form_slack_is_too_busy_to_open_is_answered_in_time_not_retried(
    slack: FakeSlack, bot: RunningBot
) -> None:
    """views.open answers 429: waiting Retry-After would outlive the trigger (3 s), so the
    bot tells the person to try again at once, and makes no second attempt."""
    slack.faults.rate_limit_for("views.open", 30, retry_after=5)
    delivery = slack.slash_command("Payments are down")
    assert delivery.ok and not delivery.late and delivery.elapsed < 3.0
    answer = delivery.response or {"text": delivery.body}
    assert "too busy" in answer["text"] and "try again" in answer["text"]
    assert len(slack.calls_to("views.open")) == 1
