"""What a person does in Slack, as steps tests can reuse."""

from __future__ import annotations

import time
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
    slack: FakeSlack,
    text: str = "",
    *,
    user: str = ALICE,
    channel: str = GENERAL,
    via: str | None = None,
) -> dict[str, Any]:
    delivery = slack.slash_command(text, user=user, channel=channel, via=via)
    assert ack_body(delivery) is None  # an empty ack: nothing shown, the modal opens
    return slack.wait_for_view(callback_id=DECLARE_CALLBACK)


def submit_declare(
    slack: FakeSlack,
    view: dict[str, Any],
    *,
    user: str = ALICE,
    via: str | None = None,
    **values: Any,
) -> Any:
    fields = {
        "title": "Checkout latency above 2s",
        "summary": "p95 jumped to 2.4 s",
        "impact": "EU customers cannot pay",
        "severity": "2",
        "lead": BOB,
    }
    fields.update(values)
    return ack_body(slack.submit_view(view["id"], fields, user=user, via=via))


def declare(
    slack: FakeSlack,
    title: str = "Checkout latency above 2s",
    *,
    user: str = ALICE,
    channel: str = GENERAL,
    via: str | None = None,
    **values: Any,
) -> None:
    """Declare through the modal and wait until the reporter has been told."""
    before = len(confirmations(slack, user))
    view = open_declare_modal(slack, title, user=user, channel=channel, via=via)
    assert submit_declare(slack, view, user=user, title=title, via=via, **values) is None
    wait_for_confirmation(slack, user, before + 1)


def wait_for_confirmation(slack: FakeSlack, user: str = ALICE, count: int = 1) -> Any:
    """The `count`-th confirmation to `user`, once it has been sent."""
    deadline = time.monotonic() + 10
    while len(found := confirmations(slack, user)) < count:
        assert time.monotonic() < deadline, "the reporter was not told the incident is declared"
        time.sleep(0.02)
    return found[count - 1]


def confirmations(slack: FakeSlack, user: str = ALICE) -> list[Any]:
    """What told `user` an incident is declared: through the response_url of the command
    that opened the form (shown where they typed it), or an ephemeral message or a DM."""
    found = []
    for call in slack.calls:
        text = str(call.params.get("text", ""))
        if "is declared" not in text or not call.ok:
            continue
        if call.method == "response_url" or call.params.get("user") == user or (
            call.method == "chat.postMessage" and call.params.get("channel") == user
        ):
            found.append(call)
    return found
