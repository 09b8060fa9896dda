"""The words after /incident (or an @-mention) inside an incident channel, and what each does.

Each handler stores its change through the domain and returns the reply for the person who
typed it, plus the stored outcome so the caller can bring Slack in step after answering, and
the line the channel hears of a note or a follow-up. An unknown word gets one line naming
the closest command.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import actions, durations, lifecycle, people, permissions
from bot.domain.lifecycle import Actor, NotAllowed, Outcome, describe
from bot.domain.mrkdwn import readable
from bot.domain.numbers import whole_number
from bot.slack import blocks, heard
from bot.slack.channels import channel_name, rename_target
from bot.slack.command_text import Named, first_person
from bot.slack.people import look_up
from models import Incident, Kind
from models.fields import utcnow

HELP = """*In an incident channel*
• `/incident` — the Update form (status, severity, lead, summary, impact, an update)
• `/incident lead [@person]` — set the lead (you, if nobody is named)
• `/incident severity <1-4 | critical | major | minor | trivial>`
• `/incident status <investigating | identified | monitoring | resolved>`
• `/incident summary [text]`, `/incident impact [text]` — show or set
• `/incident rename <name>` — rename the channel (keeps its `inc-<number>-` prefix)
• `/incident note <text>` — add a note to the timeline; the channel sees it
• `/incident action <text> [@owner] [due YYYY-MM-DD] [ticket <url>]` — a follow-up action; \
the channel sees it, and the owner is notified
• `/incident actions` — the follow-up actions, each open one with a Done button
• `/incident assign <number> @person` — give a follow-up to someone; the channel sees it
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
    # What the channel hears of it, posted after the answer (bot.slack.heard).
    channel_line: heard.Line | None = None
    # The delivery was a repeat: its change was made (and answered) the first time.
    duplicate: bool = False


Handler = Callable[["Invocation"], Reply]


@dataclass(frozen=True)
class Invocation:
    incident: Incident
    rest: str  # as Slack sent it (mentions, links and entities in Slack's markup)
    actor: Actor
    key: str | None
    # The quick client: a command's answer is its ack, which never waits on Slack.
    client: WebClient
    bot_user_id: str | None = None
    # Why this actor may not change the incident (bot.domain.permissions); None: they may.
    refused: str | None = None
    organisation: str | None = None  # this installation's (bot.slack.actors.organisation)
    # Where the team works (WORKING_TIMEZONE): a day typed means that day there.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def text(self) -> str:
        """The words as a person reads them (mentions as @name), for storing."""
        return readable(self.rest, _name_of).strip()


def _name_of(user_id: str) -> str:
    person = people.cached(user_id)
    return person.shown_name if person else ""


PICK_SOMEONE = (
    "I cannot tell who {name} is. Type @ and pick the person from Slack's list, so Slack "
    "sends me who they are."
)


def _person(inv: Invocation, named: Named) -> str:
    """The user id a command names; ValueError with what to do when it names nobody
    clearly, or someone who cannot lead or own an action."""
    user = named.user_id
    if user is None and named.typed_name:
        found = people.named(named.typed_name)
        if len(found) != 1:
            raise ValueError(PICK_SOMEONE.format(name=blocks.escape("@" + named.typed_name)))
        user = found[0].user_id
    assert user is not None
    problem = permissions.cannot_lead(
        look_up(inv.client, user), inv.bot_user_id, user, inv.organisation
    )
    if problem:
        raise ValueError(problem)
    return user


def _change(inv: Invocation, **fields: Any) -> Reply:
    outcome = lifecycle.change(inv.incident.id, inv.actor, lifecycle.Fields(**fields), key=inv.key)
    if not outcome.changed:
        return Reply("Nothing to change: it is already so.", outcome=outcome)
    said = "\n".join(describe(change, blocks.MRKDWN) for change in outcome.changes)
    return Reply(f"Done.\n{said}", outcome=outcome)


