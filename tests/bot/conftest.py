"""Fixtures for the bot: the fake Slack, the bot running in each mode on each database, and
a monzo/response database to import."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from peewee import Database

from bot.jobs.response_import import run_import
from fakeslack import FakeSlack
from models import db, init_database, migrate
from testkit.harness import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    RunningBot,
    running_bot,
    unexpected_refusals,
)
from testkit.postgres import database_name, response_database, throwaway_database


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


@pytest.fixture(scope="session")
def response_template() -> Iterator[str]:
    with response_database() as url:
        yield database_name(url)


@pytest.fixture
def source(response_template: str) -> Iterator[str]:
    """A copy of the fork's database of this test's own (tests may add rows to it)."""
    with response_database(template=response_template) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def imported_url(
    request: pytest.FixtureRequest, response_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of each kind with the fork's history imported once, for the tests that
    only read what came across."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('imported') / 'incidents.db'}"
            migrate(init_database(url))
        else:
            url = stack.enter_context(throwaway_database())
        with response_database(template=response_template) as source_url:
            init_database(url)
            run_import(source_url)
        yield url
        if db.obj is not None and hasattr(db.obj, "close_all"):
            db.obj.close_all()


@pytest.fixture
def imported(imported_url: str) -> Iterator[Database]:
    database = init_database(imported_url)
    yield database
    if hasattr(database, "close_all"):
        database.close_all()
