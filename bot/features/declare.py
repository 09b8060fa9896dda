"""/incident → the "Declare an incident" modal → a stored incident, opened in Slack."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from peewee import DatabaseError
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.domain import incidents
from bot.domain.incidents import Declaration, title_problem
from bot.opening import open_in_slack
from models import SEVERITIES
from models.incident import TITLE_MAX_LENGTH

log = logging.getLogger(__name__)

COMMAND = "/incident"
CALLBACK_ID = "incident_declare"
ACTION = "value"  # every input's action_id; the block_id names the field
TITLE, SUMMARY, IMPACT, SEVERITY, LEAD = "title", "summary", "impact", "severity", "lead"


@dataclass(frozen=True)
class DeclareForm:
    title: str
    summary: str
    impact: str
    severity: int | None
    lead_id: str | None
    origin_channel: str | None


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = True,
    hint: str | None = None,
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": {**element, "action_id": ACTION},
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def modal(title: str = "", *, origin_channel: str | None = None) -> dict[str, Any]:
    title_element: dict[str, Any] = {"type": "plain_text_input", "max_length": TITLE_MAX_LENGTH}
    if title.strip():
        title_element["initial_value"] = title.strip()[:TITLE_MAX_LENGTH]
    options = [{"text": _plain(label), "value": str(level)} for level, label in SEVERITIES.items()]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain("Declare an incident"),
        "submit": _plain("Declare"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"origin": origin_channel}),
        "blocks": [
            _input(
                TITLE,
                "Title",
                title_element,
                optional=False,
                hint="What is happening, in a few words.",
            ),
            _input(SUMMARY, "Summary", {"type": "plain_text_input", "multiline": True}),
            _input(
                IMPACT,
                "Impact",
                {"type": "plain_text_input", "multiline": True},
                hint="Who or what is affected, and how badly.",
            ),
            _input(
                SEVERITY,
                "Severity",
                {
                    "type": "static_select",
                    "options": options,
                    "placeholder": _plain("Pick a severity"),
                },
                hint="Not sure yet? Leave it; you will be reminded.",
            ),
            _input(LEAD, "Lead", {"type": "users_select", "placeholder": _plain("Choose a lead")}),
        ],
    }


def parse(view: dict[str, Any]) -> DeclareForm:
    values = view.get("state", {}).get("values", {})

    def field(block_id: str) -> dict[str, Any]:
        return values.get(block_id, {}).get(ACTION) or {}

    selected = field(SEVERITY).get("selected_option") or {}
    try:
        severity = int(selected["value"]) if selected.get("value") else None
    except ValueError:
        severity = None
    try:
        origin = json.loads(view.get("private_metadata") or "{}").get("origin")
    except (ValueError, AttributeError):
        origin = None
    return DeclareForm(
        title=(field(TITLE).get("value") or "").strip(),
        summary=field(SUMMARY).get("value") or "",
        impact=field(IMPACT).get("value") or "",
        severity=severity if severity in SEVERITIES else None,
        lead_id=field(LEAD).get("selected_user") or None,
        origin_channel=origin if isinstance(origin, str) else None,
    )


def register(app: App, deps: Deps) -> None:
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        # views.open before the ack: the trigger_id lives 3 s, so the modal opens as soon as
        # possible, and if Slack refuses it the person is told in the command's own answer.
        try:
            client.views_open(
                trigger_id=body["trigger_id"],
                view=modal(body.get("text", ""), origin_channel=body.get("channel_id")),
            )
        except SlackApiError as error:
            code = error.response.get("error") or f"HTTP {error.response.status_code}"
            log.warning("views.open failed", extra={"error": code})
            ack(f"Slack did not open the declare form (`{code}`). Please run /incident again.")
            return
        ack()

    app.command(COMMAND)(open_modal)

    def store(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        form = parse(view)
        problem = title_problem(form.title)
        if problem:
            ack(response_action="errors", errors={TITLE: problem})
            return
        declaration = Declaration(
            title=form.title,
            summary=form.summary,
            impact=form.impact,
            severity=form.severity,
            lead_id=form.lead_id,
            reporter_id=body["user"]["id"],
        )
        try:
            incident = incidents.declare(declaration, key=view["id"])
        except DatabaseError:
            log.exception("could not store a declaration")
            # Keep the modal (and every word typed in it) open rather than lose it.
            ack(
                response_action="errors",
                errors={
                    TITLE: "The incident could not be saved just now. Nothing was lost: press "
                    "Declare again in a moment."
                },
            )
            return
        ack()
        if incident is not None:
            context["incident_id"] = incident.id
            context["origin_channel"] = form.origin_channel

    def open_incident(client: WebClient, context: BoltContext) -> None:
        incident_id = context.get("incident_id")
        if incident_id is None:
            return  # a repeated submission: the first delivery does the Slack work
        incident = incidents.get(incident_id)
        if incident is None:
            return
        open_in_slack(
            client,
            incident,
            settings=deps.settings,
            executor=deps.fanout,
            bot_user_id=context.bot_user_id,
            origin_channel=context.get("origin_channel"),
        )

    app.view(CALLBACK_ID)(ack=store, lazy=[open_incident])