def lead(inv: Invocation) -> Reply:
    """`lead` alone: you. `lead @bob`: Bob. Anything else names someone to look up."""
    named = first_person(inv.rest)
    another = first_person(named.rest)
    if (named.user_id or named.typed_name) and (another.user_id or another.typed_name):
        raise ValueError("An incident has one lead: name one person, /incident lead @person")
    if named.user_id is None and named.typed_name is None and inv.rest.strip():
        named = Named(None, inv.text.lstrip("@").split()[0], "")
    user = _person(inv, named) if (named.user_id or named.typed_name) else inv.actor.user_id
    return _change(inv, lead=user)


def severity(inv: Invocation) -> Reply:
    return _change(inv, severity=lifecycle.parse_severity(inv.rest))


def status(inv: Invocation) -> Reply:
    return _change(inv, status=lifecycle.parse_status(inv.rest))


def _text_field(name: str) -> Handler:
    def handler(inv: Invocation) -> Reply:
        if not inv.rest:
            current = getattr(inv.incident, name) or "_not set yet_"
            shown = blocks.shown(current, 2500) if getattr(inv.incident, name) else current
            return Reply(
                f"*{name.capitalize()}:* {shown}\nChange it with `/incident {name} <text>`."
            )
        return _change(inv, **{name: inv.text})

    return handler


def close(inv: Invocation) -> Reply:
    outcome = lifecycle.resolve(inv.incident.id, inv.actor, key=inv.key)
    return Reply(f"Incident {inv.incident.id} is resolved.", outcome=outcome)


def reopen(inv: Invocation) -> Reply:
    outcome = lifecycle.reopen(inv.incident.id, inv.actor, key=inv.key)
    return Reply(f"Incident {inv.incident.id} is reopened: back to Investigating.", outcome=outcome)


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


# A note is shown in the channel up to this many characters, so its line is one section.
NOTE_SHOWN_MAX = 2800


def note_line(number: int, entry_id: int, text: str, by: str | None) -> heard.Line:
    """ ":memo: *Note* from alice: …" — the channel hears every note, once."""
    shown = blocks.shown(text, NOTE_SHOWN_MAX)
    if shown != blocks.escape(text):
        shown += " _(the rest is on the timeline)_"
    return heard.Line(
        incident_id=number,
        key=f"note:{entry_id}",
        lead=":memo: *Note* from ",
        by=by,
        rest=f": {shown}",
        stored="Your note is on the timeline",
    )


def note(inv: Invocation) -> Reply:
    entry = lifecycle.add_entry(inv.incident.id, Kind.NOTE, inv.text, inv.actor, key=inv.key)
    line = note_line(inv.incident.id, entry.id, entry.text, inv.actor.user_id)
    return Reply("Added to the timeline.", channel_line=line)


def action(inv: Invocation) -> Reply:
    from bot.features import followups  # the feature owns how a follow-up reads in Slack

    # The fields first, from Slack's own text: a link keeps its <…> (an @ inside it is no
    # owner), and the words before them are what needs doing and whose.
    typed = actions.Typed.of(inv.rest, inv.zone)
    named = first_person(typed.rest)
    owner = _person(inv, named) if (named.user_id or named.typed_name) else None
    item = actions.add(
        inv.incident.id,
        readable(named.rest, _name_of).strip(),
        owner,
        inv.actor,
        key=inv.key,
        due_at=typed.due_at,
        ticket_url=typed.ticket_url,
        zone=inv.zone,
    )
    # The channel line says what, whose and by when; the answer need not say it again.
    line = followups.added_line(item, inv.zone)
    return Reply(f"Added as follow-up action {item.id}.", channel_line=line)


ASSIGN_USAGE = "/incident assign <follow-up number> @person (the numbers are in /incident actions)"


def assign(inv: Invocation) -> Reply:
    from bot.features import followups  # the feature owns how a follow-up reads in Slack

    first, _, rest = inv.rest.strip().partition(" ")
    action_id = whole_number(first.lstrip("#"))
    if action_id is None:
        raise ValueError(f"Which follow-up? {ASSIGN_USAGE}")
    named = first_person(rest)
    if not (named.user_id or named.typed_name):
        raise ValueError(f"To whom? {ASSIGN_USAGE}")
    owner = _person(inv, named)
    try:
        done = actions.assign(inv.incident.id, action_id, owner, inv.actor, key=inv.key)
    except LookupError as error:
        raise ValueError(f"{error} {ASSIGN_USAGE}") from error
    if done is None:
        return Reply(f"Follow-up action {action_id} is {blocks.mention(owner)}'s already.")
    item, _previous = done
    line = followups.assigned_line(item, inv.actor.user_id)
    return Reply(f"Follow-up action {action_id} is assigned.", channel_line=line)


