"""What a person does in Slack, as steps tests can reuse."""

from __future__ import annotations

import json
import time
from typing import Any

from fakeslack import FakeSlack
from models import Incident, TimelineEvent
from testkit.harness import ALICE, BOB, GENERAL, INCIDENTS

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
        if (
            call.method == "response_url"
            or call.params.get("user") == user
            or (call.method == "chat.postMessage" and call.params.get("channel") == user)
        ):
            found.append(call)
    return found


def incident_of(database: Any, number: int = 1) -> Incident:
    with database.connection_context():
        return Incident.get_by_id(number)


def timeline_of(database: Any, number: int, kind: str | None = None) -> list[TimelineEvent]:
    """Incident `number`'s timeline entries (of `kind`), oldest first; not those taken off
    it (kept in the record as removed)."""
    with database.connection_context():
        query = TimelineEvent.select().where(
            (TimelineEvent.incident == number) & TimelineEvent.removed_at.is_null()
        )
        if kind is not None:
            query = query.where(TimelineEvent.kind == kind)
        return list(query.order_by(TimelineEvent.occurred_at, TimelineEvent.id))


def shown(delivery: Any) -> str:
    """What a person sees of a command's answer: its blocks, else its text."""
    assert delivery.ok, delivery
    body = delivery.response or {}
    texts = [
        str((b.get("text") or {}).get("text") or "")
        for b in body.get("blocks") or []
        if isinstance(b, dict)
    ]
    return "\n".join(texts) or str(body.get("text") or "")


def mention_event(
    slack: FakeSlack, channel: str, user: str, text: str, *, raw: bool = False, **extra: Any
) -> Any:
    """A person posts `text` mentioning the bot, and Slack sends the app_mention event.
    `raw`: the text is already as Slack stores it (its mentions escaped)."""
    ts = slack.post_message(channel, user, text, raw=raw)
    event = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "team": slack.TEAM_ID,
        **extra,
    }
    return slack.send_event(event)


def settle(seconds: float = 0.5) -> None:
    """Room for work that follows an ack to happen, when a test asserts it did not."""
    time.sleep(seconds)


def topic_of(slack: FakeSlack, channel: str) -> str:
    return str(slack.channels[channel]["topic"]["value"])


def announcement_text(slack: FakeSlack, incident: Incident) -> str:
    """The announcement of `incident` in the incidents channel, as JSON text."""
    message = next(m for m in slack.messages(INCIDENTS) if m["ts"] == incident.announcement_ts)
    return json.dumps(message)
