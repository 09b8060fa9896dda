"""Parsing what people type after /incident."""

from __future__ import annotations

from bot.command_text import first_user, parse, strip_bot_mention


def test_parse() -> None:
    assert parse("") == parse("   ")
    assert parse("").name == ""
    assert parse("  Status   Resolved ") .name == "status"
    assert parse("note  the db is back  ").rest == "the db is back"


def test_mentions() -> None:
    assert strip_bot_mention("<@U06HBQK1R2S> status resolved") == "status resolved"
    assert strip_bot_mention("<@U06HBQK1R2S|incident-bot>: lead") == "lead"
    assert first_user("<@U061F7AUR|bob>") == ("U061F7AUR", "")
    assert first_user("fix the pool <@U061F7AUR> today") == ("U061F7AUR", "fix the pool today")
    assert first_user("no one") == (None, "no one")
