"""The list and the incident page run a fixed number of queries, whatever the data size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from testkit import bulk


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Record the SQL the viewer's connection runs."""
    database = app.extensions["viewer.database"]
    statements: list[str] = []
    original = database.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        yield statements
    finally:
        del database.execute_sql


def queries_for(app: Flask, path: str) -> list[str]:
    client = app.test_client()
    with counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return statements


def test_query_counts_do_not_grow_with_the_data(make_app, seed, database) -> None:
    small_big = bulk.populate(database, incidents=600, timeline=20)
    app = make_app()
    small = {
        path: len(queries_for(app, path))
        for path in (
            "/",
            f"/incidents/{small_big}",
            "/api/incidents",
            f"/api/incidents/{small_big}",
            "/?q=database&status=open&page=2",
        )
    }

    with seed.bound():
        database.execute_sql("DELETE FROM timeline_event")
        database.execute_sql("DELETE FROM incident")
        database.execute_sql("DELETE FROM slack_user")
    big_number = bulk.populate(database)
    large = {
        "/": len(queries_for(app, "/")),
        f"/incidents/{small_big}": len(queries_for(app, f"/incidents/{big_number}")),
        "/api/incidents": len(queries_for(app, "/api/incidents")),
        f"/api/incidents/{small_big}": len(queries_for(app, f"/api/incidents/{big_number}")),
        "/?q=database&status=open&page=2": len(queries_for(app, "/?q=database&status=open&page=2")),
    }
    assert large == small
    # The list: a count, a page and one look-up of names. The incident: the row, its
    # timeline, names and channels.
    assert large["/"] == 3
    assert large[f"/incidents/{small_big}"] == 6
