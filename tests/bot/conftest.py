"""Fixtures for the bot: the fake Slack, and the bot running in each mode on each database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakeslack import FakeSlack
from tests.bot.harness import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, RunningBot, running_bot


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    with FakeSlack(
        bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET
    ) as slack:
        yield slack


@pytest.fixture
def slack(slack_server: FakeSlack) -> Iterator[FakeSlack]:
    slack_server.reset()
    yield slack_server
    slack_server.faults.clear()


@pytest.fixture(params=["http", "socket"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bot(slack: FakeSlack, database, database_url: str, mode: str) -> Iterator[RunningBot]:
    """The bot in `mode` on the test database (every combination of mode and database)."""
    with running_bot(slack, mode, database_url) as running:
        yield running
