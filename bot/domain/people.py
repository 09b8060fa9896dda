"""The cache of Slack users' names, so the timeline can say who without asking Slack."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import SlackUser, db
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

    @property
    def shown_name(self) -> str:
        return self.display_name or self.real_name or self.name or self.user_id


def cached(user_id: str, *, max_age: dt.timedelta = MAX_AGE) -> Person | None:
    with db.connection_context():
        row = SlackUser.get_or_none(SlackUser.user_id == user_id)
    if row is None or utcnow() - row.fetched_at > max_age:
        return None
    return Person(row.user_id, row.name, row.real_name, row.display_name, row.is_bot)


def remember(person: Person) -> None:
    values = {
        "name": person.name,
        "real_name": person.real_name,
        "display_name": person.display_name,
        "is_bot": person.is_bot,
        "fetched_at": utcnow(),
    }
    with db.connection_context():
        (
            SlackUser.insert(user_id=person.user_id, **values)
            .on_conflict(conflict_target=[SlackUser.user_id], update=values)
            .execute()
        )
