"""Parsing what people type after /incident or a mention of the bot."""

from __future__ import annotations

from bot.slack.command_text import Named, after_bot_mention, first_person, parse

BOT = "U06HBQK1R2S"


def test_parse() -> None:
    assert parse("") == parse("   ")
    assert parse("").name == ""
    assert parse("  Status   Resolved ").name == "status"
    assert parse("note  the db is back  ").rest == "the db is back"


def test_only_a_message_that_begins_with_the_bots_mention_is_a_command() -> None:
    assert after_bot_mention(f"<@{BOT}> status resolved", BOT) == "status resolved"
    assert after_bot_mention(f"  <@{BOT}|incident-bot>: lead", BOT) == "lead"
    # Chatter: the bot is mentioned, but not asked.
    assert after_bot_mention(f"thanks <@{BOT}>, close enough", BOT) is None
    assert after_bot_mention(f"<@U061F7AUR> can you close it? cc <@{BOT}>", BOT) is None
    assert after_bot_mention("<@U061F7AUR> close", BOT) is None
    assert after_bot_mention(f"<@{BOT}X> close", BOT) is None
    assert after_bot_mention(f"<@{BOT}> close", None) is None


def test_people_named_in_slacks_markup_or_typed() -> None:
    assert first_person("<@U061F7AUR|bob>") == Named("U061F7AUR", None, "")
    assert first_person("fix the pool <@U061F7AUR> today") == Named(
        "U061F7AUR", None, "fix the pool today"
    )
    assert first_person("no one") == Named(None, None, "no one")
    typed = first_person("fix the pool @bob.baker today")
    assert (typed.user_id, typed.typed_name, typed.rest) == (
        None,
        "bob.baker",
        "fix the pool today",
    )
    # Not people: an address, or everyone in the channel.
    assert first_person("mail ops@example.com").typed_name is None
    assert first_person("tell @here").typed_name is None
