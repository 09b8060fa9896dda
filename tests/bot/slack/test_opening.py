"""Opening an incident in Slack: what goes where."""

from __future__ import annotations

from fakeslack import FakeSlack
from testkit.harness import INCIDENTS
from tests.bot.flows import declare


def test_private_placeholder_says_nothing_about_the_incident(
    slack: FakeSlack, database, database_url: str
) -> None:
    from testkit.harness import running_bot

    placeholder = "A private incident was declared; its team is on it."
    with running_bot(
        slack, "http", database_url, env={"PRIVATE_INCIDENT_PLACEHOLDER": placeholder}
    ):
        declare(slack, "Payroll data exposed", private=["private"])
    posted = slack.messages(INCIDENTS)
    assert [m["text"] for m in posted] == [placeholder]
    assert "Payroll" not in str(posted)
