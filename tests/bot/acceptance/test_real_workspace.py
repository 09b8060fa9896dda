"""The bot as a real workspace uses it: chatter is not a command, people are who Slack says
they are, nothing the bot posts pings by accident, long text fits Slack's limits, answers
reach the person wherever they clicked, and Slack's refusals strand nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.domain import actions, incidents, lifecycle
from bot.domain.incidents import Declaration
from bot.domain.lifecycle import Actor
from fakeslack import FakeSlack
from models import FollowUpAction, TimelineEvent
from testkit.harness import (
    ALICE,
    BOB,
    BOT_USER,
    CAROL,
    GENERAL,
    INCIDENTS,
    RunningBot,
    eventually,
)
from tests.bot.flows import (
    ack_body,
    declare,
    incident_of,
    mention_event,
    open_declare_modal,
    settle,
    shown,
    submit_declare,
    timeline_of,
    wait_for_confirmation,
)

# -- 1. commands by mention --------------------------------------------------------------


def test_chatter_that_mentions_the_bot_changes_nothing(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Chatty channel", lead=BOB)
    incident = incident_of(database)
    channel = incident.channel_id
    calls_before = len(slack.calls)
    for text in (
        f"<@{BOB}> can you close the ticket for this? cc <@{BOT_USER}>",
        f"thanks <@{BOT_USER}>, status resolved on my side",
        f"<@{CAROL}> lead <@{BOT_USER}>",
    ):
        assert mention_event(slack, channel, ALICE, text).ok
    settle()
    current = incident_of(database)
    assert (current.status, current.lead_id) == ("investigating", BOB)
    assert [c for c in slack.calls[calls_before:] if c.method.startswith("chat.")] == []
    # Beginning with the bot's own mention, it is a command.
    assert mention_event(slack, channel, ALICE, f"<@{BOT_USER}> severity 1").ok
    slack.wait_for_call("chat.postEphemeral", where=lambda c: "SEV1" in str(c.params))
    assert incident_of(database).severity == 1


def test_no_command_makes_a_bot_the_lead_or_an_owner(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    other_bot = "U0OTHERBOT1"
    slack.add_user(other_bot, "deploy-bot", is_bot=True)
    declare(slack, "Bots stay out", lead=BOB)
    incident = incident_of(database)
    channel = incident.channel_id
    for who in (f"<@{BOT_USER}|incident-bot>", f"<@{other_bot}|deploy-bot>"):
        answer = shown(slack.slash_command(f"lead {who}", channel=channel, raw=True))
        assert "A bot cannot lead" in answer
        answer = shown(slack.slash_command(f"action Fix it {who}", channel=channel, raw=True))
        assert "A bot cannot lead an incident or own an action" in answer
    assert incident_of(database).lead_id == BOB
    with database.connection_context():
        assert FollowUpAction.select().count() == 0


def test_a_message_from_another_bot_is_never_a_command(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Bot chatter")
    incident = incident_of(database)
    text = f"<@{BOT_USER}> close"
    event = {
        "type": "app_mention",
        "text": text,
        "channel": incident.channel_id,
        "ts": slack.post_message(incident.channel_id, ALICE, text),
        "bot_id": "B0OTHER1",
        "user": "U0OTHERBOT1",
        "team": slack.TEAM_ID,
    }
    assert slack.send_event(event).ok
    settle()
    assert incident_of(database).status == "investigating"


# -- 2. mentions as Slack sends them -----------------------------------------------------


def test_lead_named_with_or_without_escaping_is_that_person(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Who leads", lead=BOB)  # Bob and Alice are on record from the declaration
    incident = incident_of(database)
    channel = incident.channel_id
    # Escaping on: <@U…|label> and <@U…> both name the person.
    shown(slack.slash_command(f"lead <@{ALICE}|alice>", channel=channel, raw=True))
    assert incident_of(database).lead_id == ALICE
    shown(slack.slash_command(f"lead <@{BOB}>", channel=channel, raw=True))
    assert incident_of(database).lead_id == BOB
    # Escaping off (an app made from an older manifest): the typed @name, looked up.
    answer = shown(slack.slash_command("lead @alice", channel=channel, raw=True))
    assert incident_of(database).lead_id == ALICE, answer
    # Someone the bot cannot tell: asked to pick the person, never replaced by the typist.
    answer = shown(slack.slash_command("lead @nobody-here", channel=channel, user=CAROL, raw=True))
    assert "cannot tell who @nobody-here is" in answer and "pick the person" in answer
    assert incident_of(database).lead_id == ALICE


# -- 3. declaring never strands an incident -----------------------------------------------


def _told(slack: FakeSlack, words: str) -> list[Any]:
    """Everything the reporter was shown containing `words`, however it reached them."""
    found = []
    for call in slack.calls:
        if call.method in ("chat.postEphemeral", "chat.postMessage", "response_url") and (
            words in json.dumps(call.params)
        ):
            found.append(call)
    return found


def test_a_channel_slack_refuses_is_reported_with_a_retry_that_opens_it_once(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.faults.error("conversations.create", "restricted_action", times=3)
    view = open_declare_modal(slack, "Payments down")
    assert submit_declare(slack, view) is None
    slack.wait_for_call(
        "response_url", where=lambda c: "not opened in Slack" in str(c.params), timeout=10
    )
    [told] = _told(slack, "not opened in Slack")
    assert "restricted_action" in json.dumps(told.params) and told.ok
    incident = incident_of(database)
    assert incident.channel_id is None and "restricted_action" in (incident.open_problem or "")
    assert "not opened in Slack" in shown(slack.slash_command("list"))
    # Retry while Slack still refuses: told again, still one incident, no channel.
    assert slack.click("incident_open_retry", user=ALICE).ok
    slack.wait_for_call(
        "response_url", where=lambda c: "not opened in Slack" in str(c.params), count=2, timeout=10
    )
    # Slack lets it now; two quick clicks (the reporter's: the message is theirs alone to
    # see) open it exactly once.
    slack.faults.clear()
    first = slack.click("incident_open_retry", user=ALICE)
    second = slack.click("incident_open_retry", user=ALICE)
    assert first.ok and second.ok
    slack.wait_for_call(
        "chat.postMessage", where=lambda c: c.params.get("channel") == INCIDENTS, timeout=10
    )
    settle()
    incident = incident_of(database)
    assert incident.channel_id is not None and incident.open_problem is None
    created = [c for c in slack.calls_to("conversations.create") if c.ok]
    assert len(created) == 1
    assert len([m for m in slack.messages(INCIDENTS) if m.get("bot_id")]) == 1
    assert "not opened in Slack" not in shown(slack.slash_command("list"))


def test_subcommand_words_outside_an_incident_channel_get_a_hint(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    answer = shown(slack.slash_command("close the old data centre"))
    assert "works in an incident's own channel" in answer
    assert "/incident new close" in answer
    settle(0.2)
    assert slack.views == {}
    # A title that begins with such a word is one click away.
    assert slack.click("incident_declare_anyway", user=ALICE).ok
    view = slack.wait_for_view(callback_id="incident_declare")
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"] == "close the old data centre"


# -- 4. invitations ----------------------------------------------------------------------


def test_a_lead_named_later_is_invited(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Nobody leads yet", lead=None)
    incident = incident_of(database)
    assert CAROL not in slack.channels[incident.channel_id]["members"]
    shown(slack.slash_command(f"lead <@{CAROL}|carol>", channel=incident.channel_id, raw=True))
    slack.wait_for_call(
        "conversations.invite", where=lambda c: CAROL in c.params["users"], timeout=10
    )
    assert CAROL in slack.channels[incident.channel_id]["members"]


# -- 5. nothing the bot posts pings or links by accident -----------------------------------

PINGS = ("<!here>", "<!channel>", "<!everyone>", f"<@{CAROL}>", "<https://evil.example|x>")


def test_typed_pings_are_shown_not_sent(slack: FakeSlack, bot: RunningBot, database) -> None:
    title = "<!here> db down <!channel>"
    summary = f"<!everyone> ask <@{CAROL}> & see <https://evil.example|x>"
    declare(slack, title, summary=summary, impact="<!here>")
    incident = incident_of(database)
    assert incident.title == title
    posted = [
        m
        for m in slack.messages(INCIDENTS) + slack.messages(incident.channel_id)
        if m.get("bot_id")
    ]
    assert posted
    for message in posted:
        # What Slack would act on: the notification text and mrkdwn (plain_text is shown as
        # it is, never parsed).
        acted_on = slack.mentions_in(message)
        assert not acted_on & set(PINGS), (acted_on, message)
    announcement = next(m for m in posted if m["ts"] == incident.announcement_ts)
    assert "&lt;!here&gt; db down" in announcement["text"]
    assert "here" not in (incident.channel_name or "")
    assert "channel" not in (incident.channel_name or "").removeprefix("inc-")


# -- 6. everything fits Slack's limits ------------------------------------------------------


def test_declaring_from_a_long_message_in_any_language(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    text = "Платежи не проходят у всех клиентов в Европе. " * 120  # 5,500 characters
    ts = slack.post_message(GENERAL, BOB, text)
    assert slack.message_shortcut("declare_from_message", GENERAL, ts, user=ALICE).ok
    view = slack.wait_for_view(callback_id="incident_declare")
    assert len(view["private_metadata"].encode()) <= 3000
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"].startswith("Платежи не проходят")
    assert submit_declare(slack, view, title="Платежи") is None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with database.connection_context():
            entry = TimelineEvent.get_or_none(TimelineEvent.message_ts == ts)
        if entry is not None:
            break
        time.sleep(0.05)
    assert entry is not None and entry.text == text  # the whole message, read back


def test_command_text_longer_than_a_title_goes_on_into_the_summary(
    slack: FakeSlack, bot: RunningBot
) -> None:
    words = " ".join(f"word{n}" for n in range(60))  # about 350 characters
    view = open_declare_modal(slack, words)
    title = next(b for b in view["blocks"] if b["block_id"] == "title")["element"]
    summary = next(b for b in view["blocks"] if b["block_id"] == "summary")["element"]
    assert len(title["initial_value"]) <= 150 and not title["initial_value"].endswith("wor")
    assert f"{title['initial_value']} {summary['initial_value']}" == words


def test_the_update_form_never_shortens_a_stored_summary(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Long story")
    incident = incident_of(database)
    long_summary = "The replica fell behind. " * 160  # 4,000 characters
    lifecycle.change(incident.id, Actor(ALICE, "command"), lifecycle.Fields(summary=long_summary))
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    view = slack.wait_for_view(callback_id="incident_update")
    assert (
        ack_body(slack.submit_view(view["id"], {"title": "Long story", "status": "identified"}))
        is None
    )
    current = incident_of(database)
    assert current.status == "identified" and current.summary == long_summary.strip()


def test_long_lists_are_split_between_lines_never_inside_one(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    for n in range(70):
        found = incidents.declare(Declaration(title=f"Service {n} " + "x" * 130, reporter_id=ALICE))
        assert found is not None
        incidents.attach_channel(found.id, f"C{n:08d}", f"inc-{n:04d}")
    answer = slack.slash_command("list").response or {}
    sections = [b["text"]["text"] for b in answer["blocks"]]
    assert all(len(text) <= 3000 for text in sections) and len(answer["blocks"]) <= 50
    lines = [line for text in sections for line in text.split("\n") if line.startswith("•")]
    assert len(lines) == 70
    assert all(line.endswith("lead _not set_") for line in lines)


def test_every_follow_up_action_can_be_reached_page_by_page(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Many actions")
    incident = incident_of(database)
    for n in range(95):
        actions.add(incident.id, f"Action number {n} " + "y" * 400, None, Actor(ALICE, "command"))
    seen: set[str] = set()
    answer = slack.slash_command("actions", channel=incident.channel_id).response or {}
    blocks = answer["blocks"]
    for _page in range(5):
        assert len(blocks) <= 50
        for block in blocks:
            text = (block.get("text") or {}).get("text") or ""
            assert len(text) <= 3000
            if text.startswith("• `") and "Action number" in text:
                seen.add(text.split()[4])
        turns = [
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "followup_page_next"
        ]
        if not turns:
            break
        before = len(slack.calls_to("response_url"))
        assert slack.click("followup_page_next", channel=incident.channel_id).ok
        call = slack.wait_for_call("response_url", count=before + 1, timeout=10)
        blocks = call.params["blocks"]
    assert seen == {str(n) for n in range(95)}


# -- 8. answers reach the person ----------------------------------------------------------


def test_join_in_the_incidents_channel_answers_through_the_click(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Join me", lead=BOB)
    incident = incident_of(database)
    # The bot announced in #incidents without being in it; Bob is in the channel already.
    assert BOT_USER not in slack.channels[INCIDENTS]["members"]
    assert slack.click(
        "incident_join", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    call = slack.wait_for_call(
        "response_url", where=lambda c: "already in" in str(c.params), timeout=10
    )
    assert call.ok


def test_a_failed_answer_to_a_mention_still_brings_slack_in_step(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Answer lost")
    incident = incident_of(database)
    slack.faults.error("chat.postEphemeral", "fatal_error")
    assert mention_event(slack, incident.channel_id, ALICE, f"<@{BOT_USER}> severity 1").ok
    slack.wait_for_call(
        "chat.update",
        where=lambda c: (
            c.params.get("ts") == incident.announcement_ts and "SEV1" in json.dumps(c.params)
        ),
        timeout=10,
    )


# -- 9. a late pin never brings back an unpinned message ------------------------------------


def test_a_late_pin_of_a_message_since_unpinned_is_not_stored(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Pins in flight")
    incident = incident_of(database)
    ts = slack.post_message(incident.channel_id, BOB, "the smoking gun")
    pinned = slack.pin(incident.channel_id, ts)
    assert pinned.ok and slack.unpin(incident.channel_id, ts).ok
    # Slack retries the pin_added it thinks was lost, after the unpin.
    assert slack.deliver("events_api", pinned.payload, retry_num=1).ok
    with database.connection_context():
        [kept] = TimelineEvent.select().where(TimelineEvent.message_ts == ts)
    # It stays off the timeline: in the record as removed, not brought back.
    assert kept.removed_at is not None and not kept.pinned
    assert [e for e in timeline_of(database, incident.id) if e.message_ts == ts] == []


# -- 10. a renamed channel is still the incident's ------------------------------------------


def test_a_channel_renamed_in_slack_keeps_its_incident_and_its_name_follows(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Renamed")
    incident = incident_of(database)
    event = {
        "type": "channel_rename",
        "channel": {
            "id": incident.channel_id,
            "name": "payments-war-room",
            "created": int(time.time()),
        },
    }
    assert slack.send_event(event).ok
    assert incident_of(database).channel_name == "payments-war-room"
    # The rename event names nobody: the name follows, and who did it is left to Slack's
    # message about it.
    assert timeline_of(database, incident.id, "renamed") == []
    delivered = slack.rename_channel(incident.channel_id, CAROL, "payments-bridge")
    assert delivered.ok
    assert incident_of(database).channel_name == "payments-bridge"
    eventually(lambda: bool(timeline_of(database, incident.id, "renamed")), 5, "the rename")
    [entry] = timeline_of(database, incident.id, "renamed")
    # Slack's message says the name it had (the event above was made up, Slack's was not).
    assert entry.text == f"Channel renamed: #{incident.channel_name} → #payments-bridge"
    assert (entry.author_id, entry.source) == (CAROL, "slack")
    [message] = [
        m for m in slack.messages(incident.channel_id) if m.get("subtype") == "channel_name"
    ]
    assert slack.send_event(
        {**message, "channel": incident.channel_id, "channel_type": "channel"}
    ).ok  # Slack says it again: nothing new
    assert len(timeline_of(database, incident.id, "renamed")) == 1
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    assert slack.wait_for_view(callback_id="incident_update")


# -- 12. threads ----------------------------------------------------------------------------


def test_a_mention_in_a_thread_is_answered_in_that_thread(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Threads")
    incident = incident_of(database)
    parent = slack.post_message(incident.channel_id, BOB, "what is the status?")
    assert mention_event(
        slack, incident.channel_id, ALICE, f"<@{BOT_USER}> duration", thread_ts=parent
    ).ok
    call = slack.wait_for_call("chat.postEphemeral", where=lambda c: "Open for" in str(c.params))
    assert call.params.get("thread_ts") == parent


# -- 13. who may change an incident ---------------------------------------------------------


def test_people_from_another_organisation_can_read_but_not_change(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    outsider = "U0PARTNER01"
    slack.add_user(outsider, "partner", team_id="T0PARTNER")
    declare(slack, "Shared with a partner")
    incident = incident_of(database)
    slack.join(incident.channel_id, outsider)
    # Slack offers people from other organisations no slash commands here; they can mention.
    assert slack.say(incident.channel_id, outsider, "@incident-bot close").ok
    slack.wait_for_call(
        "chat.postEphemeral",
        where=lambda c: c.params.get("user") == outsider and "other organisations" in str(c.params),
    )
    assert slack.say(incident.channel_id, outsider, "@incident-bot duration").ok
    slack.wait_for_call(
        "chat.postEphemeral",
        where=lambda c: c.params.get("user") == outsider and "Open for" in str(c.params),
    )
    assert slack.click(
        "incident_resolve", user=outsider, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    slack.wait_for_call(
        "response_url", where=lambda c: "other organisations" in str(c.params), timeout=10
    )
    assert incident_of(database).status == "investigating"


# -- 3 and 11. lost answers double nothing --------------------------------------------------


# The bot reads #incidents back to find an announcement whose answer was lost, and joins it
# to do so: Slack answers not_in_channel first.
@pytest.mark.refusals("not_in_channel")
def test_answers_lost_on_the_way_back_double_no_channel_and_no_post(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    slack.faults.lose_answer("conversations.create")
    slack.faults.lose_answer("chat.postMessage", times=2)  # the opening message, the announcement
    declare(slack, "Lost in transit")
    incident = incident_of(database)
    assert incident.channel_id is not None
    ours = [c for c in slack.channels.values() if c["name"].startswith("inc-0001")]
    assert [c["id"] for c in ours] == [incident.channel_id]
    opening = [
        m
        for m in slack.messages(incident.channel_id)
        if m.get("bot_id") and m.get("blocks") and m["blocks"][0]["type"] == "header"
    ]
    announcements = [m for m in slack.messages(INCIDENTS) if m.get("bot_id")]
    assert len(opening) == 1 and len(announcements) == 1
    assert (opening[0]["ts"], announcements[0]["ts"]) == (
        incident.opening_message_ts,
        incident.announcement_ts,
    )


# -- 4. one refused invitee keeps nobody out ------------------------------------------------


def test_a_guest_lead_is_refused_alone_and_the_reporter_hears_why(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    guest = "U0GUEST0001"
    slack.add_user(guest, "gail", is_restricted=True)
    declare(slack, "Guest lead", lead=guest, private=["private"])
    incident = incident_of(database)
    members = slack.channels[incident.channel_id]["members"]
    assert ALICE in members and guest not in members
    told = wait_for_confirmation(slack)
    assert f"<@{guest}>" in told.params["text"] and "guest" in told.params["text"]


def test_a_shortcut_whose_form_slack_refuses_is_answered_where_the_bot_is_not(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """The message shortcut in a channel the bot is not in: when Slack refuses the form,
    the answer goes through the shortcut's response_url, which works there."""
    elsewhere = slack.add_channel("random", members=[ALICE, BOB])
    ts = slack.post_message(elsewhere, BOB, "checkout is failing for everyone")
    slack.faults.error("views.open", "internal_error")
    assert slack.message_shortcut("declare_from_message", elsewhere, ts, user=ALICE).ok
    told = slack.wait_for_call(
        "response_url", where=lambda c: "declare form" in str(c.params), timeout=10
    )
    assert told.ok and slack.ephemerals[-1]["channel"] == elsewhere
    assert slack.calls_to("chat.postEphemeral") == []


