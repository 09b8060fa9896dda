"""Who may change an incident or lead it: people from other organisations, bots,
deactivated and unknown accounts, guests."""

from __future__ import annotations

import json

from bot.domain import actions
from bot.domain.lifecycle import Actor
from fakeslack import FakeSlack
from models import Incident
from testkit.harness import ALICE, BOB, CAROL, INCIDENTS, RunningBot
from testkit.net import wait_until
from tests.bot.flows import (
    declare,
    incident_of,
    settle,
    shown,
)

DAVE, ERIN = "U0DAVE0001", "U0ERIN0001"


OUTSIDER = "U0PARTNER01"


def shared_incident(slack: FakeSlack, database) -> Incident:
    slack.add_user(OUTSIDER, "partner", team_id="T0PARTNER")
    declare(slack, "Shared with a partner", lead=BOB)
    incident = incident_of(database)
    slack.join(incident.channel_id, OUTSIDER)
    slack.join(INCIDENTS, OUTSIDER)
    return incident


def test_outsider_cannot_change_by_mention_while_users_info_is_rate_limited(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident = shared_incident(slack, database)
    slack.faults.rate_limit_for("users.info", 30, retry_after=30)
    assert slack.say(incident.channel_id, OUTSIDER, "@incident-bot close").ok
    settle(1.5)
    assert incident_of(database).status == "investigating"


def test_outsider_update_button_in_a_shared_incidents_channel_is_refused(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident = shared_incident(slack, database)
    assert slack.click(
        "incident_update", user=OUTSIDER, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    settle(1)
    assert not [v for v in slack.views.values() if v.get("callback_id") == "incident_update"]


def test_outsider_join_button_does_not_pull_them_into_the_incident_channel(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """A partner in a shared #incidents clicks *Join channel* of an internal incident."""
    slack.add_user(OUTSIDER, "partner", team_id="T0PARTNER")
    declare(slack, "Internal only", lead=BOB)
    incident = incident_of(database)
    slack.join(INCIDENTS, OUTSIDER)
    assert slack.click(
        "incident_join", user=OUTSIDER, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    settle(1.5)
    invites = [
        c.summary() for c in slack.calls_to("conversations.invite") if OUTSIDER in str(c.params)
    ]
    assert OUTSIDER not in slack.channels[incident.channel_id]["members"], invites
    assert not invites, invites


def test_outsider_done_on_a_follow_up_action_is_refused(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    incident = shared_incident(slack, database)
    actions.add(incident.id, "Write the review", None, Actor(ALICE, "command"))
    assert slack.say(incident.channel_id, OUTSIDER, "@incident-bot actions").ok
    slack.wait_for_call(
        "chat.postEphemeral",
        where=lambda c: c.params.get("user") == OUTSIDER and "follow-up" in str(c.params),
        timeout=10,
    )
    eph = [e for e in slack.ephemerals if e["user"] == OUTSIDER and "follow-up" in e["text"]]
    assert slack.click(
        "followup_done", user=OUTSIDER, channel=incident.channel_id, message_ts=eph[-1]["ts"]
    ).ok
    settle(1.5)
    assert not actions.for_incident(incident.id)[0].done


def test_deactivated_and_bot_leads_are_refused_by_command(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.add_user(DAVE, "dave", deleted=True)
    declare(slack, "Leads that cannot", lead=BOB)
    incident = incident_of(database)
    answer = shown(
        slack.slash_command(f"lead <@{DAVE}|dave>", channel=incident.channel_id, raw=True)
    )
    assert "deactivated" in answer and incident_of(database).lead_id == BOB


def test_unknown_user_id_as_lead(slack: FakeSlack, bot: RunningBot, database) -> None:
    """`lead <@U0NOSUCH1>` (a user id Slack does not know: e.g. from another workspace's
    message pasted in): the bot should not make a nobody the lead."""
    declare(slack, "Nobody leads", lead=BOB)
    incident = incident_of(database)
    answer = shown(slack.slash_command("lead <@U0NOSUCH1>", channel=incident.channel_id, raw=True))
    settle(1)
    assert incident_of(database).lead_id == BOB, answer


def test_an_outsider_is_not_made_the_lead(slack: FakeSlack, bot: RunningBot, database) -> None:
    """A partner (another organisation) may not change the incident; naming them lead hands
    the incident to someone who cannot run it."""
    incident = shared_incident(slack, database)
    answer = shown(
        slack.slash_command(f"lead <@{OUTSIDER}|partner>", channel=incident.channel_id, raw=True)
    )
    assert incident_of(database).lead_id == BOB, answer


def test_a_guest_named_lead_by_command_is_told_why_not_invited(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    guest = "U0GUEST0002"
    slack.add_user(guest, "gus", is_restricted=True)
    declare(slack, "Guest lead later", lead=None)
    incident = incident_of(database)
    shown(slack.slash_command(f"lead <@{guest}|gus>", channel=incident.channel_id, raw=True))
    call = slack.wait_for_call(
        "response_url", where=lambda c: "could not be invited" in json.dumps(c.params), timeout=10
    )
    assert "guest" in json.dumps(call.params)


def test_join_from_the_announcement_tells_the_person(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Join me", lead=BOB)
    incident = incident_of(database)
    before = len(slack.calls_to("response_url"))
    assert slack.click(
        "incident_join", user=CAROL, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    wait_until(lambda: CAROL in slack.channels[incident.channel_id]["members"], 10, "carol in")
    settle(1)
    told = slack.calls_to("response_url")[before:] + [
        c for c in slack.calls_to("chat.postEphemeral") if c.params.get("user") == CAROL
    ]
    assert told, "Carol clicked Join and heard nothing"
