"""The Add a follow-up form: what needs doing, whose it is, by when, and where it is
tracked. Opened by the Add a follow-up button under /incident actions; the same as
`/incident action <text> [@owner] [due YYYY-MM-DD] [ticket <url>]`, field by field."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import actions, incidents, lifecycle, permissions
from bot.domain.numbers import whole_number
from bot.features.deps import Deps, bind
from bot.slack import answers, blocks, heard, modals
from bot.slack.actors import actor, organisation
from bot.slack.answers import Where
from bot.slack.people import look_up
from models import Incident, Source

OPEN = "followup_add"
CALLBACK_ID = "followup_form"
TITLE, OWNER, DUE, TICKET = "title", "owner", "due", "ticket"
TITLE_MAX = 300


def button(number: int) -> dict[str, Any]:
    return {
        "type": "button",
        "text": modals.plain("Add a follow-up"),
        "action_id": OPEN,
        "value": str(number),
    }


def modal(incident: Incident, channel: str | None, zone_name: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": modals.plain("Add a follow-up"),
        "submit": modals.plain("Add"),
        "close": modals.plain("Cancel"),
        "private_metadata": json.dumps({"incident": incident.id, "channel": channel}),
        "blocks": [
            {
                "type": "context",
                "elements": [
                    blocks.mrkdwn(f"Incident {incident.id}: {blocks.shown(incident.title, 200)}")
                ],
            },
            modals.input_block(
                TITLE,
                "What needs doing",
                {"type": "plain_text_input", "max_length": TITLE_MAX},
                optional=False,
            ),
            modals.input_block(OWNER, "Owner", {"type": "users_select"}),
            modals.input_block(
                DUE, "Due by", {"type": "datepicker"}, hint=f"The end of that day ({zone_name})"
            ),
            modals.input_block(
                TICKET,
                "Ticket",
                {"type": "url_text_input"},
                hint="A link to where the work is tracked",
            ),
        ],
    }


def open_form(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Before the ack: the trigger lives three seconds."""
    incident = incidents.get(whole_number(action.get("value")) or 0)
    _, refused = actor(
        deps.quick,
        body["user"]["id"],
        Source.BUTTON,
        context,
        team_hint=body["user"].get("team_id"),
    )
    failed = refused or (None if incident else "That incident is not in the bot's records.")
    if incident is not None and failed is None:
        view = modal(incident, Where.of(body).channel, deps.settings.reminders.timezone)
        _, failed = modals.open_modal(
            deps.quick,
            body["trigger_id"],
            view,
            form="the follow-up form",
            again="press the button again",
            log_extra={"incident": incident.id},
        )
    ack()
    context["failed"] = failed


def _checked(
    view: dict[str, Any], context: BoltContext, deps: Deps
) -> tuple[dict[str, Any], dict[str, str]]:
    """The follow-up as submitted, and the errors to show beside its fields."""
    errors: dict[str, str] = {}
    title = " ".join(modals.typed(view, TITLE).split())
    if not title:
        errors[TITLE] = "Say what needs doing."
    owner = modals.user(view, OWNER)
    if owner:
        person = look_up(deps.quick, owner)
        cannot = permissions.cannot_lead(person, context.bot_user_id, owner, organisation(context))
        if cannot:
            errors[OWNER] = cannot.replace("lead an incident or ", "")
    due_at = None
    day = modals.text_of(modals.field(view, DUE).get("selected_date"))
    if day:
        try:
            due_at = actions.parse_due(day, deps.settings.reminders.zone)
        except ValueError as error:
            errors[DUE] = str(error)
    ticket = modals.typed(view, TICKET).strip() or None
    if ticket:
        try:
            ticket = actions.checked_ticket(ticket)
        except ValueError as error:
            errors[TICKET] = str(error)
    return {"title": title, "owner": owner, "due_at": due_at, "ticket_url": ticket}, errors


def store(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Before the ack: check the form, so what is wrong is shown beside its field."""
    meta = modals.metadata(view)
    number = whole_number(meta.get("incident")) or 0
    who, refused = actor(
        deps.quick, body["user"]["id"], Source.MODAL, context, team_hint=body["user"].get("team_id")
    )
    fields, errors = _checked(view, context, deps)
    if refused:
        errors[TITLE] = refused
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        item = actions.add(
            number,
            fields.pop("title"),
            fields.pop("owner"),
            who,
            key=f"view:{view['id']}",
            zone=deps.settings.reminders.zone,
            **fields,
        )
    except lifecycle.Duplicate:
        ack()
        return
    except (ValueError, LookupError) as error:
        ack(response_action="errors", errors={TITLE: str(error)})
        return
    ack()
    context["added"] = item.id
    context["channel"] = meta.get("channel")


def tell(client: WebClient, body: dict[str, Any], context: BoltContext, *, deps: Deps) -> None:
    """After the ack: the incident's channel hears what was added, the person with it; only
    if Slack would not take that line is the person told apart (in the channel they opened
    the form from)."""
    item = actions.get(context.get("added") or 0)
    if item is None:
        return
    from bot.features import followups  # the feature owns how a follow-up reads in Slack

    channel = context.get("channel")
    where = Where(body["user"]["id"], channel=channel if isinstance(channel, str) else None)
    heard.say(client, followups.added_line(item, deps.settings.reminders.zone), where)


def register(app: App, deps: Deps) -> None:
    app.action(OPEN)(ack=bind(open_form, deps), lazy=[answers.tell_failure])
    app.view(CALLBACK_ID)(ack=bind(store, deps), lazy=[bind(tell, deps)])
