"""Text as Slack sends it: slash command text with and without `should_escape`, typed
messages turned into Slack's tokens and rich_text, and the raw escape hatch."""

from __future__ import annotations

import json
from typing import Any

from fakeslack import FakeSlack
from fakeslack.manifest import AppManifest, SlashCommand

ALICE, BOB, BOT = "U024BE7LH", "U061F7AUR", "U06HBQK1R2S"
GENERAL = "C024BE91L"
EVERYTHING = AppManifest.permissive()


def escaping(on: bool) -> AppManifest:
    return AppManifest(
        bot_scopes=EVERYTHING.bot_scopes,
        bot_events=EVERYTHING.bot_events,
        commands=(SlashCommand("/incident", on),),
    )


def command_text(receiver: Any) -> str:
    return receiver.requests[-1].form()["text"]


def test_escaping_on_turns_mentions_channels_and_links_into_tokens(
    slack: FakeSlack, receiver: Any
) -> None:
    secret = slack.add_channel("secret-ops", is_private=True, members=[ALICE])
    slack.use_manifest(escaping(True))
    slack.slash_command(
        "ask @bob in #general and #secret-ops, see https://status.example.com/x?a=1&b=2. @here",
        user=ALICE,
    )
    assert command_text(receiver) == (
        f"ask <@{BOB}|bob> in <#{GENERAL}|general> and <#{secret}|>, see "
        "<https://status.example.com/x?a=1&amp;b=2>. <!here>"
    )


def test_escaping_off_keeps_what_was_typed_but_still_escapes_control_characters(
    slack: FakeSlack, receiver: Any
) -> None:
    slack.use_manifest(escaping(False))
    slack.slash_command("ask @bob in #general: p95 < 2s & > 1s", user=ALICE)
    assert command_text(receiver) == "ask @bob in #general: p95 &lt; 2s &amp; &gt; 1s"


def test_unknown_names_stay_as_typed_and_raw_goes_on_the_wire(
    slack: FakeSlack, receiver: Any
) -> None:
    slack.use_manifest(escaping(True))
    slack.slash_command("page @nobody and mail bob@example.com about #nowhere")
    assert command_text(receiver) == "page @nobody and mail bob@example.com about #nowhere"
    slack.slash_command("<@U0|x> & <script>", raw=True)
    assert command_text(receiver) == "<@U0|x> & <script>"


def test_display_names_and_trailing_punctuation(slack: FakeSlack, receiver: Any) -> None:
    slack.add_user("U0DANA0001", "dana.k", display_name="Dana")
    slack.use_manifest(escaping(True))
    slack.slash_command("lead @Dana, then @dana.k.")
    assert command_text(receiver) == "lead <@U0DANA0001|dana.k>, then <@U0DANA0001|dana.k>."


def test_a_typed_message_is_stored_and_sent_as_slack_makes_it(
    slack: FakeSlack, receiver: Any
) -> None:
    slack.say(GENERAL, ALICE, "@bob see #general & https://x.example/a @channel")
    event = json.loads(receiver.requests[-1].body)["event"]
    assert event["text"] == (
        f"<@{BOB}> see <#{GENERAL}|general> &amp; <https://x.example/a> <!channel>"
    )
    [block] = event["blocks"]
    assert block["type"] == "rich_text"
    assert block["elements"][0]["elements"] == [
        {"type": "user", "user_id": BOB},
        {"type": "text", "text": " see "},
        {"type": "channel", "channel_id": GENERAL},
        {"type": "text", "text": " & "},
        {"type": "link", "url": "https://x.example/a"},
        {"type": "text", "text": " "},
        {"type": "broadcast", "range": "channel"},
    ]
    assert slack.messages(GENERAL)[-1]["text"] == event["text"]


def test_raw_messages_keep_their_text(slack: FakeSlack) -> None:
    ts = slack.post_message(GENERAL, ALICE, "<!here> & <b>", raw=True)
    [msg] = [m for m in slack.messages(GENERAL) if m["ts"] == ts]
    assert msg["text"] == "<!here> & <b>"


def test_edits_are_composed_like_new_messages(slack: FakeSlack, receiver: Any) -> None:
    ts = slack.post_message(GENERAL, ALICE, "first")
    slack.edit_message(GENERAL, ts, "now with @bob")
    event = json.loads(receiver.requests[-1].body)["event"]
    assert event["message"]["text"] == f"now with <@{BOB}>"


def test_a_mrkdwn_object_not_verbatim_counts_what_slack_preprocesses() -> None:
    """Without verbatim, Slack links bare URLs and parses "certain mentions" itself."""
    from fakeslack.mrkdwn import mentions_in

    loose = [{"type": "section", "text": {"type": "mrkdwn", "text": "ping @here see https://x.io"}}]
    assert mentions_in(loose) == {"<!here>", "<https://x.io>"}
    exact = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "ping @here see https://x.io", "verbatim": True},
        }
    ]
    assert mentions_in(exact) == set()
    assert (
        mentions_in([{"type": "section", "text": {"type": "plain_text", "text": "@here"}}]) == set()
    )
