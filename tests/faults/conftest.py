"""Fault tests' fixtures: `incident-bot run` as real processes on PostgreSQL against the
fake Slack. The pieces behind them (replica processes, the fake Slack as replicas see it, the
TCP proxy, a PostgreSQL cluster of the test's own) live in `testkit/`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import Database

from models import db, init_database
from testkit.harness import unexpected_refusals
from testkit.postgres import PG_BIN, TABLES_IN_DELETE_ORDER, OwnPostgres
from testkit.processes import Replicas
from testkit.proxy import Proxy
from testkit.slack import ReplicaSlack


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "db_restart: stops and restarts the shared PostgreSQL server (deselect with "
        "-m 'not db_restart')",
    )


# -- the fake Slack ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fault_slack() -> Iterator[ReplicaSlack]:
    with ReplicaSlack() as slack:
        yield slack


@pytest.fixture
def slack(fault_slack: ReplicaSlack, request: pytest.FixtureRequest) -> Iterator[ReplicaSlack]:
    """Fresh; the test fails if a replica sent what Slack would refuse, unless expected."""
    fault_slack.reset()
    fault_slack.socket_ack_timeout = 3.0
    fault_slack.route_sockets_through(None)
    yield fault_slack
    fault_slack.faults.clear()
    fault_slack.http_target = None
    allowed = {code for mark in request.node.iter_markers("refusals") for code in mark.args}
    refused = unexpected_refusals(fault_slack, allowed)
    assert not refused, "Slack would refuse what a replica sent:\n" + "\n".join(refused)


# -- the database ------------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[str, Database]]:
    """The run's PostgreSQL database, emptied; (url, the shared proxy's database)."""
    database = init_database(postgres_url)
    with database.connection_context():
        database.execute_sql(
            f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} RESTART IDENTITY CASCADE"
        )
    yield postgres_url, database
    if db.obj is not None:
        db.obj.close_all()


# -- bot processes -----------------------------------------------------------------------------


@pytest.fixture
def replicas(slack: ReplicaSlack, pg: tuple[str, Database], tmp_path: Path) -> Iterator[Replicas]:
    running = Replicas(slack, pg[0], tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


# -- a TCP proxy that misbehaves on request -----------------------------------------------------


@pytest.fixture
def proxy(slack: ReplicaSlack) -> Iterator[Proxy]:
    running = Proxy(slack.port)
    try:
        yield running
    finally:
        running.close()


# -- a PostgreSQL server of the test's own, to stop and start ------------------------------------


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries in {PG_BIN} (set INCIDENT_TEST_PG_BIN)")
    server = OwnPostgres()
    try:
        server.start()
        database = init_database(server.url)
        from models import migrate

        migrate(database)
        yield server
    finally:
        if db.obj is not None and hasattr(db.obj, "close_all"):
            db.obj.close_all()
        server.remove()
