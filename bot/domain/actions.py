"""Follow-up actions: what must happen after the incident, who owns it, whether it is done."""

from __future__ import annotations

from bot.domain.lifecycle import Actor, claim
from models import AuditEntry, FollowUpAction, db
from models.db import write_transaction
from models.fields import utcnow

# The attr-defined ignores below: Peewee adds the implicit "id" primary key and the
# foreign key's "incident_id" accessor at runtime, and peewee-stubs cannot see either.


def add(
    number: int, title: str, owner_id: str | None, actor: Actor, *, key: str | None = None
) -> FollowUpAction:
    if not title.strip():
        raise ValueError("Say what needs doing: /incident action <text> [@owner]")
    with db.connection_context(), write_transaction():
        claim(key)
        now = utcnow()
        action: FollowUpAction = FollowUpAction.create(
            incident=number,
            title=title.strip(),
            owner_id=owner_id,
            created_by=actor.user_id,
            created_at=now,
        )
        AuditEntry.create(
            incident=number,
            at=now,
            actor_id=actor.user_id,
            source=actor.source,
            action="action",
            new_value=title.strip(),
            details={"action": action.id, "owner": owner_id},
        )
    return action


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
