"""The "Declare an incident" modal (from /incident or the "Declare incident from this
message" shortcut) → a stored incident, opened in Slack."""

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

CALLBACK_ID = "incident_declare"
SHORTCUT_ID = "declare_from_message"
ACTION = "value"  # every input's action_id; the block_id names the field
TITLE, SUMMARY, IMPACT, SEVERITY, LEAD, PRIVATE = (
    "title",
    "summary",
    "impact",
    "severity",
    "lead",
    "private",
)
# private_metadata holds at most 3,000 characters; the source message's text is cut to fit.
SOURCE_TEXT_MAX = 2000


@dataclass(frozen=True)
class DeclareForm:
    title: str
    summary: str
    impact: str
    severity: int | None
    lead_id: str | None
    is_private: bool
    origin_channel: str | None
    source: dict[str, Any] | None


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


def modal(
    title: str = "",
    *,
    origin_channel: str | None = None,
    summary: str = "",
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`source`: the message a shortcut declared from (channel, ts, user, text, permalink)."""
    title_element: dict[str, Any] = {"type": "plain_text_input", "max_length": TITLE_MAX_LENGTH}
    if title.strip():
        title_element["initial_value"] = title.strip()[:TITLE_MAX_LENGTH]
    summary_element: dict[str, Any] = {"type": "plain_text_input", "multiline": True}
    if summary.strip():
        summary_element["initial_value"] = summary.strip()[:3000]
    private = {
        "type": "checkboxes",
        "options": [
            {
                "text": _plain("Private incident"),
                "value": "private",
                "description": _plain("A private channel; nothing is announced."),
            }
        ],
    }
    options = [{"text": _plain(label), "value": str(level)} for level, label in SEVERITIES.items()]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain("Declare an incident"),
        "submit": _plain("Declare"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"origin": origin_channel, "source": source}),
        "blocks": [
            _input(
                TITLE,
                "Title",
                title_element,
                optional=False,
                hint="What is happening, in a few words.",
            ),
            _input(SUMMARY, "Summary", summary_element),
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
            _input(PRIVATE, "Visibility", private),
        ],
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse(view: dict[str, Any]) -> DeclareForm:
    """Whatever the payload holds: a field of the wrong type reads as left empty."""
    values = _object(_object(view.get("state")).get("values"))

    def field(block_id: str) -> dict[str, Any]:
        return _object(_object(values.get(block_id)).get(ACTION))

    value = _text(_object(field(SEVERITY).get("selected_option")).get("value"))
    severity = int(value) if value.isascii() and value.isdigit() and len(value) < 4 else None
    try:
        metadata = json.loads(_text(view.get("private_metadata")) or "{}")
    except ValueError:
        metadata = {}
    metadata = _object(metadata)
    origin, source = metadata.get("origin"), metadata.get("source")
    selected = field(PRIVATE).get("selected_options")
    chosen = [
        _object(option).get("value") for option in selected or [] if isinstance(selected, list)
    ]
    return DeclareForm(
        title=_text(field(TITLE).get("value")).strip(),
        summary=_text(field(SUMMARY).get("value")),
        impact=_text(field(IMPACT).get("value")),
        severity=severity if severity in SEVERITIES else None,
        lead_id=_text(field(LEAD).get("selected_user")) or None,
        is_private="private" in chosen,
        origin_channel=origin if isinstance(origin, str) else None,
        source=source if isinstance(source, dict) and source.get("ts") else None,
    )


def open_modal(
    client: WebClient, trigger_id: str, text: str, origin_channel: str | None, **extra: Any
) -> str | None:
    """Open the modal; on failure return the words to tell the person (Slack's error)."""
    try:
        client.views_open(
            trigger_id=trigger_id, view=modal(text, origin_channel=origin_channel, **extra)
        )
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        log.warning("views.open failed", extra={"error": code})
        return f"Slack did not open the declare form (`{code}`). Please try again."
    return None


def register(app: App, deps: Deps) -> None:
    def from_message(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        message, channel = shortcut.get("message") or {}, (shortcut.get("channel") or {}).get("id")
        text = message.get("text") or ""
        source = {
            "channel": channel,
            "ts": message.get("ts"),
            "user": message.get("user"),
            "text": text[:SOURCE_TEXT_MAX],
            "files": message.get("files") or [],
        }
        if len(json.dumps(source)) > SOURCE_TEXT_MAX + 500:
            source["files"] = []
        failed = open_modal(
            client,
            shortcut["trigger_id"],
            text.split("\n", 1)[0],
            channel,
            summary=text,
            source=source,
        )
        if failed and channel:
            client.chat_postEphemeral(channel=channel, user=shortcut["user"]["id"], text=failed)

    app.shortcut(SHORTCUT_ID)(from_message)

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
            is_private=form.is_private,
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
            context["source_message"] = form.source

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
            source_message=context.get("source_message"),
        )

    app.view(CALLBACK_ID)(ack=store, lazy=[open_incident])
