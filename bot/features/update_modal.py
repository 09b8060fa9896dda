"""The "Update incident" modal: status, severity, lead, summary, impact and an update message,
opened by /incident in an incident channel or the announcement's Update button."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import lifecycle, permissions
from bot.domain.incidents import title_problem
from bot.domain.lifecycle import Actor, Fields
from bot.domain.numbers import whole_number
from bot.features.deps import Deps, bind
from bot.slack import blocks, mirror, modals
from bot.slack.actors import actor, organisation
from bot.slack.answers import Where
from bot.slack.people import look_up_together
from models import SEVERITIES, STATUSES, Incident, Source
from models.incident import TITLE_MAX_LENGTH

CALLBACK_ID = "incident_update"
ACTION = modals.ACTION
TITLE, STATUS, SEVERITY, LEAD, SUMMARY, IMPACT, STARTED, MESSAGE = (
    "title",
    "status",
    "severity",
    "lead",
    "summary",
    "impact",
    "started",
    "message",
)


@dataclass(frozen=True)
class UpdateForm:
    number: int
    title: str | None  # None: not in the form (left as it is)
    status: str | None
    severity: int | None
    lead_id: str | None
    summary: str | None  # None: not in the form (too long to edit there), left as it is
    impact: str | None
    message: str
    started: dt.datetime | None = None  # None: left empty (a start once set is never cleared)
    # What each field showed when the form was opened (fingerprints); None for a form
    # opened before they were kept.
    was: dict[str, Any] | None = None

    def changes(self) -> Fields:
        """The fields the person changed in the form. A field left as it was is not sent
        back: someone may have changed it meanwhile (a command, a button, another form),
        and what the form showed then must not undo it."""
        asked = Fields(
            title=self.title,
            status=self.status,
            severity=self.severity,
            lead=self.lead_id,
            summary=self.summary,
            impact=self.impact,
            started=self.started,
        )
        if self.was is None:
            return asked
        was = self.was
        unchanged: dict[str, None] = {
            f.name: None
            for f in dataclasses.fields(asked)
            if fingerprint(f.name, getattr(asked, f.name)) == was.get(f.name)
        }
        return dataclasses.replace(asked, **unchanged)


def fingerprint(name: str, value: Any) -> Any:
    """A field's value as the form's private_metadata remembers it: choices as they are,
    texts (up to 3,000 characters each) by a short hash, so the metadata stays small."""
    if value is None or name in ("status", "severity", "lead"):
        return value
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return hashlib.sha256(str(value).strip().encode()).hexdigest()[:16]


def shown_values(incident: Incident) -> dict[str, Any]:
    return {
        "title": fingerprint("title", incident.title),
        "status": incident.status,
        "severity": incident.severity,
        "lead": incident.lead_id,
        "summary": fingerprint("summary", incident.summary),
        "impact": fingerprint("impact", incident.impact),
        "started": fingerprint("started", incident.started_at),
    }


def modal(incident: Incident) -> dict[str, Any]:
    statuses = [modals.option(s.capitalize(), s) for s in STATUSES]
    severities = [modals.option(label, str(level)) for level, label in SEVERITIES.items()]
    status = {
        "type": "static_select",
        "options": statuses,
        "initial_option": modals.option(incident.status.capitalize(), incident.status),
    }
    severity: dict[str, Any] = {
        "type": "static_select",
        "options": severities,
        "placeholder": modals.plain("Pick a severity"),
    }
    if incident.severity:
        severity["initial_option"] = modals.option(
            SEVERITIES[incident.severity], str(incident.severity)
        )
    lead: dict[str, Any] = {"type": "users_select", "placeholder": modals.plain("Choose a lead")}
    if incident.lead_id:
        lead["initial_user"] = incident.lead_id
    title = {
        "type": "plain_text_input",
        "max_length": TITLE_MAX_LENGTH,
        "initial_value": blocks.fit(incident.title, TITLE_MAX_LENGTH),
    }
    texts = []
    for block_id, label, value in (
        (SUMMARY, "Summary", incident.summary),
        (IMPACT, "Impact", incident.impact),
    ):
        if blocks.slack_len(value) > TEXT_INPUT_MAX:
            # The form could only hold part of it, and submitting would keep only that part:
            # shown, not edited here.
            texts.append(_too_long(label, value))
            continue
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "multiline": True,
            "max_length": TEXT_INPUT_MAX,
        }
        if value:
            element["initial_value"] = value
        texts.append(modals.input_block(block_id, label, element))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": modals.plain(f"Update incident {incident.id}"[:24]),
        "submit": modals.plain("Update"),
        "close": modals.plain("Cancel"),
        "private_metadata": json.dumps({"incident": incident.id, "was": shown_values(incident)}),
        "blocks": [
            modals.input_block(TITLE, "Title", title, optional=False),
            modals.input_block(STATUS, "Status", status, optional=False),
            modals.input_block(SEVERITY, "Severity", severity),
            modals.input_block(LEAD, "Lead", lead),
            *texts,
            modals.input_block(
                STARTED,
                "Impact started at",
                modals.time_picker(incident.started_at),
                hint="In your time zone; when the impact began, if before it was reported.",
            ),
            modals.input_block(
                MESSAGE,
                "Update for everyone following",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "placeholder": modals.plain(
                        "What changed, what is next, when the next update is"
                    ),
                },
            ),
        ],
    }


TEXT_INPUT_MAX = 3000  # Slack's most for a plain_text_input
# The block a field's problem is shown under.
FIELD_BLOCKS = {"started": STARTED}


def _too_long(label: str, value: str) -> dict[str, Any]:
    name = label.lower()
    return {
        "type": "context",
        "elements": [
            blocks.mrkdwn(
                f"*{label}* ({len(value)} characters) is longer than this form can "
                f"hold, so it is not changed here. Change it with `/incident {name} <text>`:\n"
                + blocks.shown(value, 500)
            )
        ],
    }


def parse(view: dict[str, Any]) -> UpdateForm:
    """ValueError when the form does not say which incident it is for; a field of the wrong
    type reads as left empty."""
    meta = modals.metadata(view)
    number = whole_number(meta.get("incident"))
    if number is None:
        raise ValueError("This form does not name an incident; open it again.")
    was = meta.get("was") if isinstance(meta.get("was"), dict) else None
    title = modals.field(view, TITLE).get("value")

    def text_or_none(block_id: str) -> str | None:
        # A field missing from the form (it was too long to edit there) changes nothing.
        return modals.typed(view, block_id) if modals.has_field(view, block_id) else None

    status = modals.chosen(view, STATUS)
    return UpdateForm(
        number=number,
        title=title.strip() if isinstance(title, str) else None,
        status=status if status in STATUSES else None,
        severity=whole_number(modals.chosen(view, SEVERITY), digits=3),
        lead_id=modals.user(view, LEAD),
        summary=text_or_none(SUMMARY),
        impact=text_or_none(IMPACT),
        started=modals.picked_time(view, STARTED),
        message=modals.typed(view, MESSAGE).strip(),
        was=was,
    )


def open_for(quick: WebClient, trigger_id: str, incident: Incident) -> str | None:
    """Open the modal; on failure return the words to tell the person."""
    _, failed = modals.open_modal(
        quick,
        trigger_id,
        modal(incident),
        form="the Update form",
        again="type the command again",
        log_extra={"incident": incident.id},
    )
    return failed


def _checked_form(view: dict[str, Any]) -> tuple[UpdateForm | None, dict[str, str]]:
    """The form as submitted, or the errors to show on it."""
    try:
        form = parse(view)
    except ValueError as error:
        return None, {MESSAGE: str(error)}
    problem = title_problem(form.title) if form.title is not None else None
    return (None, {TITLE: problem}) if problem else (form, {})


def _checked_people(
    body: dict[str, Any], context: BoltContext, lead: str | None, deps: Deps
) -> tuple[Actor, dict[str, str]]:
    """Who submitted it, and the errors to show if they may not change the incident or the
    lead they chose may not lead it."""
    user = body["user"]["id"]
    known = look_up_together(deps.quick, (user, lead), deps.fanout)
    who, refused = actor(
        deps.quick, user, Source.MODAL, context, team_hint=body["user"].get("team_id"), known=known
    )
    if refused:
        return who, {MESSAGE: refused}
    cannot = lead and permissions.cannot_lead(
        known[lead], context.bot_user_id, lead, organisation(context)
    )
    return who, ({LEAD: cannot} if cannot else {})


def store(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Before the ack: check the form and who sent it, and store only what they changed."""
    form, errors = _checked_form(view)
    if form is None:
        ack(response_action="errors", errors=errors)
        return
    changes = form.changes()
    who, errors = _checked_people(body, context, changes.lead, deps)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        outcome = lifecycle.update(
            form.number, who, changes, key=f"view:{view['id']}", message=form.message
        )
    except lifecycle.Duplicate:
        ack()
        return
    except lifecycle.FieldProblem as error:
        ack(response_action="errors", errors={FIELD_BLOCKS.get(error.field, MESSAGE): str(error)})
        return
    except (ValueError, LookupError) as error:  # LookupError: no such incident
        ack(response_action="errors", errors={MESSAGE: str(error)})
        return
    ack()
    mirror.keep(context, outcome, update=form.message, update_key=str(view["id"]))


def tell(client: WebClient, context: BoltContext, body: dict[str, Any], *, deps: Deps) -> None:
    """After the ack: Slack in step with the change, and the update posted whole."""
    user = body["user"]["id"]
    mirror.show(client, context, deps.settings, user, where=Where(user))


def register(app: App, deps: Deps) -> None:
    app.view(CALLBACK_ID)(ack=bind(store, deps), lazy=[bind(tell, deps)])
