"""Keeping the record of incident channel members in step with Slack."""

from __future__ import annotations

from collections.abc import Iterable

from models import AuditEntry, Incident, db
from models.db import write_transaction
from models.fields import utcnow
from models.membership import ChannelMember


def joined(channel_id: str, *user_ids: str) -> None:
    if not user_ids:
        return
    now = utcnow()
    rows = [{"channel_id": channel_id, "user_id": user, "joined_at": now} for user in user_ids]
    with db.connection_context():
        ChannelMember.insert_many(rows).on_conflict_ignore().execute()


def invited(channel_id: str, user_ids: list[str], *, by: str | None, source: str) -> None:
    """The bot invited these people to an incident's channel: one audit row saying so."""
    if not user_ids:
        return
    with db.connection_context():
        number = Incident.number_in_channel(channel_id)
        if number is None:
            return
        AuditEntry.create(
            incident=number,
            at=utcnow(),
            actor_id=by,
            source=source,
            action="invited",
            new_value=",".join(user_ids),
        )


def left(channel_id: str, user_id: str) -> None:
    with db.connection_context():
        ChannelMember.delete().where(
            (ChannelMember.channel_id == channel_id) & (ChannelMember.user_id == user_id)
        ).execute()


def replace(channel_id: str, user_ids: Iterable[str]) -> None:
    """The full member list, as conversations.members gave it."""
    wanted = set(user_ids)
    now = utcnow()
    with db.connection_context(), write_transaction():
        (
            ChannelMember.delete()
            .where(
                (ChannelMember.channel_id == channel_id)
                & ChannelMember.user_id.not_in(wanted or {""})
            )
            .execute()
        )
        if wanted:
            (
                ChannelMember.insert_many(
                    [
                        {"channel_id": channel_id, "user_id": user, "joined_at": now}
                        for user in sorted(wanted)
                    ]
                )
                .on_conflict_ignore()
                .execute()
            )


def members(channel_id: str) -> set[str]:
    with db.connection_context():
        return {
            row.user_id
            for row in ChannelMember.select().where(ChannelMember.channel_id == channel_id)
        }
