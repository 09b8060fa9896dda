"""The pools: on PostgreSQL a connection reused at once goes straight to its statement, one
that sat idle is checked first, so a connection the server dropped meanwhile is replaced
unseen; on SQLite, openers racing to set up a fresh file all get in."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg2
import pytest
from peewee import OperationalError

from models.db import PostgresPool, make_database
from testkit.postgres import PG_ADMIN_URL


@pytest.fixture
def pool(postgres_url: str) -> Iterator[PostgresPool]:
    database = make_database(postgres_url)
    assert isinstance(database, PostgresPool)
    yield database
    database.close_all()


def backend(pool: PostgresPool) -> int:
    with pool.connection_context():
        return int(pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0])


def last_statement(pid: int) -> str:
    with psycopg2.connect(PG_ADMIN_URL) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))
        row = cursor.fetchone()
    admin.close()
    return str(row[0]) if row else ""


def terminate(pid: int) -> None:
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()


def test_a_connection_reused_at_once_is_not_asked_whether_it_lives(pool: PostgresPool) -> None:
    pid = backend(pool)
    with pool.connection_context():
        # Checked out again straight away: no `SELECT 1` went to the server first.
        assert last_statement(pid) == "SELECT pg_backend_pid()"
        assert int(pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0]) == pid


def test_a_connection_idle_past_the_window_is_checked(
    pool: PostgresPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PostgresPool, "RECHECK_AFTER", 0.0)
    pid = backend(pool)
    with pool.connection_context():
        assert last_statement(pid) == "SELECT 1"


def test_a_connection_dropped_while_idle_is_replaced(
    pool: PostgresPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PostgresPool, "RECHECK_AFTER", 0.0)
    pid = backend(pool)
    terminate(pid)
    # The next statement runs on a new connection, without an error reaching the caller.
    assert backend(pool) != pid


def test_a_connection_that_failed_is_not_returned_to_the_pool(pool: PostgresPool) -> None:
    pid = backend(pool)
    terminate(pid)
    # Reused at once, the dead connection is not checked: its statement fails, and the pool
    # drops it rather than handing it out again.
    with pytest.raises(OperationalError), pool.connection_context():
        pool.execute_sql("SELECT 1")
    assert backend(pool) != pid


def test_many_openers_of_a_fresh_sqlite_file_all_connect(tmp_path) -> None:
    """Bot processes starting together on a new embedded database all switch it to WAL;
    SQLite refuses all but one at once, and the pool tries again rather than fail to start."""
    for trial in range(20):
        url = f"sqlite:///{tmp_path / f'fresh-{trial}.db'}"
        databases = [make_database(url) for _ in range(8)]
        barrier = threading.Barrier(len(databases))
        errors: list[Exception] = []

        def open_it(database, barrier=barrier, errors=errors) -> None:
            barrier.wait()
            try:
                with database.connection_context():
                    database.execute_sql("SELECT 1")
            except OperationalError as error:
                errors.append(error)

        threads = [threading.Thread(target=open_it, args=(d,)) for d in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        for database in databases:
            database.close_all()
        assert errors == [], trial


def test_the_pool_size_and_tls_settings_come_from_the_url() -> None:
    """DATABASE_URL carries the pool's size (max_connections, 32 unless given) and libpq's
    own settings, passed through as they are (README, Azure Database for PostgreSQL)."""
    url = "postgresql://bot@db.example.com/incidents?sslmode=verify-full&sslrootcert=system"
    assert make_database(url)._max_connections == 32
    sized = make_database(url + "&max_connections=8")
    assert sized._max_connections == 8
    assert sized.connect_params["sslmode"] == "verify-full"
    assert sized.connect_params["sslrootcert"] == "system"
    assert "max_connections" not in sized.connect_params  # the pool's, not libpq's
