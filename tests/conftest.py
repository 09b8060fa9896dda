"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from INCIDENT_TEST_POSTGRES_URL (default: the local server's `postgres`
database, used only to create and drop a throwaway database for this run). Where no server
answers, the PostgreSQL half skips with one line saying how to enable it, unless
INCIDENT_TEST_REQUIRE_POSTGRES=1 (CI), where it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from hypothesis import settings as hypothesis_settings
from peewee import Database

from models import db, init_database, migrate
from testkit.postgres import PG_ADMIN_URL, TABLES_IN_DELETE_ORDER, with_database

# In CI the property tests replay the same examples every run: a red build then means a
# change broke something, not that the fuzzer got lucky. Locally they explore afresh.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

REQUIRE_PG = os.environ.get("INCIDENT_TEST_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run; dropped at the end."""
    try:
        admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as error:
        reason = (
            f"PostgreSQL not reachable at {PG_ADMIN_URL} ({str(error).strip()}); "
            "set INCIDENT_TEST_POSTGRES_URL to a server's admin URL to run these"
        )
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    admin.autocommit = True
    name = f"incident_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = with_database(PG_ADMIN_URL, name)
    database = init_database(url)
    migrate(database)
    database.close_all()
    try:
        yield url
    finally:
        if db.obj is not None and hasattr(db.obj, "close_all"):
            db.obj.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'incidents.db'}"
        database = init_database(url)
        migrate(database)
        database.close()
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    database = init_database(url)
    with database.connection_context():
        database.execute_sql(
            f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} RESTART IDENTITY CASCADE"
        )
    yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The shared proxy pointed at an empty, migrated database (SQLite, then PostgreSQL)."""
    database = init_database(database_url)
    yield database
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()