def list_actions(inv: Invocation) -> Reply:
    from bot.features.followups import action_list  # the feature owns its Done button

    text, body = action_list(inv.incident.id, zone=inv.zone)
    return Reply(text, body)


def rename(inv: Invocation) -> Reply:
    if not inv.rest:
        raise ValueError("Give the new name: /incident rename <name>")
    name = rename_target(inv.incident.id, inv.text)
    if name == channel_name(inv.incident.id, ""):
        raise ValueError(
            "A channel name needs letters or digits (emoji and punctuation are dropped): "
            "/incident rename <name>"
        )
    channel_id = inv.incident.channel_id
    assert channel_id is not None  # commands only reach an incident from its own channel
    try:
        inv.client.conversations_rename(channel=channel_id, name=name)
    except SlackApiError as error:
        code = error.response.get("error")
        if code == "name_taken":
            raise ValueError(f"#{name} is taken; choose another name.") from error
        if error.response.status_code == 429:
            raise ValueError("Slack is busy; try the rename again in a minute.") from error
        raise ValueError(f"Slack did not rename the channel (`{code}`).") from error
    except OSError as error:
        # The answer was lost, perhaps after the rename: ask Slack what the name is now.
        if _name_now(inv.client, channel_id) != name:
            raise ValueError(
                f"Slack did not answer in time; the channel may be #{name} already. If it is "
                "not, try the rename again."
            ) from error
    # Recorded here, with who asked: Slack's own notices of it name the bot, or nobody.
    lifecycle.record_rename(
        channel_id,
        inv.incident.channel_name,
        name,
        by=inv.actor.user_id,
        source=inv.actor.source,
        key=f"rename:{inv.key}",
    )
    return Reply(f"Renamed to #{name}.")


def _name_now(client: WebClient, channel_id: str) -> str | None:
    try:
        return str((client.conversations_info(channel=channel_id).get("channel") or {})["name"])
    except (SlackApiError, OSError, KeyError):
        return None


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
    "assign": assign,
    "close": close,
    "resolve": close,
    "reopen": reopen,
    "help": help_,
}


READS = {"duration", "actions", "help"}
# Words /incident takes anywhere, answered before an incident's own (bot.features.commands.slash).
ANYWHERE = ("list", "new")
# How alike a typed word and a command must be (difflib's ratio) to suggest it: "staus" and
# "status" are 0.91, "nots" and "note" 0.75; "is" and "list" (0.67) are not alike enough.
CLOSE_ENOUGH = 0.7


def unknown_word(word: str) -> str:
    """One line for a word that is no command: the closest one, else where the list is."""
    typed = blocks.shown(readable(word), 40)
    close = difflib.get_close_matches(word, [*HANDLERS, *ANYWHERE], n=1, cutoff=CLOSE_ENOUGH)
    if close:
        return (
            f"No command “{typed}”. Did you mean `/incident {close[0]}`? "
            "(`/incident help` lists them all)"
        )
    return f"No command “{typed}”: `/incident help` lists them all."


def changes_something(name: str, inv: Invocation) -> bool:
    return name not in READS and not (name in ("summary", "impact") and not inv.rest)


def run(name: str, inv: Invocation) -> Reply:
    """Run a subcommand; every failure becomes a reply that says what to do instead."""
    handler = HANDLERS.get(name)
    if handler is not None and inv.refused and changes_something(name, inv):
        return Reply(inv.refused)
    if handler is None:
        return Reply(unknown_word(name))
    try:
        return handler(inv)
    except lifecycle.Duplicate:
        return Reply("Already done (Slack delivered this twice).", duplicate=True)
    except (NotAllowed, ValueError) as error:
        return Reply(str(error))
