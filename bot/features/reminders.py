"""Reminder messages: how they read, and their Snooze / Dismiss buttons."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import answers
from bot.actors import actor
from bot.answers import Where
from bot.blocks import Blocks, escape, mention, mrkdwn
from bot.deps import Deps
from bot.domain import reminders
from bot.domain.reminders import DueReminder
from models.fields import utcnow

log = logging.getLogger(__name__)

SNOOZE_ACTION = "reminder_snooze"
DISMISS_ACTION = "reminder_dismiss"
ACTIONS_BLOCK = "reminder_actions"
TEXT_BLOCK = "reminder_text"


def _duration(elapsed: dt.timedelta) -> str:
    minutes = int(elapsed.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}"
        for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if n
    ]
    return " ".join(parts[:2]) or "less than a minute"


def reminder_text(item: DueReminder) -> str:
    """The reminder in words (also the notification text), asking one person by name."""
    who, since = mention(item.ask), _duration(item.elapsed)
    name = f"Incident {item.number}: {escape(item.title)}"
    if item.kind == reminders.NO_LEAD:
        return (
            f":bell: *{name}* has had no lead for {since}. {who}, who is leading it? "
            "Set a lead so everyone knows who decides."
        )
    if item.kind == reminders.NO_SEVERITY:
        return (
            f":bell: *{name}* has had no severity for {since}. {who}, how bad is it? "
            "Set a severity so the right people pay attention."
        )
    if item.kind == reminders.UPDATE_OVERDUE:
        return (
            f":bell: *{name}* (SEV{item.severity}) has had no update for {since}. {who}, "
            "please post an update: what we know, what we are doing, when the next one is."
        )
    return (
        f":bell: *{name}* has been open for {since}. {who}, is it still going on? "
        "Post an update on where it stands, or resolve it."
    )


def reminder_message(
    item: DueReminder, reminder_id: int, snooze_minutes: int
) -> tuple[str, Blocks]:
    text = reminder_text(item)
    value = str(reminder_id)
    blocks: Blocks = [
        {"type": "section", "block_id": TEXT_BLOCK, "text": mrkdwn(text)},
        {
            "type": "actions",
            "block_id": ACTIONS_BLOCK,
            "elements": [
                {
                    "type": "button",
                    "action_id": SNOOZE_ACTION,
                    "value": value,
                    "text": {"type": "plain_text", "text": f"Snooze {snooze_minutes} min"},
                },
                {
                    "type": "button",
                    "action_id": DISMISS_ACTION,
                    "value": value,
                    "text": {"type": "plain_text", "text": "Dismiss"},
                },
            ],
        },
    ]
    return text, blocks


def settled(message: dict[str, Any], note: str) -> tuple[str, Blocks]:
    """The reminder as posted, its buttons replaced by who did what."""
    kept = [b for b in message.get("blocks") or [] if b.get("block_id") != ACTIONS_BLOCK]
    blocks = kept + [{"type": "context", "elements": [mrkdwn(note)]}]
    return f"{message.get('text') or 'Reminder'} ({note})", blocks


def slack_time(moment: dt.datetime, zone: Any) -> str:
    """A time each reader sees in their own zone; the fallback is in the working zone."""
    local = moment.astimezone(zone)
    return f"<!date^{int(moment.timestamp())}^{{time}}|{local:%H:%M} {local.tzname()}>"


def _reminder_id(action: dict[str, Any]) -> int | None:
    value = str(action.get("value") or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def register(app: App, deps: Deps) -> None:
    settings = deps.settings.reminders

    def may(body: dict[str, Any], context: BoltContext) -> bool:
        """The same rule as every change (bot.domain.permissions); told why not if not."""
        _, refused = actor(
            deps.quick, body["user"]["id"], "button", context, team_hint=body["user"].get("team_id")
        )
        context["refused"] = refused
        return refused is None

    def snooze(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        if not may(body, context):
            return
        reminder_id, user = _reminder_id(action), body["user"]["id"]
        until = utcnow() + dt.timedelta(minutes=settings.snooze_minutes)
        if reminder_id is None or reminders.snooze(reminder_id, user, until) is None:
            # Unknown, or settled already (a second click, on a client still showing the
            # buttons): say who settled it.
            context["refused"] = _settled_already(reminder_id)
            return
        log.info("reminder snoozed", extra={"reminder": reminder_id, "user": user})
        context["note"] = f"Snoozed by {mention(user)} until {slack_time(until, settings.zone)}"

    def dismiss(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        if not may(body, context):
            return
        reminder_id, user = _reminder_id(action), body["user"]["id"]
        if reminder_id is None or reminders.dismiss(reminder_id, user, utcnow()) is None:
            context["refused"] = _settled_already(reminder_id)
            return
        log.info("reminder dismissed", extra={"reminder": reminder_id, "user": user})
        context["note"] = f"Dismissed by {mention(user)}"

    def settle(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """After the ack: the edit may wait on Slack's rate limits, the click never does."""
        if context.get("refused"):
            answers.tell(client, Where.of(body), context["refused"])
        elif context.get("note"):
            _settle(client, body, context["note"])

    app.action(SNOOZE_ACTION)(ack=snooze, lazy=[settle])
    app.action(DISMISS_ACTION)(ack=dismiss, lazy=[settle])


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
