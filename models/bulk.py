"""Many rows into one table, fast: one INSERT per chunk, its SQL built once per shape.

Hand-written SQL on purpose: an import writes hundreds of thousands of rows, and building
each multi-row INSERT through the ORM costs several times more than running it. Values go
through the fields' db_value, exactly as the ORM would send them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from peewee import Field, Model

# Bound parameters per statement: far below both databases' limits.
MAX_PARAMS = 10_000


def insert_rows(
    model: type[Model], rows: Sequence[dict[str, Any]], *, skip_conflicts: bool = False
) -> None:
    """Insert `rows` (dicts keyed by field name, every row with the first row's keys).
    `skip_conflicts`: a row that breaks a unique key is left out, the rest go in."""
    if not rows:
        return
    given = set(rows[0])
    fields: list[Field] = [model._meta.fields[name] for name in rows[0]]
    # Columns left out take their field's default, as the ORM would give them.
    defaults = [
        field
        for name, field in model._meta.fields.items()
        if name not in given and field.default is not None
    ]
    fields += defaults
    database = model._meta.database
    per_chunk = max(1, MAX_PARAMS // len(fields))
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        sql = _sql(model._meta.table_name, _columns(fields), database.param, len(chunk))
        if skip_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        params = [
            field.db_value(row[field.name] if field.name in row else _default(field))
            for row in chunk
            for field in fields
        ]
        database.execute_sql(sql, params)


def _default(field: Field) -> Any:
    return field.default() if callable(field.default) else field.default


def _columns(fields: list[Field]) -> tuple[str, ...]:
    return tuple(field.column_name for field in fields)


@functools.cache
def _sql(table: str, columns: tuple[str, ...], param: str, count: int) -> str:
    row = "(" + ", ".join([param] * len(columns)) + ")"
    names = ", ".join(f'"{column}"' for column in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([row] * count)
