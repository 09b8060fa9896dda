"""The Snooze / Dismiss buttons on a reminder (how it reads: bot.slack.reminder_messages)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import reminders
from bot.domain.numbers import whole_number
from bot.features.deps import Deps, bind
from bot.slack import answers, heard
from bot.slack.actors import actor
from bot.slack.answers import Where
from bot.slack.blocks import mention
from bot.slack.reminder_messages import DISMISS_ACTION, SNOOZE_ACTION, settled, slack_time
from models import Source
from models.fields import utcnow

log = logging.getLogger(__name__)


def _reminder_id(action: dict[str, Any]) -> int | None:
    return whole_number(action.get("value"))


def _may(body: dict[str, Any], context: BoltContext, deps: Deps) -> bool:
    """The same rule as every change (bot.domain.permissions); told why not if not."""
    _, refused = actor(
        deps.quick,
        body["user"]["id"],
        Source.BUTTON,
        context,
        team_hint=body["user"].get("team_id"),
    )
    context["refused"] = refused
    return refused is None


def snooze(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    ack()
    if not _may(body, context, deps):
        return
    settings = deps.settings.reminders
    reminder_id, user = _reminder_id(action), body["user"]["id"]
    until = utcnow() + dt.timedelta(minutes=settings.snooze_minutes)
    if reminder_id is None or reminders.snooze(reminder_id, user, until) is None:
        # Unknown, or settled already (a second click, on a client still showing the
        # buttons): say who settled it.
        context["refused"] = _settled_already(reminder_id)
        return
    log.info("reminder snoozed", extra={"reminder": reminder_id, "user": user})
    # "{who}" is named in `settle`, after the ack: looking a name up may wait on Slack.
    context["note"] = "Snoozed by {who} until " + slack_time(until, settings.zone)


def dismiss(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    ack()
    if not _may(body, context, deps):
        return
    reminder_id, user = _reminder_id(action), body["user"]["id"]
    if reminder_id is None or reminders.dismiss(reminder_id, user, utcnow()) is None:
        context["refused"] = _settled_already(reminder_id)
        return
    log.info("reminder dismissed", extra={"reminder": reminder_id, "user": user})
    context["note"] = "Dismissed by {who}"


def settle(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """After the ack: the edit may wait on Slack's rate limits, the click never does."""
    if context.get("refused"):
        answers.tell(client, Where.of(body), context["refused"])
    elif context.get("note"):
        # Named, not mentioned: the channel reads who did it without pinging them.
        who = heard.named(client, body["user"]["id"])
        _settle(client, body, context["note"].replace("{who}", who, 1))


def register(app: App, deps: Deps) -> None:
    app.action(SNOOZE_ACTION)(ack=bind(snooze, deps), lazy=[settle])
    app.action(DISMISS_ACTION)(ack=bind(dismiss, deps), lazy=[settle])


def _settled_already(reminder_id: int | None) -> str | None:
    row = reminders.get(reminder_id) if reminder_id is not None else None
    if row is None:
        return None
    if row.dismissed_at is not None:
        return f"This reminder was already dismissed by {mention(row.dismissed_by)}."
    if row.snoozed_until is not None:
        return f"This reminder was already snoozed by {mention(row.snoozed_by)}."
    return None


def _settle(client: WebClient, body: dict[str, Any], note: str) -> None:
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
    text, blocks = settled(message, note)
    client.chat_update(
        channel=channel,
        ts=message.get("ts") or body["container"]["message_ts"],
        text=text,
        blocks=blocks,
    )
