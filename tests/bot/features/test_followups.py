"""How a follow-up reads in Slack: its due day and its ticket link, always within a
section's limit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.features import followups
from bot.slack import blocks
from models import FollowUpAction

LONDON = ZoneInfo("Europe/London")


def test_due_day_and_ticket_read_on_one_line() -> None:
    item = FollowUpAction(
        title="Add an alert",
        due_at=FollowUpAction.due_by(dt.date(2026, 12, 18), LONDON),
        ticket_url="https://jira.example.com/browse/OPS-1?a=1&b=2",
    )
    assert followups.details(item, LONDON) == (
        " — due 18 Dec 2026, <https://jira.example.com/browse/OPS-1?a=1&amp;b=2|ticket>"
    )


def test_a_ticket_link_too_long_for_a_section_is_named_not_linked() -> None:
    url = "https://jira.example.com/?" + "&".join(["a=1"] * 490)  # 2,000 characters
    item = FollowUpAction(title="x" * 300, ticket_url=url)
    shown = followups.details(item, LONDON)
    assert "too long to show here" in shown and "jira.example.com" not in shown
    title = blocks.shown(item.title, followups.TITLE_SHOWN_MAX)
    line = f"• `{10**9}` {title} — <@U0123456789>{shown}"  # with the longest number
    assert blocks.slack_len(line) <= blocks.SECTION_TEXT_MAX
