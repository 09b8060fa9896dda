"""The cache of Slack users' names, so the timeline can say who without asking Slack."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import fn

from models import SlackUser, db
from models.db import generation
from models.fields import utcnow

# Names change rarely; a day-old name is good enough, and saves a users.info per pin.
MAX_AGE = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str = ""
    real_name: str = ""
    display_name: str = ""
    is_bot: bool = False
    email: str = ""  # lower-cased; empty unless the app has users:read.email
    team_id: str = ""  # their organisation; another team's for someone over Slack Connect
    is_deleted: bool = False
    is_guest: bool = False
    # False when Slack answered that there is no such user (never stored).
    exists: bool = True

    @property
    def shown_name(self) -> str:
        return self.display_name or self.real_name or self.name or self.user_id


# A process-local copy of recent look-ups: a busy channel names the same few people on
# every event, and the database need not be asked each time.
_recent: dict[tuple[int, str], tuple[dt.datetime, Person]] = {}
_RECENT_MAX = 5_000
RECENT_AGE = dt.timedelta(minutes=10)


def cached(user_id: str, *, max_age: dt.timedelta = MAX_AGE) -> Person | None:
    now = utcnow()
    key = (generation(), user_id)
    hit = _recent.get(key)
    if hit is not None and now - hit[0] < min(RECENT_AGE, max_age):
        return hit[1]
    with db.connection_context():
        row = SlackUser.get_or_none(SlackUser.user_id == user_id)
    if row is None or now - row.fetched_at > max_age:
        return None
    found = _from_row(row)
    _keep(key, now, found)
    return found


def _from_row(row: SlackUser) -> Person:
    return Person(
        row.user_id,
        row.name,
        row.real_name,
        row.display_name,
        row.is_bot,
        row.email or "",
        row.team_id or "",
        row.is_deleted,
        row.is_guest,
    )


def named(name: str) -> list[Person]:
    """The people on record whose user name or display name is `name` (any case): how a
    typed @name is told apart when Slack did not turn it into a mention."""
    wanted = name.strip().lstrip("@").lower()
    if not wanted:
        return []
    with db.connection_context():
        rows = SlackUser.select().where(
            (fn.LOWER(SlackUser.name) == wanted) | (fn.LOWER(SlackUser.display_name) == wanted)
        )
        return [_from_row(row) for row in rows if not row.is_deleted]


def _keep(key: tuple[int, str], now: dt.datetime, person: Person) -> None:
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[key] = (now, person)


def remember(person: Person) -> None:
    fetched_at = utcnow()
    values = {
        "name": person.name,
        "real_name": person.real_name,
        "display_name": person.display_name,
        "is_bot": person.is_bot,
        # Longer than any address can be: kept out rather than cut to something else.
        "email": person.email if 0 < len(person.email) <= 320 else None,
        "team_id": person.team_id[:32] or None,
        "is_deleted": person.is_deleted,
        "is_guest": person.is_guest,
        "fetched_at": fetched_at,
    }
    _keep((generation(), person.user_id), fetched_at, person)
    with db.connection_context():
        (
            SlackUser.insert(user_id=person.user_id, **values)
            .on_conflict(conflict_target=[SlackUser.user_id], update=values)
            .execute()
        )
