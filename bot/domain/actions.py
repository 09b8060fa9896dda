"""Follow-up actions: what must happen after the incident, who owns it, whether it is done."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.lifecycle import Actor, claim
from bot.domain.mrkdwn import unescape
from models import AuditEntry, FollowUpAction, TimelineEvent, db
from models.db import write_transaction
from models.fields import utcnow
from models.timeline import Kind

# The attr-defined ignores below: Peewee adds the implicit "id" primary key and the
# foreign key's "incident_id" accessor at runtime, and peewee-stubs cannot see either.


UTC = ZoneInfo("UTC")
USAGE = "/incident action <text> [@owner] [due YYYY-MM-DD] [ticket <url>]"
TICKET_MAX = 2000
# The fields end the text ("… due 2025-03-31 ticket <https://…>"), so the same words inside
# it ("a delay due to DNS", "the ticket template") stay words. A ticket is a link: Slack's
# <url> or <url|label> (trailing punctuation left outside it), or something with a scheme.
_TRAILING_DUE = re.compile(r"(?:^|\s)due[: ]\s*(\S+)\s*$", re.IGNORECASE)
_TRAILING_TICKET = re.compile(
    r"(?:^|\s)ticket[: ]\s*(<[^<>\s|]+(?:\|[^<>]*)?>|[a-z][a-z0-9+.-]*:\S+)[.,;:!?)]*\s*$",
    re.IGNORECASE,
)


def parse_due(text: str, zone: ZoneInfo) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"A due date is a day written YYYY-MM-DD, not {text[:40]!r}.") from None
    return FollowUpAction.due_by(day, zone)


def checked_ticket(url: str) -> str:
    """The ticket's address if it is one people can open: http(s), no spaces."""
    url = url.strip().strip("<>")
    if not re.match(r"https?://[^\s/]+", url, re.IGNORECASE) or any(c.isspace() for c in url):
        raise ValueError("A ticket is a link starting with https:// (or http://).")
    if len(url) > TICKET_MAX:
        raise ValueError(f"A ticket link has at most {TICKET_MAX} characters.")
    return url


def _slack_link(token: str) -> str:
    """The address in Slack's <url|label> (or <url>), its escaping undone; else the text."""
    if token.startswith("<") and token.endswith(">"):
        token = token[1:-1].split("|", 1)[0]
    return unescape(token)


@dataclass(frozen=True)
class Typed:
    """A follow-up as typed after /incident action, in Slack's markup as Slack sent it: the
    rest (what, and whose), and when it is due and where it is tracked if the text ends by
    saying so ("due 2025-03-31", "ticket <https://…>", in either order)."""

    rest: str
    due_at: dt.datetime | None = None
    ticket_url: str | None = None

    @classmethod
    def of(cls, text: str, zone: ZoneInfo) -> Typed:
        rest, due_at, ticket = text, None, None
        for _ in range(2):
            if due_at is None and (found := _TRAILING_DUE.search(rest)):
                due_at = parse_due(found.group(1), zone)
            elif ticket is None and (found := _TRAILING_TICKET.search(rest)):
                ticket = checked_ticket(_slack_link(found.group(1)))
            else:
                break
            rest = rest[: found.start()]
        return cls(rest.strip(), due_at, ticket)


def add(
    number: int,
    title: str,
    owner_id: str | None,
    actor: Actor,
    *,
    key: str | None = None,
    due_at: dt.datetime | None = None,
    ticket_url: str | None = None,
    zone: ZoneInfo = UTC,
) -> FollowUpAction:
    """A new follow-up, with its audit row and its timeline entry; `zone` is where the team
    works, for the due day the entry names."""
    if not title.strip():
        raise ValueError(f"Say what needs doing: {USAGE}")
    ticket = checked_ticket(ticket_url) if ticket_url else None
    with db.connection_context(), write_transaction():
        claim(key)
        now = utcnow()
        action: FollowUpAction = FollowUpAction.create(
            incident=number,
            title=title.strip(),
            owner_id=owner_id,
            created_by=actor.user_id,
            created_at=now,
            due_at=due_at,
            ticket_url=ticket,
        )
        _on_timeline(number, _added_text(action, zone), actor, now)
        AuditEntry.create(
            incident=number,
            at=now,
            actor_id=actor.user_id,
            source=actor.source,
            action="action",
            new_value=title.strip(),
            details={
                "action": action.id,
                "owner": owner_id,
                "due_at": due_at.isoformat() if due_at else None,
                "ticket_url": ticket,
            },
        )
    return action


