"""An incident open in response when it was imported goes on in this bot: commands in its
channel work, pins reach its timeline, and its headline post in the incidents channel is the
announcement the bot keeps in step (same Slack app, same bot token)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from bot.domain import incidents
from bot.jobs.archiver import archive_due
from bot.jobs.headline_posts import adopt_headline_posts
from bot.jobs.response_import import run_import
from bot.slack.client import make_client
from fakeslack import FakeSlack
from models import TimelineEvent
from testkit.harness import ALICE, BOT_USER, INCIDENTS, RunningBot
from testkit.net import wait_until
from testkit.postgres import response_database
from tests.bot.flows import announcement_text, incident_of, shown

STALE = 72  # open in the fork since 2023, with a channel and a headline post


@pytest.fixture
def imported(database, response_template: str) -> Iterator[None]:
    with response_database(template=response_template) as source:
        report = run_import(source, announcements_channel=INCIDENTS)
    assert not report.failed
    yield


def test_an_imported_open_incident_goes_on_here(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    incident = incident_of(database, STALE)
    assert incident.status == "investigating" and incident.announcement_ts
    # Slack as the fork left it: the channel, and the headline the same app posted.
    channel = slack.add_channel(
        incident.channel_name, channel_id=incident.channel_id, members=[ALICE, BOT_USER]
    )
    slack.app_posted_earlier(INCIDENTS, "Old headline", ts=incident.announcement_ts)

    assert "→ SEV1 Critical" in shown(slack.slash_command("severity 1", channel=channel))
    assert incident_of(database, STALE).severity == 1
    wait_until(
        lambda: "SEV1" in announcement_text(slack, incident),
        10,
        "the fork's headline post edited in place",
    )
    updates = [c for c in slack.calls_to("chat.update") if c.ok]
    assert {c.params["ts"] for c in updates} == {incident.announcement_ts}

    ts = slack.post_message(channel, ALICE, "Consumer restarted, lag falling")
    assert slack.pin(channel, ts, ALICE).ok
    with database.connection_context():
        pinned = TimelineEvent.get_or_none(
            (TimelineEvent.incident == STALE) & (TimelineEvent.message_ts == ts)
        )
    assert pinned is not None and pinned.pinned


@pytest.mark.refusals("message_not_found")
def test_a_headline_post_that_cannot_be_edited_is_replaced_and_the_channel_told(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    """The fork's headline post is gone (deleted, or made by an app this one is not)."""
    incident = incident_of(database, STALE)
    old = incident.announcement_ts
    channel = slack.add_channel(
        incident.channel_name, channel_id=incident.channel_id, members=[ALICE, BOT_USER]
    )
    shown(slack.slash_command("severity 2", channel=channel))
    wait_until(
        lambda: incident_of(database, STALE).announcement_ts != old,
        10,
        "a fresh announcement recorded",
    )
    fresh = incident_of(database, STALE)
    assert "SEV2" in announcement_text(slack, fresh)
    told = [m["text"] for m in slack.messages(channel) if "could not be edited" in m["text"]]
    assert len(told) == 1 and "`message_not_found`" in told[0]
    # From now on the fresh one is the one kept in step.
    shown(slack.slash_command("severity 1", channel=channel))
    wait_until(
        lambda: "SEV1" in announcement_text(slack, incident_of(database, STALE)), 10, "edited"
    )
    assert incident_of(database, STALE).announcement_ts == fresh.announcement_ts


def test_a_bot_the_fork_knew_is_known_for_a_bot_here_before_it_is_made_lead(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    """The fork does not record who is a bot: its people come in as never asked of Slack,
    so the bot asks users.info before it lets one lead."""
    jenkins = "U03JNKNSB0T"  # the fork's Jenkins bot, imported as a person
    slack.add_user(jenkins, "jenkins", real_name="Jenkins", is_bot=True)
    incident = incident_of(database, STALE)
    channel = slack.add_channel(
        incident.channel_name, channel_id=incident.channel_id, members=[ALICE, BOT_USER]
    )
    answer = shown(slack.slash_command(f"lead <@{jenkins}|jenkins>", channel=channel, raw=True))
    assert "A bot cannot lead an incident" in answer
    assert incident_of(database, STALE).lead_id != jenkins
    asked = [c for c in slack.calls_to("users.info") if c.params.get("user") == jenkins]
    assert asked


def _fork_headline(number: int) -> list[dict[str, object]]:
    """The headline post response left for an open incident: its words and its buttons,
    each carrying the incident's number."""

    def button(text: str, action_id: str) -> dict[str, object]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": text, "emoji": True},
            "action_id": action_id,
            "value": str(number),
        }

    return [
        {"type": "section", "block_id": "report", "text": {"type": "mrkdwn", "text": "*Lag*"}},
        {
            "type": "actions",
            "block_id": "actions",
            "elements": [
                button(":pencil2: Edit", "edit-incident-button"),
                button(":white_check_mark: Close", "close-incident-button"),
            ],
        },
    ]


