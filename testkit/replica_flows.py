"""Steps the fault tests share: declaring through a chosen replica, and streams of pins."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from peewee import fn

from fakeslack import Delivery
from models import Incident, TimelineEvent
from testkit.harness import BOB, GENERAL
from testkit.slack import ReplicaSlack

DECLARE_FIELDS = {"summary": "fault test", "impact": "none"}


def open_modal(slack: ReplicaSlack, title: str, user: str) -> str:
    """`/incident title` by `user`; returns the id of the modal the bot opened for it."""
    delivery = slack.slash_command(title, user=user, channel=GENERAL)
    assert delivery.ok, delivery
    trigger = delivery.payload["trigger_id"] if delivery.payload else None
    call = slack.wait_for_call(
        "views.open", where=lambda c: c.params.get("trigger_id") == trigger, timeout=10
    )
    return str(call.response["view"]["id"])


def declare_via(slack: ReplicaSlack, title: str, user: str, **fields: Any) -> Delivery:
    """Declare through the modal (to whatever this thread delivers to); returns the submit."""
    view_id = open_modal(slack, title, user)
    return slack.submit_view(
        view_id, {"title": title, **DECLARE_FIELDS, **fields}, user=user, timeout=10
    )


def opened(count: int) -> Callable[[], bool]:
    """True once `count` incidents have a channel, an opening message and an announcement."""

    def check() -> bool:
        return (
            Incident.select()
            .where(
                Incident.channel_id.is_null(False)
                & Incident.opening_message_ts.is_null(False)
                & Incident.announcement_ts.is_null(False)
            )
            .count()
            >= count
        )

    return check


def pin_stream(
    slack: ReplicaSlack, channel: str, n: int, prefix: str = "m"
) -> list[dict[str, Any]]:
    """`n` messages posted in `channel`, and the pin_added event for each (not delivered)."""
    events = []
    for i in range(n):
        ts = slack.post_message(channel, BOB, f"{prefix} {i}")
        # Pinned in the workspace too: a redelivered pin is checked against pins.list.
        events.append(slack.pin_event(channel, ts))
    return events


def stored_pins(incident_id: int) -> tuple[int, int]:
    """(rows, distinct message ts) of pin entries on the incident's timeline."""
    query = TimelineEvent.select().where(
        (TimelineEvent.incident == incident_id) & (TimelineEvent.kind == "pin")
    )
    distinct = query.select(fn.COUNT(TimelineEvent.message_ts.distinct())).scalar()
    return query.count(), int(distinct or 0)


def stored_ts(incident_id: int) -> list[str]:
    return [
        row.message_ts
        for row in TimelineEvent.select(TimelineEvent.message_ts).where(
            (TimelineEvent.incident == incident_id) & (TimelineEvent.kind == "pin")
        )
    ]


def ts_of(event: dict[str, Any]) -> str:
    return str(event["event"]["item"]["message"]["ts"])


def retry_until_ok(send: Callable[[int], bool], deadline: float, pause: float = 0.3) -> int:
    """Deliver like Slack: again (retry_num + 1) after every failure; returns the tries used,
    0 if never acknowledged before `deadline`."""
    attempt = 0
    while time.monotonic() < deadline:
        if send(attempt):
            return attempt + 1
        attempt += 1
        time.sleep(pause)
    return 0
