"""The "Update incident" modal: status, severity, lead, summary, impact and an update message,
opened by /incident in an incident channel or the announcement's Update button."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.deps import Deps
from bot.domain import incidents, lifecycle
from bot.domain.lifecycle import Actor
from bot.outcomes import after_change
from bot.people import shown_name
from bot.sync import tell_channel
from models import SEVERITIES, STATUSES, Incident

log = logging.getLogger(__name__)

CALLBACK_ID = "incident_update"
ACTION = "value"
STATUS, SEVERITY, LEAD, SUMMARY, IMPACT, MESSAGE = (
    "status",
    "severity",
    "lead",
    "summary",
    "impact",
    "message",
)


@dataclass(frozen=True)
class UpdateForm:
    number: int
    status: str | None
    severity: int | None
    lead_id: str | None
    summary: str
    impact: str
    message: str


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = True
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": {**element, "action_id": ACTION},
    }


def modal(incident: Incident) -> dict[str, Any]:
    statuses = [_option(s.capitalize(), s) for s in STATUSES]
    severities = [_option(label, str(level)) for level, label in SEVERITIES.items()]
    status = {
        "type": "static_select",
        "options": statuses,
        "initial_option": _option(incident.status.capitalize(), incident.status),
    }
    severity: dict[str, Any] = {
        "type": "static_select",
        "options": severities,
        "placeholder": _plain("Pick a severity"),
    }
    if incident.severity:
        severity["initial_option"] = _option(SEVERITIES[incident.severity], str(incident.severity))
    lead: dict[str, Any] = {"type": "users_select", "placeholder": _plain("Choose a lead")}
    if incident.lead_id:
        lead["initial_user"] = incident.lead_id
    summary = {"type": "plain_text_input", "multiline": True}
    impact = {"type": "plain_text_input", "multiline": True}
    if incident.summary:
        summary["initial_value"] = incident.summary[:3000]
    if incident.impact:
        impact["initial_value"] = incident.impact[:3000]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(f"Update incident {incident.id}"[:24]),
        "submit": _plain("Update"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"incident": incident.id}),
        "blocks": [
            _input(STATUS, "Status", status, optional=False),
            _input(SEVERITY, "Severity", severity),
            _input(LEAD, "Lead", lead),
            _input(SUMMARY, "Summary", summary),
            _input(IMPACT, "Impact", impact),
            _input(
                MESSAGE,
                "Update for everyone following",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "placeholder": _plain("What changed, what is next, when the next update is"),
                },
            ),
        ],
    }


def parse(view: dict[str, Any]) -> UpdateForm:
    values = view.get("state", {}).get("values", {})

    def field(block_id: str) -> dict[str, Any]:
        return values.get(block_id, {}).get(ACTION) or {}

    def chosen(block_id: str) -> str | None:
        return (field(block_id).get("selected_option") or {}).get("value")

    metadata = json.loads(view.get("private_metadata") or "{}")
    severity = chosen(SEVERITY)
    return UpdateForm(
        number=int(metadata["incident"]),
        status=chosen(STATUS) if chosen(STATUS) in STATUSES else None,
        severity=int(severity) if severity and severity.isdigit() else None,
        lead_id=field(LEAD).get("selected_user") or None,
        summary=field(SUMMARY).get("value") or "",
        impact=field(IMPACT).get("value") or "",
        message=(field(MESSAGE).get("value") or "").strip(),
    )


def open_for(client: WebClient, trigger_id: str, incident: Incident) -> str | None:
    """Open the modal; on failure return the words to tell the person."""
    try:
        client.views_open(trigger_id=trigger_id, view=modal(incident))
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        log.warning("views.open failed", extra={"incident": incident.id, "error": code})
        return f"Slack did not open the Update form (`{code}`). Please try again."
    return None


def register(app: App, deps: Deps) -> None:
    def store(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        context: BoltContext,
        client: WebClient,
    ) -> None:
        form = parse(view)
        user = body["user"]["id"]
        actor = Actor(user, "modal", shown_name(client, user))
        try:
            outcome = lifecycle.update(
                form.number,
                actor,
                key=f"view:{view['id']}",
                message=form.message,
                status=form.status,
                severity=form.severity,
                lead=form.lead_id,
                summary=form.summary,
                impact=form.impact,
            )
        except lifecycle.Duplicate:
            ack()
            return
        except ValueError as error:
            ack(response_action="errors", errors={MESSAGE: str(error)})
            return
        ack()
        context["incident_id"] = form.number
        context["changed"] = [c.field for c in outcome.changes]
        context["changes"] = [(c.field, c.old, c.new) for c in outcome.changes]
        context["message"] = form.message

    def tell(client: WebClient, context: BoltContext, body: dict[str, Any]) -> None:
        number = context.get("incident_id")
        if number is None:
            return
        incident = incidents.get(number)
        if incident is None:
            return
        user = body["user"]["id"]
        changes = [lifecycle.Change(*c) for c in context.get("changes") or []]
        after_change(client, lifecycle.Outcome(incident, changes), deps.settings, user)
        if context.get("message"):
            tell_channel(
                client,
                incident,
                f":memo: *Update* from {blocks.mention(user)}:\n"
                f"{blocks.escape(context['message'])}",
                thread_under_announcement=True,
            )

    app.view(CALLBACK_ID)(ack=store, lazy=[tell])
