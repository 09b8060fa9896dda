"""Column types the models need beyond Peewee's own: aware UTC datetimes and JSON text."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from peewee import DateTimeField, TextField

UTC = dt.UTC


_replay = dt.timedelta(0)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC) + _replay


def replay_at(offset: dt.timedelta) -> None:
    """Move this process's clock `offset` from real time: `incident-bot demo` plays an
    incident as if it began an hour ago, so its stored times read like a real one's."""
    global _replay
    _replay = offset


class UTCDateTimeField(DateTimeField):
    """Stores UTC without a zone (the same on SQLite and PostgreSQL); always returns aware UTC.

    Naive datetimes are refused on the way in: a naive value is ambiguous, and guessing its
    zone is how timelines end up an hour out.
    """

    def db_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(f"{self.name}: naive datetime {value!r}; pass an aware one")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value.astimezone(UTC)
        return value


class JSONTextField(TextField):
    """JSON kept as text, so one column type serves SQLite and PostgreSQL alike."""

    def db_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)
