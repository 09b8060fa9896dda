"""The words after /incident (or an @-mention) inside an incident channel, and what each does.

Each handler stores its change through the domain and returns the reply for the person who
typed it, plus the stored outcome so the caller can bring Slack in step after answering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.channels import rename_target
from bot.command_text import first_user
from bot.domain import actions, durations, incidents, lifecycle
from bot.domain.lifecycle import Actor, NotAllowed, Outcome
from models import SEVERITIES, Incident
from models.fields import utcnow

HELP = """*In an incident channel*
• `/incident` — the Update form (status, severity, lead, summary, impact, an update)
• `/incident lead [@person]` — set the lead (you, if nobody is named)
• `/incident severity <1-4 | critical | major | minor | trivial>`
• `/incident status <investigating | identified | monitoring | resolved>`
• `/incident summary [text]`, `/incident impact [text]` — show or set
• `/incident rename <name>` — rename the channel (keeps its `inc-<number>-` prefix)
• `/incident note <text>` — add a note to the timeline
• `/incident action <text> [@owner]`, `/incident actions` — follow-up actions
• `/incident duration`, `/incident close`, `/incident reopen`
*Anywhere*
• `/incident [what is happening]` or `/incident new [text]` — declare an incident
• `/incident list` — open incidents
The same words work after an @-mention of the bot. Pin a message to add it to the timeline."""


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] | None = None
    outcome: Outcome | None = None
    # The delivery was a repeat: its change was made (and answered) the first time.
    duplicate: bool = False


Handler = Callable[["Invocation"], Reply]


@dataclass(frozen=True)
class Invocation:
    incident: Incident
    rest: str
    actor: Actor
    key: str | None
    client: WebClient


def _change(inv: Invocation, **fields: Any) -> Reply:
    outcome = lifecycle.change(inv.incident.id, inv.actor, key=inv.key, **fields)
    if not outcome.changed:
        return Reply("Nothing to change: it is already so.", outcome=outcome)
    said = "; ".join(f"{c.field} is now {_shown(c.field, c.new)}" for c in outcome.changes)
    return Reply(f"Done: {said}.", outcome=outcome)


def _shown(name: str, value: Any) -> str:
    if name == "severity":
        return str(SEVERITIES.get(value, value))
    if name == "lead":
        return blocks.mention(value)
    return f"“{value}”" if name in ("summary", "impact", "title") else str(value)


def lead(inv: Invocation) -> Reply:
    user, _ = first_user(inv.rest)
    return _change(inv, lead=user or inv.actor.user_id)


def severity(inv: Invocation) -> Reply:
    return _change(inv, severity=lifecycle.parse_severity(inv.rest))


def status(inv: Invocation) -> Reply:
    return _change(inv, status=lifecycle.parse_status(inv.rest))


def _text_field(name: str) -> Handler:
    def handler(inv: Invocation) -> Reply:
        if not inv.rest:
            current = getattr(inv.incident, name) or "_not set yet_"
            return Reply(
                f"*{name.capitalize()}:* {current}\nChange it with `/incident {name} <text>`."
            )
        return _change(inv, **{name: inv.rest})

    return handler


def close(inv: Invocation) -> Reply:
    outcome = lifecycle.resolve(inv.incident.id, inv.actor, key=inv.key)
    return Reply(f"Incident {inv.incident.id} is resolved.", outcome=outcome)


def reopen(inv: Invocation) -> Reply:
    outcome = lifecycle.reopen(inv.incident.id, inv.actor, key=inv.key)
    return Reply(f"Incident {inv.incident.id} is reopened: investigating.", outcome=outcome)


def duration(inv: Invocation) -> Reply:
    incident, now = inv.incident, utcnow()
    lines = [
        f"{blocks.duration_text(incident, now)} (reported "
        f"<!date^{int(incident.reported_at.timestamp())}^{{date_short_pretty}} "
        f"{{time}}|{incident.reported_at:%Y-%m-%d %H:%M} UTC>)."
    ]
    for label, at in (
        ("Acknowledged", incident.acknowledged_at),
        ("Mitigated", incident.mitigated_at),
        ("Resolved", incident.resolved_at),
    ):
        if at is not None:
            lines.append(f"{label} after {durations.human(at - incident.reported_at)}.")
    return Reply(" ".join(lines))


def note(inv: Invocation) -> Reply:
    lifecycle.add_entry(inv.incident.id, "note", inv.rest, inv.actor, key=inv.key)
    return Reply("Added to the timeline.")


def action(inv: Invocation) -> Reply:
    owner, title = first_user(inv.rest)
    item = actions.add(inv.incident.id, title, owner, inv.actor, key=inv.key)
    who = f" for {blocks.mention(owner)}" if owner else ""
    number = item.id
    return Reply(f"Follow-up action {number} added{who}: {blocks.escape(item.title)}")


def list_actions(inv: Invocation) -> Reply:
    from bot.features.followups import action_list  # the feature owns its Done button

    text, body = action_list(inv.incident.id)
    return Reply(text, body)


def rename(inv: Invocation) -> Reply:
    if not inv.rest:
        raise ValueError("Give the new name: /incident rename <name>")
    name = rename_target(inv.incident.id, inv.rest)
    channel_id = inv.incident.channel_id
    assert channel_id is not None  # commands only reach an incident from its own channel
    try:
        inv.client.conversations_rename(channel=channel_id, name=name)
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "name_taken":
            raise ValueError(f"#{name} is taken; choose another name.") from error
        raise ValueError(f"Slack did not rename the channel (`{code}`).") from error
    incidents.attach_channel(inv.incident.id, channel_id, name)
    return Reply(f"Renamed to #{name}.")


def help_(inv: Invocation) -> Reply:
    return Reply(HELP)


HANDLERS: dict[str, Handler] = {
    "lead": lead,
    "severity": severity,
    "sev": severity,
    "status": status,
    "summary": _text_field("summary"),
    "impact": _text_field("impact"),
    "rename": rename,
    "duration": duration,
    "note": note,
    "action": action,
    "actions": list_actions,
    "close": close,
    "resolve": close,
    "reopen": reopen,
    "help": help_,
}


def run(name: str, inv: Invocation) -> Reply:
    """Run a subcommand; every failure becomes a reply that says what to do instead."""
    handler = HANDLERS.get(name)
    if handler is None:
        return Reply(f"I do not know `{name}`.\n\n{HELP}")
    try:
        return handler(inv)
    except lifecycle.Duplicate:
        return Reply("Already done (Slack delivered this twice).", duplicate=True)
    except (NotAllowed, ValueError) as error:
        return Reply(str(error))