def test_the_forks_headline_post_is_taken_over_once_at_the_first_start(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    with database.connection_context():
        numbers = incidents.imported_open_announcements()
    assert STALE in numbers
    for number in numbers:  # Slack as the fork left it
        each = incident_of(database, number)
        if each.channel_id:
            slack.add_channel(each.channel_name, channel_id=each.channel_id, members=[BOT_USER])
        slack.app_posted_earlier(
            INCIDENTS, "Lag", ts=each.announcement_ts, blocks=_fork_headline(number)
        )
    incident = incident_of(database, STALE)
    client = make_client(bot.settings.bot_token, bot.settings.slack_api_url)
    now = dt.datetime.now(dt.UTC)
    assert adopt_headline_posts(client, bot.settings, now, set()) == len(numbers)
    shown_now = announcement_text(slack, incident)
    assert "close-incident-button" not in shown_now and "incident_resolve" in shown_now
    # Another replica, or the next start: nothing is edited again.
    before = len(slack.calls_to("chat.update"))
    assert adopt_headline_posts(client, bot.settings, now, set()) == 0
    assert len(slack.calls_to("chat.update")) == before


def test_the_forks_close_button_resolves_the_incident_here(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    incident = incident_of(database, STALE)
    slack.add_channel(
        incident.channel_name, channel_id=incident.channel_id, members=[ALICE, BOT_USER]
    )
    slack.app_posted_earlier(
        INCIDENTS, "Lag", ts=incident.announcement_ts, blocks=_fork_headline(STALE)
    )
    if incident.lead_id:  # the lead gets the review DM
        slack.add_user(incident.lead_id, "imported-lead")
    assert slack.click("close-incident-button", channel=INCIDENTS, user=ALICE).ok
    assert incident_of(database, STALE).status == "resolved"
    wait_until(
        lambda: "close-incident-button" not in announcement_text(slack, incident),
        10,
        "the headline post re-rendered with this bot's buttons",
    )
    assert "incident_resolve" not in announcement_text(slack, incident)  # resolved: none left


def test_the_forks_edit_button_opens_the_update_form(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    incident = incident_of(database, STALE)
    slack.app_posted_earlier(
        INCIDENTS, "Lag", ts=incident.announcement_ts, blocks=_fork_headline(STALE)
    )
    assert slack.click("edit-incident-button", channel=INCIDENTS, user=ALICE).ok
    [opened] = [c for c in slack.calls_to("views.open") if c.ok]
    assert str(STALE) in json.dumps(opened.params)


def test_channels_the_fork_left_open_are_not_archived_but_one_resolved_here_is(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    """ARCHIVE_AFTER_DAYS on the first start: not 223 channels archived at once."""
    client = make_client(bot.settings.bot_token, bot.settings.slack_api_url)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    assert archive_due(client, 7, soon) == 0
    assert slack.calls_to("conversations.archive") == []
    incident = incident_of(database, STALE)
    channel = slack.add_channel(
        incident.channel_name, channel_id=incident.channel_id, members=[ALICE, BOT_USER]
    )
    slack.app_posted_earlier(INCIDENTS, "Old headline", ts=incident.announcement_ts)
    if incident.lead_id:
        slack.add_user(incident.lead_id, "imported-lead")
    shown(slack.slash_command("resolve", channel=channel))
    assert incident_of(database, STALE).status == "resolved"
    slack.wait_for_call(
        "chat.postMessage",
        where=lambda c: c.params.get("channel") == channel and "is *resolved*" in c.params["text"],
        timeout=10,
    )
    assert archive_due(client, 7, soon) == 0  # the channel hears a day before
    assert archive_due(client, 7, soon + dt.timedelta(days=1)) == 1
    [archived] = slack.calls_to("conversations.archive")
    assert archived.params["channel"] == incident.channel_id


@pytest.mark.refusals("edit_window_closed")
def test_a_headline_post_past_the_workspaces_edit_window_is_replaced_too(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    incident = incident_of(database, STALE)
    channel = slack.add_channel(
        incident.channel_name, channel_id=incident.channel_id, members=[ALICE, BOT_USER]
    )
    slack.app_posted_earlier(INCIDENTS, "Old headline", ts=incident.announcement_ts)
    slack.faults.error("chat.update", "edit_window_closed")
    shown(slack.slash_command("severity 2", channel=channel))
    wait_until(
        lambda: incident_of(database, STALE).announcement_ts != incident.announcement_ts,
        10,
        "a fresh announcement recorded",
    )
    told = [m["text"] for m in slack.messages(channel) if "could not be edited" in m["text"]]
    assert len(told) == 1 and "`edit_window_closed`" in told[0]


def test_the_forks_page_on_call_button_says_where_to_page(
    slack: FakeSlack, bot: RunningBot, database, imported: None
) -> None:
    incident = incident_of(database, STALE)
    blocks = _fork_headline(STALE)
    blocks[1]["elements"].append(  # type: ignore[union-attr]
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Page on-call"},
            "action_id": "page-on-call-button",
            "value": str(STALE),
        }
    )
    slack.app_posted_earlier(INCIDENTS, "Lag", ts=incident.announcement_ts, blocks=blocks)
    assert slack.click("page-on-call-button", channel=INCIDENTS, user=ALICE).ok
    told = slack.wait_for_call(
        "response_url", where=lambda c: "PagerDuty" in json.dumps(c.params), timeout=10
    )
    assert told.params.get("response_type", "ephemeral") == "ephemeral"
