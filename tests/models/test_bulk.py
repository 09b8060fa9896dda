"""models.bulk.insert_rows: many rows at once, as the ORM would have stored them."""

from __future__ import annotations

from models import ChannelMember, Incident, TimelineEvent
from models.bulk import MAX_PARAMS, insert_rows
from models.fields import utcnow


def test_rows_go_in_with_their_defaults_and_values_as_the_orm_stores_them(database) -> None:
    now = utcnow()
    with database.connection_context():
        insert_rows(Incident, [{"id": 41, "title": "Bulk", "reporter_id": "U1"}])
        many = [
            {
                "incident": 41,
                "kind": "note",
                "text": f"n{i}",
                "occurred_at": now,
                "details": {"i": i},
            }
            for i in range(MAX_PARAMS // 5 + 3)  # more than one statement's worth
        ]
        insert_rows(TimelineEvent, many)
        stored = Incident.get_by_id(41)
        assert (stored.status, stored.summary, stored.revision) == ("investigating", "", 0)
        rows = list(TimelineEvent.select().order_by(TimelineEvent.id))
        assert len(rows) == len(many)
        assert rows[-1].details == {"i": len(many) - 1} and rows[0].files == []
        assert rows[0].occurred_at == now


def test_rows_that_break_a_unique_key_can_be_left_out(database) -> None:
    with database.connection_context():
        insert_rows(ChannelMember, [{"channel_id": "C1", "user_id": "U1"}])
        insert_rows(
            ChannelMember,
            [{"channel_id": "C1", "user_id": "U1"}, {"channel_id": "C1", "user_id": "U2"}],
            skip_conflicts=True,
        )
        assert sorted(m.user_id for m in ChannelMember.select()) == ["U1", "U2"]