def test_running_out_of_channel_names_is_reported_with_a_retry(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    for attempt in range(1, 21):
        suffix = f"-{attempt}" if attempt > 1 else ""
        slack.add_channel(f"inc-0001-crowded{suffix}")  # someone else's, every one
    view = open_declare_modal(slack, "Crowded")
    assert submit_declare(slack, view, title="Crowded") is None
    told = slack.wait_for_call(
        "response_url", where=lambda c: "not opened in Slack" in str(c.params), timeout=10
    )
    assert "no_free_name" in told.params["text"] and "incident_open_retry" in json.dumps(
        told.params["blocks"]
    )
    assert incident_of(database).channel_id is None


@pytest.mark.parametrize("private", [True, False])
def test_declaring_from_a_long_message_where_the_bot_is_not_keeps_it_whole(
    slack: FakeSlack, bot: RunningBot, database, private: bool
) -> None:
    hideout = slack.add_channel("hideout", is_private=private, members=[ALICE, BOB])
    text = "La passerelle de paiement refuse les cartes, détails ci-dessous. " * 85
    files = [{"name": "trace.txt", "title": "gateway trace"}]
    ts = slack.post_message(hideout, BOB, text, files=files)
    assert slack.message_shortcut("declare_from_message", hideout, ts, user=ALICE).ok
    view = slack.wait_for_view(callback_id="incident_declare")
    assert submit_declare(slack, view, title="Cartes refusées") is None
    wait_for_confirmation(slack)
    deadline = time.monotonic() + 10
    while True:
        with database.connection_context():
            entry = TimelineEvent.get_or_none(TimelineEvent.message_ts == ts)
        if entry is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert entry is not None and entry.text == text and len(text) > 5000
    assert entry.permalink.endswith(f"/archives/{hideout}/p{ts.replace('.', '')}")
    assert [f["name"] for f in entry.files] == ["gateway trace"]
