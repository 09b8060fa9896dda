"""Block Kit and mrkdwn as the bot renders them."""

from __future__ import annotations

from bot.domain.lifecycle import Change, describe
from bot.slack.blocks import MRKDWN


def test_in_slack_names_are_bold_and_peoples_words_cannot_ping() -> None:
    assert describe(Change("severity", 2, None), MRKDWN) == "*Severity*: SEV2 Major → _not set_"
    assert describe(Change("summary", "", "ask <!here> & <@U9>"), MRKDWN) == (
        "*Summary* is now: ask &lt;!here&gt; &amp; &lt;@U9&gt;"
    )
    assert describe(Change("lead", None, "U2"), MRKDWN) == "*Lead*: _not set_ → <@U2>"


def test_a_long_text_is_clipped_where_it_is_shown() -> None:
    shown = describe(Change("summary", "", "word " * 1000), MRKDWN)
    assert len(shown) < 2600 and shown.endswith("…")
