"""Reminders: when each kind fires, snooze and dismiss through the real bot, working hours,
restarts and two schedulers on one database — all through the fake Slack, on both databases.

Time is frozen (or passed as `now`) only around the scheduler and the domain, driven from
the test thread; the bot's own threads and the fake Slack keep real time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from freezegun import freeze_time

from bot.domain import incidents, lifecycle, reminders
from bot.domain.incidents import Declaration
from bot.domain.lifecycle import Actor
from bot.domain.reminder_settings import ReminderSettings
from bot.jobs.scheduler import Scheduler
from bot.slack.blocks import UPDATE
from bot.slack.client import make_client
from bot.slack.reminder_messages import DISMISS_ACTION, SNOOZE_ACTION
from fakeslack import Call, FakeSlack
from incident_common.environment import ConfigError
from models import Incident, Reminder
from models.fields import utcnow
from testkit.harness import ALICE, BOB, BOT_TOKEN, BOT_USER, CAROL, RunningBot

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)
# A Monday in March 2026: London is still on GMT (summer time starts on 29 March).
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    # real_asyncio keeps the fake Slack's event loop on real time while the test's clock stops.
    with freeze_time(moment, tick=False, real_asyncio=True):
        yield


def open_incident(
    slack: FakeSlack,
    *,
    at: dt.datetime,
    severity: int | None = None,
    lead: str | None = None,
    reporter: str = ALICE,
    title: str = "Checkout latency above 2s",
) -> Incident:
    """An incident declared at `at`, with its channel in the fake Slack."""
    with frozen(at):
        incident = incidents.declare(
            Declaration(title=title, reporter_id=reporter, severity=severity, lead_id=lead)
        )
    assert incident is not None
    name = f"inc-{incident.id:04d}"
    channel = slack.add_channel(name, members=[reporter, BOT_USER] + ([lead] if lead else []))
    incidents.attach_channel(incident.id, channel, name)
    found = incidents.get(incident.id)
    assert found is not None
    return found


def scheduler(slack: FakeSlack, name: str | None = None, **env: str) -> Scheduler:
    client = make_client(BOT_TOKEN, slack.api_url)
    return Scheduler(client, ReminderSettings.from_env(env), name=name)


def posts(slack: FakeSlack, channel: str | None = None) -> list[Call]:
    calls = slack.calls_to("chat.postMessage")
    return [c for c in calls if channel is None or c.params["channel"] == channel]


def rows(database, incident: Incident | None = None) -> list[Reminder]:
    with database.connection_context():
        query = Reminder.select().order_by(Reminder.id)
        if incident is not None:
            query = query.where(Reminder.incident == incident.id)
        return list(query)


def buttons(call: Call) -> dict[str, Any]:
    return {
        element["action_id"]: element
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


# -- each kind fires when due, and not before --------------------------------------------------


def test_no_lead_fires_five_minutes_after_declaring_and_asks_the_reporter(
    slack: FakeSlack, database
) -> None:
    incident = open_incident(slack, at=MONDAY, severity=3)
    sched = scheduler(slack)
    with frozen(MONDAY + 5 * MINUTE - SECOND):
        assert sched.run_once() == 0
    with frozen(MONDAY + 5 * MINUTE):
        assert sched.run_once() == 1
    with frozen(MONDAY + 6 * MINUTE):
        assert sched.run_once() == 0

    [post] = posts(slack)
    assert post.params["channel"] == incident.channel_id
    assert f"<@{ALICE}>" in post.params["text"] and "no lead" in post.params["text"]
    # Durations read as they do everywhere else the bot writes one (the channel's "5 min").
    assert "no lead for 5 min." in post.params["text"], post.params["text"]
    [row] = rows(database)
    assert (row.kind, row.due_at, row.sent_at) == (
        "no_lead",
        MONDAY + 5 * MINUTE,
        MONDAY + 5 * MINUTE,
    )
    assert row.message_ts == post.response["ts"]
    found = buttons(post)
    assert set(found) == {UPDATE, SNOOZE_ACTION, DISMISS_ACTION}
    assert found[SNOOZE_ACTION]["text"]["text"] == "Snooze 30 min"
    assert found[SNOOZE_ACTION]["value"] == found[DISMISS_ACTION]["value"] == str(row.id)
    # It says how to do what it asks, and its first button opens the Update form for it.
    assert found[UPDATE]["text"]["text"] == "Set a lead"
    assert found[UPDATE]["value"] == str(incident.id)
    assert "`/incident lead @person`" in post.params["text"]


def test_no_lead_comes_back_less_and_less_often_until_a_lead_is_set(
    slack: FakeSlack, database
) -> None:
    incident = open_incident(slack, at=MONDAY, severity=3)
    sched = scheduler(slack)
    sent_at = [m for m in range(0, 200) if sched.run_once(MONDAY + m * MINUTE)]
    # 5 minutes, then twice the wait each time, then hourly.
    assert sent_at == [5, 15, 35, 75, 135, 195]
    assert [p.params["text"].split(" for ")[1].split(".")[0] for p in posts(slack)] == [
        "5 min",
        "15 min",
        "35 min",
        "1 h 15 min",
        "2 h 15 min",
        "3 h 15 min",
    ]
    lifecycle.change(incident.id, Actor(BOB, "command"), lifecycle.Fields(lead=BOB))
    assert [sched.run_once(MONDAY + h * dt.timedelta(hours=1)) for h in (4, 5, 8)] == [0, 0, 0]


def test_a_dismissed_no_lead_reminder_stays_dismissed(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident = open_incident(slack, at=utcnow() - 6 * MINUTE, severity=3)
    sched = scheduler(slack)
    assert sched.run_once() == 1
    assert slack.click(DISMISS_ACTION, user=ALICE, channel=incident.channel_id).ok
    slack.wait_for_call("chat.update", timeout=10)
    now = utcnow()
    assert [sched.run_once(now + h * dt.timedelta(hours=1)) for h in (1, 2, 6)] == [0, 0, 0]


def test_reminders_are_threaded_under_the_opening_message(slack: FakeSlack, database) -> None:
    incident = open_incident(slack, at=MONDAY, severity=1)
    client = make_client(BOT_TOKEN, slack.api_url)
    opening = client.chat_postMessage(channel=incident.channel_id or "", text="Incident opened")
    incidents.record_messages(incident.id, opening_message_ts=opening["ts"])
    assert scheduler(slack).run_once(MONDAY + 30 * MINUTE) == 2
    [_, *sent] = posts(slack)
    assert [p.params.get("thread_ts") for p in sent] == [opening["ts"]] * 2
    top_level = [
        m["ts"]
        for m in slack.messages(incident.channel_id)
        if "thread_ts" not in m or m["thread_ts"] == m["ts"]
    ]
    assert top_level == [opening["ts"]]


def test_no_severity_fires_after_five_minutes_and_asks_the_lead(slack: FakeSlack, database) -> None:
    incident = open_incident(slack, at=MONDAY, lead=BOB)
    sched = scheduler(slack)
    assert sched.run_once(MONDAY + 4 * MINUTE) == 0
    assert sched.run_once(MONDAY + 5 * MINUTE) == 1
    [post] = posts(slack, incident.channel_id)
    assert "no severity" in post.params["text"] and f"<@{BOB}>" in post.params["text"]
    assert f"<@{ALICE}>" not in post.params["text"]
    assert [r.kind for r in rows(database)] == ["no_severity"]


@pytest.mark.parametrize(("severity", "minutes"), [(1, 30), (2, 60)])
def test_update_reminder_repeats_every_interval_by_severity(
    slack: FakeSlack, database, severity: int, minutes: int
) -> None:
    open_incident(slack, at=MONDAY, severity=severity, lead=BOB)
    sched = scheduler(slack)
    period = dt.timedelta(minutes=minutes)
    assert sched.run_once(MONDAY + period - SECOND) == 0
    assert sched.run_once(MONDAY + period) == 1
    assert sched.run_once(MONDAY + period * 1.5) == 0
    assert sched.run_once(MONDAY + period * 2) == 1
    assert [r.due_at for r in rows(database)] == [MONDAY + period, MONDAY + period * 2]
    assert all(r.kind == "update_overdue" for r in rows(database))
    assert f"SEV{severity}" in posts(slack)[0].params["text"]


@pytest.mark.parametrize("severity", [3, 4])
def test_sev3_and_sev4_get_no_update_reminder(slack: FakeSlack, database, severity) -> None:
    open_incident(slack, at=MONDAY, severity=severity, lead=BOB)
    sched = scheduler(slack)
    for hours in (1, 2, 6, 23):
        assert sched.run_once(MONDAY + dt.timedelta(hours=hours)) == 0
    assert posts(slack) == []


def test_update_intervals_are_configurable(slack: FakeSlack, database) -> None:
    open_incident(slack, at=MONDAY, severity=3, lead=BOB)
    sched = scheduler(slack, REMINDER_UPDATE_MINUTES="3=10")
    assert sched.run_once(MONDAY + 9 * MINUTE) == 0
    assert sched.run_once(MONDAY + 10 * MINUTE) == 1


def sev1_at_monday(channel_id: str) -> Incident:
    """A SEV1 led by Bob, declared on MONDAY, in a channel (no Slack needed: domain level)."""
    with frozen(MONDAY):
        incident = incidents.declare(
            Declaration(title="Queue", reporter_id=ALICE, severity=1, lead_id=BOB)
        )
    assert incident is not None
    incidents.attach_channel(incident.id, channel_id, f"inc-{channel_id.lower()}")
    return incident


def test_an_update_starts_the_count_again(database) -> None:
    """Domain level: lifecycle.add_entry(kind="update") moves the next reminder."""
    settings = ReminderSettings()
    incident = sev1_at_monday("C0REMIND1")
    [first] = reminders.due(MONDAY + 30 * MINUTE, settings)
    assert (first.kind, first.due_at, first.basis) == (
        "update_overdue",
        MONDAY + 30 * MINUTE,
        MONDAY,
    )
    with frozen(MONDAY + 40 * MINUTE):
        lifecycle.add_entry(incident.id, "update", "Rolled back", Actor(BOB, "slack"))
    assert reminders.due(MONDAY + 60 * MINUTE, settings) == []
    assert reminders.due(MONDAY + 70 * MINUTE - SECOND, settings) == []
    [after] = reminders.due(MONDAY + 70 * MINUTE, settings)
    assert (after.due_at, after.basis) == (MONDAY + 70 * MINUTE, MONDAY + 40 * MINUTE)
    # A note tells people where it stands too: it starts the count again.
    with frozen(MONDAY + 75 * MINUTE):
        lifecycle.add_entry(incident.id, "note", "Still slow", Actor(BOB, "slack"))
    assert reminders.due(MONDAY + 100 * MINUTE, settings) == []
    assert [d.due_at for d in reminders.due(MONDAY + 105 * MINUTE, settings)] == [
        MONDAY + 105 * MINUTE
    ]


@pytest.mark.parametrize(
    ("fields", "counts"),
    [
        (lifecycle.Fields(status="identified"), True),
        (lifecycle.Fields(summary="Bad deploy of the checkout service"), True),
        (lifecycle.Fields(impact="EU customers cannot pay"), True),
        # Who leads it and how bad it is say nothing new about where it stands.
        (lifecycle.Fields(severity=2), False),
        (lifecycle.Fields(lead=CAROL), False),
    ],
)
def test_a_change_of_status_summary_or_impact_counts_as_an_update(
    database, fields: lifecycle.Fields, counts: bool
) -> None:
    settings = ReminderSettings()
    incident = sev1_at_monday("C0REMIND2")
    with frozen(MONDAY + 20 * MINUTE):
        lifecycle.change(incident.id, Actor(BOB, "command"), fields)
    due_at = [d.due_at for d in reminders.due(MONDAY + 45 * MINUTE, settings)]
    if counts:
        assert due_at == []
        [later] = reminders.due(MONDAY + 50 * MINUTE, settings)
        assert later.basis == MONDAY + 20 * MINUTE
    else:
        # SEV2's interval is an hour; the severity change moved that, not the basis.
        expected = [] if fields.severity == 2 else [MONDAY + 30 * MINUTE]
        assert due_at == expected


# -- resolving, open for long, working hours ---------------------------------------------------


def test_resolving_stops_every_reminder(slack: FakeSlack, database) -> None:
    incident = open_incident(slack, at=MONDAY, severity=1)
    sched = scheduler(slack)
    assert sched.run_once(MONDAY + 5 * MINUTE) == 1
    due = reminders.due(MONDAY + 30 * MINUTE, sched.settings)
    assert sorted(d.kind for d in due) == ["no_lead", "update_overdue"]
    lifecycle.resolve(incident.id, Actor(ALICE, "command"))
    for later in (30 * MINUTE, 2 * dt.timedelta(hours=1), dt.timedelta(days=1, hours=1)):
        assert sched.run_once(MONDAY + later) == 0
    assert len(posts(slack)) == 1


# Friday 3 July 2026, 07:00 UTC (08:00 in London, on summer time: UTC+1).
FRIDAY = dt.datetime(2026, 7, 3, 7, 0, tzinfo=UTC)


def test_open_long_fires_once_per_working_day_in_london_working_hours(
    slack: FakeSlack, database
) -> None:
    incident = open_incident(slack, at=FRIDAY, severity=3, lead=BOB)
    sched = scheduler(slack)
    monday_9_london = dt.datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
    expected = {
        dt.datetime(2026, 7, 4, 10, 0, tzinfo=UTC): 0,  # open > 24 h, but Saturday
        dt.datetime(2026, 7, 5, 12, 0, tzinfo=UTC): 0,  # Sunday
        monday_9_london - MINUTE: 0,  # 08:59 in London
        monday_9_london: 1,  # 09:00 in London
        monday_9_london + 2 * dt.timedelta(hours=1): 0,  # already reminded today
        dt.datetime(2026, 7, 6, 16, 0, tzinfo=UTC): 0,  # 17:00 in London: after hours
        dt.datetime(2026, 7, 7, 7, 59, tzinfo=UTC): 0,  # Tuesday, 08:59 in London
        dt.datetime(2026, 7, 7, 11, 30, tzinfo=UTC): 1,  # Tuesday, late but in hours
    }
    for moment, count in expected.items():
        with frozen(moment):
            assert sched.run_once() == count, moment
    [monday, tuesday] = rows(database, incident)
    assert monday.kind == tuesday.kind == "open_long"
    assert monday.due_at == monday_9_london
    assert tuesday.due_at == dt.datetime(2026, 7, 7, 8, 0, tzinfo=UTC)
    assert "has been open for 3 d 1 h." in posts(slack)[0].params["text"]


def test_open_long_not_before_the_hours_are_up(slack: FakeSlack, database) -> None:
    open_incident(slack, at=MONDAY, severity=3, lead=BOB)
    sched = scheduler(slack)
    assert sched.run_once(MONDAY + dt.timedelta(hours=24) - SECOND) == 0
    assert sched.run_once(MONDAY + dt.timedelta(hours=24)) == 1
    assert rows(database)[0].kind == "open_long"


def test_working_timezone_days_and_hours_are_configurable(slack: FakeSlack, database) -> None:
    open_incident(slack, at=FRIDAY, severity=3, lead=BOB)
    sched = scheduler(
        slack,
        WORKING_TIMEZONE="America/New_York",
        WORKING_DAYS="Sun-Thu",
        WORKING_HOURS="10:00-18:00",
    )
    sunday_10_new_york = dt.datetime(2026, 7, 5, 14, 0, tzinfo=UTC)
    assert sched.run_once(dt.datetime(2026, 7, 4, 15, 0, tzinfo=UTC)) == 0  # Saturday
    assert sched.run_once(sunday_10_new_york - SECOND) == 0
    assert sched.run_once(sunday_10_new_york) == 1


# -- snooze and dismiss through the real bot ---------------------------------------------------


def test_snooze_button_quiets_the_reminder_for_30_minutes(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident = open_incident(slack, at=utcnow() - 10 * MINUTE, severity=3)
    sched = scheduler(slack)
    assert sched.run_once() == 1
    [row] = rows(database)
    before = utcnow()
    click = slack.click(SNOOZE_ACTION, user=BOB, channel=incident.channel_id)
    assert click.ok
    update = slack.wait_for_call("chat.update", timeout=10)
    assert update.params["ts"] == row.message_ts

    [row] = rows(database)
    assert row.snoozed_by == BOB
    assert before + 30 * MINUTE <= row.snoozed_until <= utcnow() + 30 * MINUTE
    [message] = [m for m in slack.messages(incident.channel_id) if m["ts"] == row.message_ts]
    # Snooze and Dismiss are spent; the Update form may still be wanted.
    assert [b["type"] for b in message["blocks"]] == ["section", "actions", "context"]
    assert [e["action_id"] for e in message["blocks"][1]["elements"]] == [UPDATE]
    # Who snoozed it is named without a ping.
    assert "Snoozed by bob until <!date^" in str(message["blocks"][2]), message["blocks"]
    assert "no lead" in message["text"]

    # A second delivery of the same click (a double click, a retry) changes nothing.
    assert slack.deliver("interactive", click.payload or {}).ok
    assert len(slack.calls_to("chat.update")) == 1
    assert rows(database)[0].snoozed_until == row.snoozed_until

    assert sched.run_once(row.snoozed_until - SECOND) == 0
    assert sched.run_once(row.snoozed_until) == 1
    assert sched.run_once(row.snoozed_until + MINUTE) == 0
    assert len(posts(slack, incident.channel_id)) == 2


def test_dismiss_button_silences_the_update_reminder_until_the_next_update(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident = open_incident(slack, at=utcnow() - 31 * MINUTE, severity=1, lead=BOB)
    sched = scheduler(slack)
    assert sched.run_once() == 1
    assert slack.click(DISMISS_ACTION, user=CAROL, channel=incident.channel_id).ok
    update = slack.wait_for_call("chat.update", timeout=10)
    assert "Dismissed by carol" in str(update.params["blocks"])
    assert "<@" not in str(update.params["blocks"][-1])
    [row] = rows(database)
    assert row.dismissed_by == CAROL and row.dismissed_at is not None

    now = utcnow()
    for later in (30 * MINUTE, 90 * MINUTE, 5 * dt.timedelta(hours=1)):
        assert sched.run_once(now + later) == 0
    lifecycle.add_entry(incident.id, "update", "Mitigated", Actor(BOB, "slack"))
    updated = incidents.get(incident.id)
    assert updated is not None and updated.last_update_at is not None
    assert sched.run_once(updated.last_update_at + 30 * MINUTE - SECOND) == 0
    assert sched.run_once(updated.last_update_at + 30 * MINUTE) == 1


# -- exactly once: restarts, crashes, failures and two schedulers -----------------------------


def test_a_restarted_scheduler_never_sends_again(slack: FakeSlack, database) -> None:
    open_incident(slack, at=MONDAY, severity=1)
    first = scheduler(slack)
    assert first.run_once(MONDAY + 30 * MINUTE) == 2  # no lead, update overdue
    restarted = scheduler(slack)
    assert restarted.run_once(MONDAY + 30 * MINUTE) == 0
    assert restarted.run_once(MONDAY + 31 * MINUTE) == 0
    assert len(posts(slack)) == 2


def test_a_claim_that_never_reached_slack_is_not_sent_after_a_crash(
    slack: FakeSlack, database
) -> None:
    """Claimed, then the process died before posting: the reminder is lost, never doubled."""
    open_incident(slack, at=MONDAY, severity=3)
    [item] = reminders.due(MONDAY + 5 * MINUTE, ReminderSettings())
    assert reminders.claim(item, MONDAY + 5 * MINUTE, by="crashed") is not None
    assert scheduler(slack).run_once(MONDAY + 6 * MINUTE) == 0
    assert posts(slack) == []
    [row] = rows(database)
    assert (row.claimed_by, row.sent_at) == ("crashed", None)


def test_the_same_due_reminder_is_claimed_once(database) -> None:
    """Two replicas that computed the same list: the unique key lets one of them send."""
    with frozen(MONDAY):
        incident = incidents.declare(Declaration(title="Race", reporter_id=ALICE))
    assert incident is not None
    incidents.attach_channel(incident.id, "C0RACE001", "inc-race")
    now = MONDAY + 5 * MINUTE
    seen_by_a, seen_by_b = (reminders.due(now, ReminderSettings()) for _ in range(2))
    assert seen_by_a == seen_by_b and len(seen_by_a) == 2
    assert all(reminders.claim(item, now, by="a") for item in seen_by_a)
    assert [reminders.claim(item, now, by="b") for item in seen_by_b] == [None, None]


def test_a_slack_error_is_logged_with_the_incident_and_not_retried(
    slack: FakeSlack, database, caplog: pytest.LogCaptureFixture
) -> None:
    first = open_incident(slack, at=MONDAY, severity=3)
    second = open_incident(slack, at=MONDAY, severity=3)
    slack.faults.error("chat.postMessage", "not_in_channel")
    sched = scheduler(slack)
    with caplog.at_level(logging.WARNING, logger="bot.jobs.scheduler"):
        assert sched.run_once(MONDAY + 5 * MINUTE) == 1
    [failure] = [r for r in caplog.records if r.getMessage() == "reminder not sent"]
    assert vars(failure)["incident"] == first.id
    assert vars(failure)["error"] == "not_in_channel"
    failed, sent = rows(database)
    assert (failed.incident_id, failed.error, failed.sent_at) == (first.id, "not_in_channel", None)
    assert sent.incident_id == second.id and sent.sent_at is not None
    assert sched.run_once(MONDAY + 6 * MINUTE) == 0


def test_the_thread_keeps_going_after_a_slack_error_and_stops_cleanly(
    slack: FakeSlack, database
) -> None:
    open_incident(slack, at=utcnow() - 10 * MINUTE, severity=3)
    slack.faults.error("chat.postMessage", "channel_not_found")
    sched = scheduler(slack, SCHEDULER_INTERVAL_SECONDS="1")
    sched.start()
    try:
        slack.wait_for_call("chat.postMessage", timeout=5)
        later = open_incident(slack, at=utcnow() - 10 * MINUTE, severity=3)
        slack.wait_for_call(
            "chat.postMessage", where=lambda c: c.params["channel"] == later.channel_id, timeout=5
        )
        assert sched.running
    finally:
        sched.stop()
    assert not sched.running
    assert [r.error for r in rows(database)] == ["channel_not_found", None]


def test_disabled_reminders_start_no_thread(slack: FakeSlack, database) -> None:
    open_incident(slack, at=MONDAY, severity=3)
    sched = scheduler(slack, REMINDERS_ENABLED="false")
    sched.start()
    assert not sched.running
    assert sched.run_once(MONDAY + dt.timedelta(hours=3)) == 0


def test_two_schedulers_on_one_database_send_each_reminder_once(slack: FakeSlack, database) -> None:
    """Two replicas wake up together, each on its own connection (peewee connects per
    thread); every reminder goes out once. The point is PostgreSQL; SQLite passes too."""
    opened = [open_incident(slack, at=MONDAY, severity=1, title=f"Outage {n}") for n in range(8)]
    slack.faults.latency("chat.postMessage", 0.02)  # so the two runs overlap
    replicas = [scheduler(slack, name="replica-a"), scheduler(slack, name="replica-b")]
    barrier = threading.Barrier(2)
    sent: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(replica: Scheduler) -> None:
        try:
            barrier.wait(5)
            sent[replica.name] = replica.run_once(MONDAY + 30 * MINUTE)
        except BaseException as error:  # surfaced below; a thread cannot fail the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    expected = 2 * len(opened)  # no lead and update overdue, for each incident
    assert sum(sent.values()) == expected
    assert min(sent.values()) > 0, sent  # the two runs really overlapped
    calls = posts(slack)
    assert len(calls) == expected
    assert len({(c.params["channel"], c.params["text"]) for c in calls}) == expected
    stored = rows(database)
    assert len(stored) == expected and all(r.sent_at is not None for r in stored)
    # A third pass by either finds nothing left.
    assert sum(r.run_once(MONDAY + 31 * MINUTE) for r in replicas) == 0


# -- settings ----------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = ReminderSettings.from_env({})
    assert settings == ReminderSettings()
    assert (settings.no_lead_minutes, settings.no_severity_minutes) == (5, 5)
    assert dict(settings.update_minutes) == {1: 30, 2: 60}
    assert settings.update_interval(3) is None and settings.update_interval(None) is None
    assert (settings.open_hours, settings.timezone, settings.snooze_minutes) == (
        24,
        "Europe/London",
        30,
    )
    assert (settings.working_start, settings.working_end) == (dt.time(9), dt.time(17))
    assert settings.working_days == frozenset({0, 1, 2, 3, 4})
    assert settings.enabled and settings.interval_seconds == 30


def test_settings_from_env() -> None:
    settings = ReminderSettings.from_env(
        {
            "REMINDER_NO_LEAD_MINUTES": "10",
            "REMINDER_NO_SEVERITY_MINUTES": "0",
            "REMINDER_UPDATE_MINUTES": "sev1=15, 2=45, 3=120",
            "REMINDER_OPEN_HOURS": "48",
            "WORKING_HOURS": "08:30-18:00",
            "WORKING_TIMEZONE": "Asia/Tokyo",
            "WORKING_DAYS": "Sun-Thu",
            "REMINDER_SNOOZE_MINUTES": "15",
            "REMINDERS_ENABLED": "no",
            "SCHEDULER_INTERVAL_SECONDS": "5",
        }
    )
    assert (settings.no_lead_minutes, settings.no_severity_minutes) == (10, 0)
    assert dict(settings.update_minutes) == {1: 15, 2: 45, 3: 120}
    assert settings.open_hours == 48
    assert (settings.working_start, settings.working_end) == (dt.time(8, 30), dt.time(18))
    assert settings.timezone == "Asia/Tokyo"
    assert settings.working_days == frozenset({6, 0, 1, 2, 3})
    assert (settings.snooze_minutes, settings.enabled, settings.interval_seconds) == (
        15,
        False,
        5.0,
    )
    assert ReminderSettings.from_env({"REMINDER_UPDATE_MINUTES": "none"}).update_minutes == {}
    assert ReminderSettings.from_env({"WORKING_DAYS": "Mon,Wed"}).working_days == {0, 2}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REMINDER_NO_LEAD_MINUTES", "five"),
        ("REMINDER_NO_SEVERITY_MINUTES", "-1"),
        ("REMINDER_UPDATE_MINUTES", "1:30"),
        ("REMINDER_UPDATE_MINUTES", "5=30"),
        ("REMINDER_UPDATE_MINUTES", "1=30,1=60"),
        ("REMINDER_OPEN_HOURS", "1.5"),
        ("WORKING_HOURS", "9-5"),
        ("WORKING_HOURS", "17:00-09:00"),
        ("WORKING_HOURS", "25:00-26:00"),
        ("WORKING_TIMEZONE", "Europe/Londres"),
        ("WORKING_DAYS", "Monday-Fry"),
        ("REMINDER_SNOOZE_MINUTES", "0"),
        ("REMINDERS_ENABLED", "maybe"),
        ("SCHEDULER_INTERVAL_SECONDS", "0.1"),
    ],
)
def test_bad_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        ReminderSettings.from_env({name: value})
