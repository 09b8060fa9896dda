"""The viewer's database connection: opened for each request and closed after it."""

from __future__ import annotations

from flask import Flask, current_app
from peewee import Database


def database_of(app: Flask) -> Database:
    from viewer import DATABASE_KEY

    return app.extensions[DATABASE_KEY]


def register(app: Flask) -> None:
    @app.before_request
    def connect() -> None:
        # Connecting here, not lazily, makes a database outage fail fast with a clear 503.
        database_of(current_app).connect(reuse_if_open=True)

    @app.teardown_request
    def close(_error: BaseException | None) -> None:
        database = database_of(current_app)
        if not database.is_closed():
            # For PostgreSQL this returns the connection to the pool.
            database.close()


def close_all(app: Flask) -> None:
    """Close every pooled connection, the audit writer's too (at shutdown and in tests)."""
    from viewer.audit import AUDIT_KEY

    for database in (database_of(app), app.extensions.get(AUDIT_KEY)):
        if database is None:
            continue
        if hasattr(database, "close_all"):
            database.close_all()
        elif not database.is_closed():
            database.close()
