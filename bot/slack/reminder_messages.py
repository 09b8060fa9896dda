"""How a reminder reads in Slack, with its Snooze / Dismiss buttons, and how it reads once
someone has settled it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.domain import durations, reminders
from bot.domain.reminders import DueReminder
from bot.slack.blocks import UPDATE, Blocks, escape, mention, mrkdwn

SNOOZE_ACTION = "reminder_snooze"
DISMISS_ACTION = "reminder_dismiss"
ACTIONS_BLOCK = "reminder_actions"
TEXT_BLOCK = "reminder_text"


HOW_TO_UPDATE = "with the button below or `/incident` in this channel"


def reminder_text(item: DueReminder) -> str:
    """The reminder in words (also the notification text), asking one person by name."""
    who, since = mention(item.ask), durations.human(item.elapsed)
    name = f"Incident {item.number}: {escape(item.title)}"
    if item.kind == reminders.NO_LEAD:
        return (
            f":bell: *{name}* has had no lead for {since}. {who}, who is leading it? "
            f"Set a lead so everyone knows who decides: {HOW_TO_UPDATE}, "
            "or `/incident lead @person`."
        )
    if item.kind == reminders.NO_SEVERITY:
        return (
            f":bell: *{name}* has had no severity for {since}. {who}, how bad is it? "
            f"Set a severity so the right people pay attention: {HOW_TO_UPDATE}, "
            "or `/incident severity 1-4`."
        )
    if item.kind == reminders.UPDATE_OVERDUE:
        return (
            f":bell: *{name}* (SEV{item.severity}) has had no update for {since}. {who}, "
            "please post an update (what we know, what we are doing, when the next one is) "
            f"{HOW_TO_UPDATE}; a note or a new status, summary or impact counts too."
        )
    return (
        f":bell: *{name}* has been open for {since}. {who}, is it still going on? "
        f"Post an update on where it stands {HOW_TO_UPDATE}, or resolve it."
    )


# The button that opens the Update form, by what the reminder asks for.
UPDATE_LABELS: dict[str, str] = {
    reminders.NO_LEAD: "Set a lead",
    reminders.NO_SEVERITY: "Set a severity",
    reminders.UPDATE_OVERDUE: "Post an update",
    reminders.OPEN_LONG: "Post an update",
}


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
                    # The announcement's Update button: the same form, for this incident.
                    "type": "button",
                    "action_id": UPDATE,
                    "value": str(item.number),
                    "style": "primary",
                    "text": {"type": "plain_text", "text": UPDATE_LABELS[item.kind]},
                },
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
    kept: Blocks = []
    for block in message.get("blocks") or []:
        if block.get("block_id") != ACTIONS_BLOCK:
            kept.append(block)
            continue
        # What it asked for may still be wanted: only Snooze and Dismiss are spent.
        still = [e for e in block.get("elements") or [] if e.get("action_id") == UPDATE]
        if still:
            kept.append({**block, "elements": still})
    blocks = kept + [{"type": "context", "elements": [mrkdwn(note)]}]
    return f"{message.get('text') or 'Reminder'} ({note})", blocks


def slack_time(moment: dt.datetime, zone: Any) -> str:
    """A time each reader sees in their own zone; the fallback is in the working zone."""
    local = moment.astimezone(zone)
    return f"<!date^{int(moment.timestamp())}^{{time}}|{local:%H:%M} {local.tzname()}>"
