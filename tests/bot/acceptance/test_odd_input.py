"""Input as people really type it and Slack really sends it: text at Slack's limits, emoji
and other scripts, pings, markup, odd commands and odd places to declare from."""

from __future__ import annotations

import pytest

from bot.domain import lifecycle
from bot.domain.lifecycle import Actor
from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from testkit.harness import ALICE, BOB, BOT_USER, CAROL, INCIDENTS, RunningBot
from testkit.net import wait_until
from tests.bot.flows import (
    ack_body,
    announcement_text,
    declare,
    incident_of,
    mention_event,
    open_declare_modal,
    settle,
    shown,
    submit_declare,
    wait_for_confirmation,
)

DAVE, ERIN = "U0DAVE0001", "U0ERIN0001"


LONG = "Платежи не проходят у всех клиентов в Европе. " * 120  # 5,500 characters


def test_an_update_from_the_form_is_posted_whole(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """The Update form's message takes up to 3,000 characters (no max_length: Slack's
    most). The channel and the announcement thread should show all of it."""
    declare(slack, "Long update", lead=BOB)
    incident = incident_of(database)
    assert ack_body(slack.slash_command("", channel=incident.channel_id)) is None
    view = slack.wait_for_view(callback_id="incident_update")
    message = "Step 000 done. " + " ".join(f"step{n:04d}" for n in range(330))  # ~2,990
    assert len(message) <= 3000
    assert ack_body(slack.submit_view(view["id"], {"message": message})) is None
    call = slack.wait_for_call(
        "chat.postMessage", where=lambda c: "Update" in str(c.params.get("text")), timeout=10
    )
    posted = "".join(b["text"]["text"] for b in call.params["blocks"] if b.get("text"))
    assert message.split()[-1] in posted, posted[-200:]


def test_welcome_with_a_long_emoji_update_fits_slack(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """An update of 1,490 emoji (2,980 characters as Slack counts them, so the form takes
    it). A newcomer's welcome quotes the latest update: it must still be shown."""
    declare(slack, "Emoji update", lead=BOB)
    incident = incident_of(database)
    lifecycle.add_entry(incident.id, "update", "🔥" * 1490, Actor(ALICE, "modal", "alice"))
    slack.join(incident.channel_id, CAROL)
    wait_until(
        lambda: any(
            c.params.get("user") == CAROL for c in slack.calls_to("chat.postEphemeral") if c.ok
        ),
        5,
        "the newcomer's welcome shown",
    )


def test_lead_with_two_people_is_not_silently_the_first(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Two leads", lead=BOB)
    incident = incident_of(database)
    answer = shown(
        slack.slash_command(
            f"lead <@{ALICE}|alice> <@{CAROL}|carol>", channel=incident.channel_id, raw=True
        )
    )
    # Either refuse (one lead) or say who was ignored; not a silent pick.
    assert incident_of(database).lead_id == BOB or "carol" in answer.lower() or CAROL in answer, (
        answer
    )


def test_rename_to_only_emoji_says_so(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Channel to be renamed", lead=BOB)
    incident = incident_of(database)
    answer = shown(slack.slash_command("rename 🔥🔥🔥", channel=incident.channel_id))
    # A name with nothing usable in it: the person should hear that, not see the channel
    # silently lose its words.
    name = slack.channels[incident.channel_id]["name"]
    assert name != "inc-0001" or "emoji" in answer.lower() or "letters" in answer.lower(), (
        name,
        answer,
    )


@pytest.mark.parametrize("private", [True, False], ids=["private", "public"])
def test_declare_from_a_long_message_where_the_bot_is_not(
    slack: FakeSlack, bot: RunningBot, database, private: bool
) -> None:
    room = slack.add_channel("team-room", is_private=private, members=[ALICE, BOB])
    ts = slack.post_message(room, BOB, LONG)
    assert slack.message_shortcut("declare_from_message", room, ts, user=ALICE).ok
    view = slack.wait_for_view(callback_id="incident_declare")
    assert submit_declare(slack, view, title="Payments down") is None
    wait_for_confirmation(slack)
    settle(1)
    with database.connection_context():
        entry = TimelineEvent.get_or_none(TimelineEvent.message_ts == ts)
    assert entry is not None
    assert entry.text == LONG, (len(entry.text), len(LONG))
    assert entry.permalink, "no permalink to the message"


def test_summary_with_here_and_5000_characters(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Big summary", lead=BOB)
    incident = incident_of(database)
    text = "<!here> " + "lorem ipsum dolor sit amet " * 185  # ~5,000
    answer = shown(slack.slash_command(f"summary {text}", channel=incident.channel_id, raw=True))
    assert "Done" in answer
    settle(2)
    stored = incident_of(database).summary
    assert stored.startswith("@here") and len(stored) > 4900
    for message in slack.messages(INCIDENTS) + slack.messages(incident.channel_id):
        if message.get("bot_id"):
            assert "<!here>" not in FakeSlack.mentions_in(message), message


def test_hint_outside_an_incident_channel_shows_names_not_markup(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    answer = shown(slack.slash_command("close the ticket for @bob"))
    assert "works in an incident's own channel" in answer
    assert "&lt;@" not in answer and "U061F7AUR" not in answer, answer


def test_http_body_with_payload_ampersand_equals_and_unicode(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Odd bytes", lead=BOB)
    incident = incident_of(database)
    note = 'payload={"type":"x"}&a=b%20c ü 🔥 ünïcödé = & ?'
    answer = shown(slack.slash_command(f"note {note}", channel=incident.channel_id))
    assert "Added" in answer, answer
    with database.connection_context():
        entry = TimelineEvent.get(TimelineEvent.kind == "note")
    assert entry.text == note, entry.text
    if bot.mode == "http":
        assert slack.ssl_check().status == 200


def test_mention_in_the_middle_or_from_a_bot_does_nothing_and_in_a_thread_answers_there(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Mentions", lead=BOB)
    incident = incident_of(database)
    channel = incident.channel_id
    assert mention_event(slack, channel, ALICE, f"ok so <@{BOT_USER}> severity 1", raw=True).ok
    parent = slack.post_message(channel, BOB, "status?")
    assert mention_event(
        slack, channel, ALICE, f"<@{BOT_USER}> severity 3", thread_ts=parent, raw=True
    ).ok
    call = slack.wait_for_call(
        "chat.postEphemeral", where=lambda c: "SEV3" in str(c.params), timeout=10
    )
    assert call.params.get("thread_ts") == parent
    assert incident_of(database).severity == 3


def test_a_change_whose_words_contain_payload_reaches_the_announcement(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    """`/incident summary payload API returns 500` (the word "payload" is common in an
    incident): stored, and the announcement, opening message and channel must follow."""
    declare(slack, "Payload errors", lead=BOB)
    incident = incident_of(database)
    answer = shown(
        slack.slash_command("summary payload API returns 500", channel=incident.channel_id)
    )
    assert "Done" in answer
    assert incident_of(database).summary == "payload API returns 500"
    wait_until(
        lambda: "payload API returns 500" in announcement_text(slack, incident),
        5,
        "the announcement shows the new summary",
    )


def test_lead_named_in_a_command_containing_payload_is_invited(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Payload lead", lead=None)
    incident = incident_of(database)
    shown(slack.slash_command(f"lead <@{CAROL}|carol>", channel=incident.channel_id, raw=True))
    wait_until(lambda: CAROL in slack.channels[incident.channel_id]["members"], 5, "carol in")
    slack.add_user(DAVE, "payload-dave")  # a user name with the word in it
    shown(
        slack.slash_command(f"lead <@{DAVE}|payload-dave>", channel=incident.channel_id, raw=True)
    )
    assert incident_of(database).lead_id == DAVE
    wait_until(lambda: DAVE in slack.channels[incident.channel_id]["members"], 5, "dave in")


def test_declare_from_a_dm_and_from_a_private_channel_the_bot_is_not_in(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    dm = slack.add_dm(ALICE, BOB)
    declare(slack, "From a DM", channel=dm)
    room = slack.add_channel("secret-room", is_private=True, members=[ALICE, BOB])
    declare(slack, "From a private room", channel=room)
    with database.connection_context():
        assert Incident.select().where(Incident.channel_id.is_null(False)).count() == 2


def test_emoji_and_non_latin_titles(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "🔥🔥 支払いができない 🔥🔥", lead=BOB)
    incident = incident_of(database)
    assert incident.channel_name and incident.channel_name.startswith("inc-0001")
    view = open_declare_modal(slack, "🔥" * 200)
    title = next(b for b in view["blocks"] if b["block_id"] == "title")["element"]
    summary = next(b for b in view["blocks"] if b["block_id"] == "summary")["element"]
    assert title["initial_value"] + summary.get("initial_value", "") == "🔥" * 200
