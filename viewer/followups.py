"""A follow-up as the viewer shows it, on an incident's page, across incidents (/actions),
in the API and in the review draft: what, whose, due when (and whether that has passed),
where it is tracked, and who finished it when."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from models import FollowUpAction
from viewer import mrkdwn, present


@dataclass(frozen=True)
class Shown:
    action: FollowUpAction
    owner: str | None  # names, as the page's directory knows them
    done_by: str | None
    due_day: str | None  # "18 Dec 2026": due by the end of that day
    overdue: bool
    ticket: str | None  # a safe http(s) link, or None
    title: str = ""  # the title as it reads (mentions as names)

    @property
    def incident_id(self) -> int:
        # Peewee's foreign-key id accessor, which peewee-stubs does not declare.
        return int(self.action.incident_id)  # type: ignore[attr-defined]


def shown(action: FollowUpAction, names: dict[str, str], zone: ZoneInfo, now: dt.datetime) -> Shown:
    def name(user_id: str | None) -> str | None:
        return (names.get(user_id) or user_id) if user_id else None

    overdue = bool(not action.done and action.due_at is not None and action.due_at < now)
    day = action.due_day(zone)
    return Shown(
        action,
        name(action.owner_id),
        name(action.done_by),
        f"{day.day} {day.strftime('%b %Y')}" if day else None,
        overdue,
        mrkdwn.safe_url(action.ticket_url or "") if action.ticket_url else None,
        mrkdwn.to_plain(action.title, mrkdwn.Names(users=names)),
    )


_TICKET_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-\d+|#?\d+")


def ticket_label(url: str) -> str:
    """What a ticket link says: its key where the address ends in one (OPS-1, 4812), else
    where it lives."""
    parsed = urlparse(url)
    last = parsed.path.rstrip("/").rsplit("/", 1)[-1]
    if _TICKET_KEY.fullmatch(last):
        return f"ticket {last}"
    return f"ticket on {parsed.hostname}" if parsed.hostname else "ticket"


def as_json(item: Shown) -> dict[str, object]:
    action = item.action

    def person(user_id: str | None, shown_name: str | None) -> dict[str, str] | None:
        return {"id": user_id, "name": shown_name or user_id} if user_id else None

    return {
        "id": action.id,
        "incident": item.incident_id,
        "title": action.title,
        "title_text": item.title,
        "done": bool(action.done),
        "owner": person(action.owner_id, item.owner),
        "created_at": present.iso(action.created_at),
        "due_at": present.iso(action.due_at),
        "overdue": item.overdue,
        "ticket_url": item.ticket,
        "done_by": person(action.done_by, item.done_by),
        "done_at": present.iso(action.done_at),
    }
