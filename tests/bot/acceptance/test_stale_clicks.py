"""Forms and buttons used after the incident moved on: a form left open while others
changed it, a reminder clicked twice, an action far down a long list."""

from __future__ import annotations

import json

from bot.domain import actions
from bot.domain.lifecycle import Actor
from fakeslack import FakeSlack
from models import Incident
from testkit.harness import ALICE, BOB, BOT_USER, CAROL, INCIDENTS, RunningBot
from testkit.net import wait_until
from tests.bot.flows import (
    ack_body,
    declare,
    incident_of,
    settle,
    shown,
)

DAVE, ERIN = "U0DAVE0001", "U0ERIN0001"


def test_update_form_submitted_late_does_not_undo_a_change_made_meanwhile(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Alice opens the Update form to post an update; meanwhile Bob types
    `/incident status identified` and `/incident summary ...`. Alice then submits the
    form having only written her update. Bob's changes must survive."""
    declare(slack, "Stale form", lead=BOB)
    incident = incident_of(database)
    channel = incident.channel_id
    assert ack_body(slack.slash_command("", channel=channel)) is None
    view = slack.wait_for_view(callback_id="incident_update")
    # Bob, meanwhile.
    assert "→ Identified" in shown(
        slack.slash_command("status identified", channel=channel, user=BOB)
    )
    shown(slack.slash_command("summary root cause: bad deploy 1.2.3", channel=channel, user=BOB))
    shown(slack.slash_command("severity 1", channel=channel, user=BOB))
    assert incident_of(database).status == "identified"
    # Alice writes only her update and presses Update (untouched inputs go with their
    # initial values, as Slack sends them).
    assert ack_body(slack.submit_view(view["id"], {"message": "Rolling back now"})) is None
    current = incident_of(database)
    assert (current.status, current.severity, current.summary) == (
        "identified",
        1,
        "root cause: bad deploy 1.2.3",
    ), (current.status, current.severity, current.summary)


def test_update_form_submitted_after_a_resolve_does_not_reopen(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """Alice has the Update form open; Bob presses Resolve on the announcement; Alice then
    submits her update. The incident must stay resolved."""
    declare(slack, "Resolved meanwhile", lead=BOB)
    incident = incident_of(database)
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    view = slack.wait_for_view(callback_id="incident_update")
    assert slack.click(
        "incident_resolve", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    wait_until(lambda: incident_of(database).status == "resolved", 10, "resolved")
    assert ack_body(slack.submit_view(view["id"], {"message": "Customers confirm fixed"})) is None
    assert incident_of(database).status == "resolved", incident_of(database).status


def test_second_click_on_a_settled_reminder_is_answered(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    import datetime as dt

    from bot.domain import incidents as incidents_domain
    from bot.domain.incidents import Declaration
    from bot.domain.reminder_settings import ReminderSettings
    from bot.jobs.scheduler import Scheduler
    from bot.slack.client import make_client
    from models.fields import utcnow
    from testkit.harness import BOT_TOKEN

    found = incidents_domain.declare(Declaration(title="Reminded", reporter_id=ALICE, severity=3))
    assert found is not None
    with database.connection_context():
        Incident.update(reported_at=utcnow() - dt.timedelta(minutes=10)).where(
            Incident.id == found.id
        ).execute()
    channel = slack.add_channel("inc-0001", members=[ALICE, BOB, CAROL, BOT_USER])
    incidents_domain.attach_channel(found.id, channel, "inc-0001")
    sched = Scheduler(make_client(BOT_TOKEN, slack.api_url), ReminderSettings.from_env({}))
    assert sched.run_once() == 1
    [post] = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == channel]
    ts = post.response["ts"]
    assert slack.click("reminder_snooze", user=BOB, channel=channel, message_ts=ts).ok
    slack.wait_for_call("chat.update", timeout=10)
    # Carol's Slack still showed the buttons (it had the message before the edit): her
    # click is the same action on the same message, from her.
    clicked = slack.deliveries[-1].payload if slack.deliveries else None
    stale_click = json.loads(json.dumps(clicked))
    stale_click["user"] = {**stale_click["user"], "id": CAROL, "username": "carol", "name": "carol"}
    stale_click["actions"][0]["action_id"] = "reminder_dismiss"
    before = len(slack.calls)
    assert slack.deliver("interactive", stale_click).ok
    settle(1.5)
    answered = [
        c for c in slack.calls[before:] if c.method in ("response_url", "chat.postEphemeral")
    ]
    assert answered, "Carol clicked Dismiss and nothing happened"


def test_done_on_the_third_page_of_100_actions(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Hundred actions", lead=BOB)
    incident = incident_of(database)
    for n in range(100):
        actions.add(incident.id, f"Action {n} <!here> & co", None, Actor(ALICE, "command"))
    answer = slack.slash_command("actions", channel=incident.channel_id).response or {}
    for _ in range(2):
        before = len(slack.calls_to("response_url"))
        assert slack.click("followup_page_next", channel=incident.channel_id).ok
        call = slack.wait_for_call("response_url", count=before + 1, timeout=10)
        answer = call.params
    assert "81–100 of 100" in json.dumps(answer, ensure_ascii=False)
    before = len(slack.calls_to("response_url"))
    assert slack.click("followup_done", channel=incident.channel_id).ok
    call = slack.wait_for_call("response_url", count=before + 1, timeout=10)
    text = json.dumps(call.params, ensure_ascii=False)
    assert "81–100 of 100" in text and "done by" in text
    assert "<!here>" not in FakeSlack.mentions_in({"blocks": call.params["blocks"]})
