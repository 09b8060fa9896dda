"""Fixtures for the bot: the fake Slack, and the bot running in each mode on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakeslack import FakeSlack
from testkit.harness import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    RunningBot,
    running_bot,
    unexpected_refusals,
)


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    with FakeSlack(
        bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET
    ) as slack:
        yield slack


@pytest.fixture
def slack(slack_server: FakeSlack, request: pytest.FixtureRequest) -> Iterator[FakeSlack]:
    """The fake Slack, fresh; the test fails if the bot sent anything Slack would refuse
    (a limit, a scope, a channel it cannot post in) that the test did not expect."""
    slack_server.reset()
    yield slack_server
    # A call the test's faults slowed down belongs to this test, not the next one.
    slack_server.settle()
    slack_server.faults.clear()
    allowed = {code for mark in request.node.iter_markers("refusals") for code in mark.args}
    refused = unexpected_refusals(slack_server, allowed)
    assert not refused, "Slack would refuse what the bot sent:\n" + "\n".join(refused)


@pytest.fixture(params=["http", "socket"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bot(slack: FakeSlack, database, database_url: str, mode: str) -> Iterator[RunningBot]:
    """The bot in `mode` on the test database (every combination of mode and database)."""
    with running_bot(slack, mode, database_url) as running:
        yield running
