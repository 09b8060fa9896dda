"""The SQL a viewer page runs, counted: shared by the query-count tests and the viewer
bench, which prints the counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Record the SQL the viewer's connection runs."""
    database = app.extensions["viewer.database"]
    statements: list[str] = []
    original = database.execute_sql

    def execute_sql(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
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
    if response.status_code != 200:
        raise AssertionError(f"{path} answered {response.status_code}")
    return statements
