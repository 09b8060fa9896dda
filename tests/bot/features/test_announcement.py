"""The announcement's buttons: Join channel, Update, Resolve."""

from __future__ import annotations

from fakeslack import FakeSlack
from models import AuditEntry, StatusChange
from testkit.harness import ALICE, BOB, CAROL, INCIDENTS, RunningBot, eventually
from tests.bot.flows import declare, incident_of


def test_resolve_button_resolves_once_and_removes_the_buttons(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Button resolve")
    incident = incident_of(database)
    clicked = slack.click(
        "incident_resolve", user=BOB, channel=INCIDENTS, message_ts=incident.announcement_ts
    )
    assert clicked.ok
    slack.wait_for_call(
        "chat.update", where=lambda c: c.params.get("ts") == incident.announcement_ts, timeout=10
    )
    resolved = incident_of(database)
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    with database.connection_context():
        assert StatusChange.get(StatusChange.source != "declare").source == "button"
    announcement = next(m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts)
    # Resolve and the others are gone; what is left is the way back.
    [actions] = [b for b in announcement["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["incident_reopen"]


def test_join_button_invites_the_person(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Join me", lead=None)
    incident = incident_of(database)
    assert CAROL not in slack.channels[incident.channel_id]["members"]
    assert slack.click(
        "incident_join", user=CAROL, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    slack.wait_for_call(
        "conversations.invite", where=lambda c: c.params.get("users") == CAROL, timeout=10
    )
    assert CAROL in slack.channels[incident.channel_id]["members"]
    # Each invitation is in the audit: the reporter's at the declaration, Carol's by the button.
    eventually(lambda: len(_invitations(database, incident.id)) == 2, 5, "Carol's invitation")
    assert _invitations(database, incident.id) == [
        (ALICE, "declare", ALICE),
        (CAROL, "button", CAROL),
    ]


def _invitations(database, number: int) -> list[tuple[str | None, str, str | None]]:
    with database.connection_context():
        rows = AuditEntry.select().where(
            (AuditEntry.incident == number) & (AuditEntry.action == "invited")
        )
        return [(r.actor_id, r.source, r.new_value) for r in rows.order_by(AuditEntry.id)]


def test_update_button_opens_the_modal(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Update me")
    incident = incident_of(database)
    assert slack.click(
        "incident_update", user=ALICE, channel=INCIDENTS, message_ts=incident.announcement_ts
    ).ok
    view = slack.wait_for_view(callback_id="incident_update")
    assert view["title"]["text"] == f"Update incident {incident.id}"
