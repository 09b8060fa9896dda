"""What a person does in Slack, as steps tests can reuse."""

from __future__ import annotations

from typing import Any

from fakeslack import FakeSlack
from tests.bot.harness import ALICE, BOB, GENERAL

DECLARE_CALLBACK = "incident_declare"


def ack_body(delivery: Any) -> Any:
    """The answer to a delivery, whichever way it travelled (HTTP body or socket ack payload)."""
    assert delivery.ok, delivery
    body = delivery.body if delivery.status is not None else delivery.ack_payload
    return body or None


def open_declare_modal(
    slack: FakeSlack, text: str = "", *, user: str = ALICE, channel: str = GENERAL
) -> dict[str, Any]:
    delivery = slack.slash_command(text, user=user, channel=channel)
    assert ack_body(delivery) is None  # an empty ack: nothing shown, the modal opens
    return slack.wait_for_view(callback_id=DECLARE_CALLBACK)


def submit_declare(
    slack: FakeSlack, view: dict[str, Any], *, user: str = ALICE, **values: Any
) -> Any:
    fields = {
        "title": "Checkout latency above 2s",
        "summary": "p95 jumped to 2.4 s",
        "impact": "EU customers cannot pay",
        "severity": "2",
        "lead": BOB,
    }
    fields.update(values)
    return ack_body(slack.submit_view(view["id"], fields, user=user))


def declare(
    slack: FakeSlack,
    title: str = "Checkout latency above 2s",
    *,
    user: str = ALICE,
    channel: str = GENERAL,
    **values: Any,
) -> None:
    """Declare through the modal and wait until the reporter has been told."""

    def told(call: Any) -> bool:
        return call.params.get("user") == user and "is declared" in call.params.get("text", "")

    before = len([c for c in slack.calls_to("chat.postEphemeral") if told(c)])
    view = open_declare_modal(slack, title, user=user, channel=channel)
    assert submit_declare(slack, view, user=user, title=title, **values) is None
    slack.wait_for_call("chat.postEphemeral", where=told, count=before + 1, timeout=10)
