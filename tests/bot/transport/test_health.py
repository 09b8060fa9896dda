"""GET /metrics: what was declared, what is open, how Slack answered, how fast, repeats."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest

from fakeslack import FakeSlack, payloads
from models import Incident
from testkit.harness import ALICE, RunningBot
from tests.bot.flows import declare


def scrape(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


@pytest.mark.parametrize("mode", ["http"])
def test_metrics_count_what_happened(slack: FakeSlack, bot: RunningBot, database) -> None:
    url = slack.http_target.replace("/slack/events", "/metrics")
    before = scrape(url)
    slack.faults.rate_limit("conversations.create", times=1, retry_after=1)
    declare(slack, "Measured")
    with database.connection_context():
        incident = Incident.get()
    delivery = slack.slash_command("note counted once", channel=incident.channel_id)
    slack.deliver("slash_commands", delivery.payload)  # a repeat
    after = scrape(url)

    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert delta("incident_bot_incidents_declared_total") == 1
    create = 'incident_bot_slack_api_calls_total{method="conversations.create",outcome="%s"}'
    assert delta(create % "ratelimited") == 1
    assert delta(create % "ok") == 1
    assert delta("incident_bot_duplicate_deliveries_total") == 1
    assert after['incident_bot_open_incidents{severity="2"}'] == 1
    assert after['incident_bot_open_incidents{severity="1"}'] == 0
    assert delta('incident_bot_request_handling_seconds_count{kind="view_submission"}') == 1
    assert delta('incident_bot_request_handling_seconds_count{kind="command"}') >= 3


@pytest.mark.parametrize("mode", ["http"])
def test_handling_time_is_measured_around_the_listener(slack: FakeSlack, bot: RunningBot) -> None:
    """Around the listener itself: Bolt's middleware chain returns before listeners run."""
    url = slack.http_target.replace("/slack/events", "/metrics")

    @bot.app.event("app_home_opened")
    def slow() -> None:
        time.sleep(0.3)  # a listener that takes a known time

    key = 'incident_bot_request_handling_seconds_sum{kind="event:app_home_opened"}'
    before = scrape(url).get(key, 0.0)
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home"}
    payload = payloads.event_callback(event, event_id="Ev0HOME1", event_time=int(time.time()))
    assert slack.deliver("events_api", payload).ok
    assert scrape(url)[key] - before >= 0.3
