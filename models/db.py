"""The one database proxy, how a DATABASE_URL becomes a connection, and the migration runner."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from peewee import Database, DatabaseProxy, Model, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse as parse_db_url
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from incident_common.environment import DATABASE_SCHEMES

log = logging.getLogger(__name__)

db = DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed 64-bit key will do; derive it from a name so it is recognisable in pg_locks.
_MIGRATION_LOCK_KEY = zlib.crc32(b"incident-bot:migrate")

SQLITE_PRAGMAS = {
    # busy_timeout turns lock contention between threads into a short wait instead of
    # "database is locked"; it comes first so switching to WAL already waits politely.
    # WAL lets the viewer read while the bot writes.
    "busy_timeout": 5000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
}


class PostgresPool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, asking the server whether a pooled connection is alive
    only when it has sat unused for a while.

    peewee 4's pool sends `SELECT 1` on every check-out, and does so holding the pool's lock:
    a second round trip for every one-statement write, with every other thread queued behind
    it. A connection returned moments ago is as alive as its driver says (a closed socket or
    a lost server shows in its status). One that died in that moment fails its statement,
    which is answered like any database error (in HTTP mode a 500, so Slack retries), and
    the pool drops it on return.
    """

    # Idle longer than this, a connection is checked with a round trip before it is reused.
    RECHECK_AFTER = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}

    def _is_closed(self, conn: Any) -> bool:
        returned = self._returned_at.pop(self.conn_key(conn), None)
        if returned is not None and time.monotonic() - returned < self.RECHECK_AFTER:
            return bool(conn.closed) or self._adapter.txn_status(conn) == self._adapter.txn_unknown
        return bool(super()._is_closed(conn))

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        # The pool's own (reentrant) lock: the time is set before another thread can take it.
        with self._pool_lock:
            if not close_conn:
                self._returned_at[self.conn_key(conn)] = time.monotonic()
            super()._close(conn, close_conn)

    def _close_raw(self, conn: Any) -> None:
        self._returned_at.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


class SqlitePool(PooledSqliteDatabase):
    """peewee's SQLite pool, retrying a new connection's pragmas while the file is locked.

    Two processes opening a fresh file at once both switch it to WAL, which needs the file to
    themselves; SQLite answers one of them "database is locked" at once, without waiting out
    busy_timeout. The pragmas are idempotent, so a short wait and another go settles it.
    """

    PRAGMA_ATTEMPTS = 20

    def _set_pragmas(self, conn: Any) -> None:
        for attempt in range(1, self.PRAGMA_ATTEMPTS + 1):
            try:
                super()._set_pragmas(conn)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == self.PRAGMA_ATTEMPTS:
                    raise
                time.sleep(0.01 * attempt)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url: str, *, readonly: bool = False) -> Database:
    """Build (but do not connect) the database a DATABASE_URL names."""
    parsed = urlparse(url)
    if parsed.scheme not in DATABASE_SCHEMES:
        raise ValueError(
            f"unsupported database scheme {parsed.scheme!r}; use postgresql:// or sqlite:///"
        )
    kwargs = parse_db_url(url, unquote_password=True, unquote_user=True)
    name = kwargs.pop("database")
    if parsed.scheme == "sqlite":
        if not name:
            raise ValueError("sqlite URL has no path; use sqlite:///path/to/file.db")
        if readonly:
            # A URI with mode=ro makes SQLite itself refuse writes on this connection.
            path = Path(name).resolve()
            return SqliteDatabase(
                f"file:{path}?mode=ro", uri=True, pragmas={"busy_timeout": 5000}, **kwargs
            )
        # Pooled so a connection (and its pragmas) is set up once, not per query. A pooled
        # connection moves between threads, but only ever serves one at a time.
        kwargs.setdefault("check_same_thread", False)
        kwargs.setdefault("max_connections", 32)
        kwargs.setdefault("stale_timeout", 300)
        return SqlitePool(name, pragmas=SQLITE_PRAGMAS, **kwargs)
    if readonly:
        kwargs["options"] = "-c default_transaction_read_only=on"
    kwargs.setdefault("max_connections", 32)
    kwargs.setdefault("stale_timeout", 300)
    kwargs.setdefault("connect_timeout", 5)
    return PostgresPool(name, **kwargs)


_generation = 0


def init_database(url: str, *, readonly: bool = False) -> Database:
    """Point the shared proxy at the database behind `url` and return it."""
    global _generation
    database = make_database(url, readonly=readonly)
    db.initialize(database)
    _generation += 1
    return database


def generation() -> int:
    """Changes whenever the proxy is pointed at a database: caches of rows key on it."""
    return _generation


def migrate(database: Database | None = None) -> list[str]:
    """Apply pending migrations in order; return the names applied.

    Two pods may run this at once: PostgreSQL serialises them with an advisory lock and
    SQLite with an immediate (write-locking) transaction, so the second runner sees the
    first one's history and applies nothing.
    """
    database = database or db.obj
    if database is None:
        raise RuntimeError("database not initialised; call init_database() first")
    with database.connection_context():
        if isinstance(database, PostgresqlDatabase):
            database.execute_sql("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
            try:
                applied = _runner(database).up()
            finally:
                database.execute_sql("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))
        else:
            with database.atomic("IMMEDIATE"):
                applied = _runner(database).up()
    for name in applied:
        log.info("migration applied", extra={"migration": name})
    return applied


def pending_migrations(database: Database | None = None) -> list[str]:
    """The migrations `migrate` would apply, in order (none when the schema is current)."""
    database = database or db.obj
    with database.connection_context():
        return [m.name for m in _runner(database).status() if m.path is not None and not m.applied]


def _runner(database: Database) -> Runner:
    return Runner(database, os.fspath(MIGRATIONS_DIR), table_name="schema_migration")


def write_transaction() -> Any:
    """A transaction that will write: on SQLite it takes the write lock up front (BEGIN
    IMMEDIATE), so two threads that read then write wait their turn instead of one failing
    with "database is locked" when it upgrades."""
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()