def get(action_id: int) -> FollowUpAction | None:
    with db.connection_context():
        return FollowUpAction.get_or_none(FollowUpAction.id == action_id)


def for_incident(number: int) -> list[FollowUpAction]:
    with db.connection_context():
        return list(
            FollowUpAction.select()
            .where(FollowUpAction.incident == number)
            .order_by(FollowUpAction.done, FollowUpAction.id)
        )


def complete(action_id: int, actor: Actor) -> FollowUpAction | None:
    """Mark done; None when it already was (a second click changes nothing)."""
    with db.connection_context(), write_transaction():
        now = utcnow()
        marked = (
            FollowUpAction.update(done=True, done_by=actor.user_id, done_at=now)
            .where((FollowUpAction.id == action_id) & ~FollowUpAction.done)
            .execute()
        )
        action = FollowUpAction.get_or_none(FollowUpAction.id == action_id)
        if not marked or action is None:
            return None
        number = action.incident_id  # type: ignore[attr-defined]
        _on_timeline(number, f"Follow-up done: {action.title}", actor, now)
        AuditEntry.create(
            incident=action.incident_id,  # type: ignore[attr-defined]
            at=now,
            actor_id=actor.user_id,
            source=actor.source,
            action="action_done",
            new_value=action.title,
            details={"action": action.id},
        )
    return action


def assign(
    number: int, action_id: int, owner_id: str, actor: Actor, *, key: str | None = None
) -> tuple[FollowUpAction, str | None] | None:
    """Give follow-up `action_id` of incident `number` to `owner_id`; the follow-up and
    its previous owner, or None when it already was theirs. LookupError when the incident
    has no such follow-up, ValueError when it is done."""
    with db.connection_context(), write_transaction():
        claim(key)
        action = FollowUpAction.get_or_none(
            (FollowUpAction.id == action_id) & (FollowUpAction.incident == number)
        )
        if action is None:
            raise LookupError(f"Incident {number} has no follow-up action {action_id}.")
        if action.done:
            raise ValueError(f"Follow-up action {action_id} is done already.")
        previous = action.owner_id
        if previous == owner_id:
            return None
        now = utcnow()
        FollowUpAction.update(owner_id=owner_id).where(FollowUpAction.id == action_id).execute()
        action.owner_id = owner_id
        _on_timeline(number, f"Follow-up assigned to <@{owner_id}>: {action.title}", actor, now)
        AuditEntry.create(
            incident=number,
            at=now,
            actor_id=actor.user_id,
            source=actor.source,
            action="action_assigned",
            old_value=previous,
            new_value=owner_id,
            details={"action": action.id},
        )
    return action, previous


def _added_text(action: FollowUpAction, zone: ZoneInfo) -> str:
    """The timeline's line for a new follow-up, in Slack's markup (the owner a mention)."""
    details = [f"owner <@{action.owner_id}>" if action.owner_id else "no owner"]
    day = action.due_day(zone)
    if day is not None:
        details.append(f"due {day.isoformat()}")
    if action.ticket_url:
        details.append(f"ticket <{action.ticket_url}>")
    return f"Follow-up added: {action.title} ({'; '.join(details)})"


def _on_timeline(number: int, text: str, actor: Actor, now: dt.datetime) -> None:
    """Follow-ups are part of the story: added and done, each an entry (kind `action`)."""
    TimelineEvent.create(
        incident=number,
        kind=Kind.ACTION,
        text=text,
        author_id=actor.user_id,
        author_name=actor.name,
        occurred_at=now,
        source=actor.source,
        created_at=now,
    )
