"""Pinned messages in an incident channel become timeline entries; unpinning takes them off
(kept in the record as removed, by whom and when).

A pin is stored before Slack hears it was received. A redelivered or late pin_added is
checked against the channel's pins first: the message may have been unpinned meanwhile,
and the late delivery must not bring it back.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents, timeline
from bot.features.deps import Deps, bind
from bot.slack.messages import fill_in_author, message_entry, unnamed
from models.fields import utcnow

log = logging.getLogger(__name__)

# A delivery this much older than its event is late: Slack retried it, or it waited.
LATE_SECONDS = 30.0


def is_redelivery(request: BoltRequest, event_time: Any) -> bool:
    retries = request.headers.get("x-slack-retry-num") or ["0"]
    if str(retries[0]) not in ("", "0"):
        return True
    late = isinstance(event_time, int | float) and utcnow().timestamp() - event_time > LATE_SECONDS
    return late


def still_pinned(quick: WebClient, channel: str, ts: str) -> bool:
    """Whether the message is pinned now. When Slack cannot say just now (pins.list is
    rate limited after an outage that made Slack retry a burst of pins), the pin is taken
    as Slack reported it: a pin kept that was since unpinned can be unpinned again; a pin
    dropped because Slack was busy would be lost for good."""
    try:
        items = quick.pins_list(channel=channel).get("items") or []
    except (SlackApiError, OSError) as error:
        log.warning("pins not checked", extra={"error": str(error)[:80]})
        return True
    return any((item.get("message") or {}).get("ts") == ts for item in items)


def _pinned_message(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The channel and the message a pin event names, if it names a message Slack would."""
    item = event.get("item") or {}
    message = item.get("message")
    channel = event.get("channel_id") or item.get("channel")
    if (
        item.get("type") != "message"
        or not isinstance(message, dict)
        or not timeline.is_slack_ts(message.get("ts"))
        or not isinstance(channel, str)
    ):
        return None
    return channel, message


def pin_added(
    event: dict[str, Any],
    body: dict[str, Any],
    request: BoltRequest,
    client: WebClient,
    *,
    deps: Deps,
) -> None:
    """Before the ack: the pinned message goes on its incident's timeline."""
    pinned = _pinned_message(event)
    if pinned is None:
        return
    channel, message = pinned
    number = incidents.number_for_channel(channel)
    if number is None:
        return
    if is_redelivery(request, body.get("event_time")) and not still_pinned(
        deps.quick, channel, message["ts"]
    ):
        log.info("late pin of an unpinned message ignored", extra={"incident": number})
        return
    entry = message_entry(deps.quick, channel, message, event.get("user"))
    timeline.add_pin(number, entry)
    if unnamed(entry):
        # After the ack, on the names pool: never delays the ack or the listeners.
        deps.names.submit(fill_in_author, client, number, entry.message_ts, entry.author_id)


def pin_removed(event: dict[str, Any]) -> None:
    """The pin's hold on the timeline entry goes (another hold may keep the entry)."""
    item = event.get("item") or {}
    message = item.get("message") or {}
    channel = event.get("channel_id") or item.get("channel")
    if not isinstance(channel, str) or not timeline.is_slack_ts(message.get("ts")):
        return
    number = incidents.number_for_channel(channel)
    if number is not None:
        timeline.remove_pin(number, message["ts"], by=event.get("user"))


def register(app: App, deps: Deps) -> None:
    app.event("pin_added")(bind(pin_added, deps))
    app.event("pin_removed")(pin_removed)
