"""Changing an incident through the domain alone, on SQLite and PostgreSQL: the row, its
timeline entry, the audit and the status history move together, once per delivery."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from bot.domain import incidents, lifecycle
from bot.domain.incidents import Declaration
from bot.domain.lifecycle import Actor, Change, Fields, describe
from models import AuditEntry, Incident, Source, StatusChange, TimelineEvent
from testkit.harness import ALICE, BOB

CAROL = "U0CAROL00"


def _declared(severity: int | None = None) -> Incident:
    incident = incidents.declare(
        Declaration(
            title="Queue backlog",
            summary="",
            impact="",
            severity=severity,
            lead_id=None,
            reporter_id=ALICE,
            is_private=False,
        )
    )
    assert incident is not None
    return incident


def _timeline(number: int) -> list[tuple[str, str, str | None, str | None]]:
    rows = TimelineEvent.select().where(TimelineEvent.incident == number).order_by(TimelineEvent.id)
    return [(e.kind, e.text, e.author_id, e.source) for e in rows]


def test_a_change_stores_the_row_the_timeline_and_the_audit_together(database) -> None:
    incident = _declared()
    bob = Actor(BOB, Source.MODAL, "Bob")
    with freeze_time("2026-12-02 10:00:00"):
        outcome = lifecycle.change(
            incident.id, bob, Fields(status="identified", severity=2, lead=CAROL, summary=" x ")
        )
    assert [(c.field, c.old, c.new) for c in outcome.changes] == [
        ("lead", None, CAROL),
        ("status", "investigating", "identified"),
        ("severity", None, 2),
        ("summary", "", "x"),
    ]
    with database.connection_context():
        stored = Incident.get_by_id(incident.id)
        assert (stored.status, stored.severity, stored.lead_id, stored.summary) == (
            "identified",
            2,
            CAROL,
            "x",
        )
        # A lead set is the incident acknowledged; identified is a milestone.
        assert stored.acknowledged_at.isoformat() == "2026-12-02T10:00:00+00:00"
        assert stored.identified_at.isoformat() == "2026-12-02T10:00:00+00:00"
        assert stored.revision == incident.revision + 1
        assert _timeline(incident.id)[-4:] == [
            ("lead", f"Lead: not set → <@{CAROL}>", BOB, "modal"),
            ("status", "Status: Investigating → Identified", BOB, "modal"),
            ("severity", "Severity: not set → SEV2 Major", BOB, "modal"),
            ("summary", "Summary is now: x", BOB, "modal"),
        ]
        audit = AuditEntry.select().where(AuditEntry.incident == incident.id)
        assert {(a.action, a.old_value, a.new_value, a.source) for a in audit} >= {
            ("status", "investigating", "identified", "modal"),
            ("severity", None, "2", "modal"),
        }
        history = StatusChange.select().where(StatusChange.incident == incident.id)
        assert [(h.from_status, h.status, h.source) for h in history.order_by(StatusChange.id)] == [
            (None, "investigating", "declare"),
            ("investigating", "identified", "modal"),
        ]


def test_a_field_as_it_already_is_changes_nothing(database) -> None:
    incident = _declared(severity=3)
    before = _timeline(incident.id)
    outcome = lifecycle.change(incident.id, Actor(BOB, Source.COMMAND), Fields(severity=3))
    assert not outcome.changed
    assert _timeline(incident.id) == before
    with database.connection_context():
        assert Incident.get_by_id(incident.id).revision == incident.revision


def test_a_redelivered_change_is_refused_and_stores_nothing_twice(database) -> None:
    incident = _declared()
    alice = Actor(ALICE, Source.COMMAND)
    lifecycle.change(incident.id, alice, Fields(status="monitoring"), key="cmd:1")
    with pytest.raises(lifecycle.Duplicate):
        lifecycle.change(incident.id, alice, Fields(status="identified"), key="cmd:1")
    with database.connection_context():
        assert Incident.get_by_id(incident.id).status == "monitoring"
    assert [k for k, *_ in _timeline(incident.id)].count("status") == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (Fields(status="closed"), "Status is one of"),
        (Fields(severity=7), "unknown severity"),
        (Fields(title="   "), "A title has 1 to"),
    ],
)
def test_a_value_that_cannot_be_stored_is_refused_whole(
    database, fields: Fields, message: str
) -> None:
    incident = _declared()
    with pytest.raises(ValueError, match=message):
        lifecycle.change(incident.id, Actor(BOB, Source.COMMAND), fields)
    with database.connection_context():
        assert Incident.get_by_id(incident.id).revision == incident.revision


def test_resolve_then_reopen_keeps_the_history_and_clears_the_resolution(database) -> None:
    incident = _declared()
    bob = Actor(BOB, Source.BUTTON)
    with freeze_time("2026-12-02 11:00:00"):
        lifecycle.resolve(incident.id, bob)
    with pytest.raises(lifecycle.NotAllowed, match="already resolved"):
        lifecycle.resolve(incident.id, bob)
    with database.connection_context():
        assert Incident.get_by_id(incident.id).resolved_at is not None
    lifecycle.reopen(incident.id, bob)
    with pytest.raises(lifecycle.NotAllowed, match="is not resolved"):
        lifecycle.reopen(incident.id, bob)
    with database.connection_context():
        stored = Incident.get_by_id(incident.id)
        assert (stored.status, stored.resolved_at) == ("investigating", None)
        history = StatusChange.select().where(StatusChange.incident == incident.id)
        assert [h.status for h in history.order_by(StatusChange.id)] == [
            "investigating",
            "resolved",
            "investigating",
        ]


def test_the_update_form_stores_its_changes_and_message_or_neither(database) -> None:
    incident = _declared()
    carol = Actor(CAROL, Source.MODAL, "Carol")
    lifecycle.update(
        incident.id, carol, Fields(impact="EU card payments"), key="view:1", message="Failover"
    )
    kinds = [(kind, text) for kind, text, *_ in _timeline(incident.id)]
    assert ("impact", "Impact is now: EU card payments") in kinds
    assert ("update", "Failover") in kinds
    with database.connection_context():
        assert Incident.get_by_id(incident.id).last_update_at is not None
    # A bad field refuses the whole form: the message is not stored without it.
    with pytest.raises(ValueError):
        lifecycle.update(incident.id, carol, Fields(status="bogus"), key="view:2", message="Lost?")
    assert ("update", "Lost?") not in [(k, t) for k, t, *_ in _timeline(incident.id)]


def test_a_change_to_an_incident_that_does_not_exist_says_so(database) -> None:
    with pytest.raises(LookupError):
        lifecycle.change(4242, Actor(BOB, Source.COMMAND), Fields(severity=1))


def test_a_change_reads_old_to_new_and_a_text_reads_as_it_is_now() -> None:
    assert describe(Change("status", "investigating", "identified")) == (
        "Status: Investigating → Identified"
    )
    assert describe(Change("severity", None, 1)) == "Severity: not set → SEV1 Critical"
    assert describe(Change("lead", "U1", "U2")) == "Lead: <@U1> → <@U2>"
    assert describe(Change("impact", "", "EU payments")) == "Impact is now: EU payments"


def test_peoples_words_in_a_stored_change_can_neither_link_nor_ping() -> None:
    """The timeline's text is mrkdwn: a typed link is shown as text, a mention stays a name."""
    change = Change("summary", "", "see <https://evil.example|the runbook> & ask <@U1> <!here>")
    assert describe(change) == (
        "Summary is now: see &lt;https://evil.example|the runbook&gt; &amp; ask <@U1> &lt;!here&gt;"
    )


def test_an_empty_lead_leaves_the_lead_as_it_is(database) -> None:
    incident = _declared()
    lifecycle.change(incident.id, Actor(BOB, Source.COMMAND), Fields(lead=CAROL))
    outcome = lifecycle.change(incident.id, Actor(BOB, Source.COMMAND), Fields(lead=""))
    assert not outcome.changed
    with database.connection_context():
        assert Incident.get_by_id(incident.id).lead_id == CAROL
