"""The OpenAPI 3.1 document of the JSON API: the schema the endpoints promise to keep.

Tests validate real responses against these schemas, so a change to viewer/serialize.py
that is not made here as well fails the suite.
"""

from __future__ import annotations

from typing import Any

from models import SEVERITIES, STATUSES
from viewer.config import MAX_PAGE_SIZE
from viewer.filters import STATUS_CHOICES

MAX_PAGE = 999_999  # viewer.filters refuses larger page numbers (400)
Json = dict[str, Any]

API_VERSION = "1.0.0"


def _nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: Json, description: str = "") -> Json:
    schema: Json = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


TIMESTAMP: Json = {"type": "string", "format": "date-time", "description": "UTC, RFC 3339"}
REF = "#/components/schemas/"

SCHEMAS: dict[str, Json] = {
    "Person": _object(
        {
            "id": _nullable({"type": "string", "description": "Slack user ID"}),
            "name": {"type": "string", "description": "Shown name from the user cache"},
        }
    ),
    "Severity": _object(
        {
            "level": _nullable({"type": "integer", "enum": sorted(SEVERITIES)}),
            "label": {"type": "string"},
        }
    ),
    "IncidentSummary": _object(
        {
            "number": {"type": "integer", "minimum": 1},
            "title": {"type": "string", "description": "As stored (Slack's markup)"},
            "title_text": {
                "type": "string",
                "description": "The title as it reads: mentions as names, no markup",
            },
            "severity": {"$ref": REF + "Severity"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "status_label": {"type": "string"},
            "report_only": {
                "type": "boolean",
                "description": "Imported from response as a report only: never a live incident",
            },
            "is_open": {"type": "boolean"},
            "is_private": {"type": "boolean"},
            "lead": _nullable({"$ref": REF + "Person"}),
            "channel": _nullable(
                _object(
                    {
                        "id": {"type": "string"},
                        "name": _nullable({"type": "string"}),
                        "url": _nullable({"type": "string", "format": "uri"}),
                    }
                )
            ),
            "reported_at": TIMESTAMP,
            "resolved_at": _nullable(TIMESTAMP),
            "duration_seconds": _nullable({"type": "integer", "minimum": 0}),
            "duration_ongoing": {"type": "boolean"},
            "url": {"type": "string", "format": "uri"},
            "html_url": {"type": "string", "format": "uri"},
            "matched": {
                "type": "array",
                "items": {"type": "string"},
                "description": "With q: where the search found it (number, channel name, "
                "person, title, summary or impact, timeline)",
            },
        },
        "An incident as it appears in the list.",
    ),
    "IncidentPage": _object(
        {
            "items": {"type": "array", "items": {"$ref": REF + "IncidentSummary"}},
            "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "links": _object(
                {
                    "self": {"type": "string", "format": "uri"},
                    "next": _nullable({"type": "string", "format": "uri"}),
                    "prev": _nullable({"type": "string", "format": "uri"}),
                    "html": {"type": "string", "format": "uri"},
                }
            ),
        }
    ),
    "File": _object(
        {
            "name": {"type": "string"},
            "url": _nullable({"type": "string", "format": "uri"}),
        }
    ),
    "TimelineEntry": _object(
        {
            "id": {"type": "integer"},
            "kind": {
                "type": "string",
                "description": "pin, reaction, shortcut, note, update, status, severity, lead, "
                "title, summary, impact, started, declared, action, renamed, archived, "
                "unarchived, …",
            },
            "kind_label": {"type": "string"},
            "occurred_at": TIMESTAMP,
            "author": _nullable({"$ref": REF + "Person"}),
            "added_by": _nullable({"$ref": REF + "Person"}),  # who put it on the timeline
            "source": _nullable(
                {
                    "type": "string",
                    "description": "How it got on the timeline: pin, reaction, shortcut, "
                    "command, mention, modal, button, declare, slack, scheduler, import",
                }
            ),
            "removals": {
                "type": "array",
                "description": "Times it was taken off the timeline and put back since",
                "items": _object(
                    {
                        "removed_at": _nullable(TIMESTAMP),
                        "removed_by": _nullable({"$ref": REF + "Person"}),
                    }
                ),
            },
            "edited": {"type": "boolean", "description": "Edited in Slack since it was added"},
            "deleted": {"type": "boolean", "description": "Deleted in Slack (its words gone)"},
            "text": _nullable(
                {"type": "string", "description": "As stored: Slack mrkdwn; null once deleted"}
            ),
            "html": _nullable(
                {
                    "type": "string",
                    "description": "The text rendered to safe HTML; null once deleted",
                }
            ),
            "edited_at": _nullable(TIMESTAMP),
            "deleted_at": _nullable(
                {**TIMESTAMP, "description": "When the message was deleted in Slack"}
            ),
            "permalink": _nullable({"type": "string", "format": "uri"}),
            "files": {"type": "array", "items": {"$ref": REF + "File"}},
        }
    ),
    "ActionPage": _object(
        {
            "items": {"type": "array", "items": {"$ref": REF + "Action"}},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
        }
    ),
    "Duration": _object(
        {
            "label": {"type": "string"},
            "from": {"type": "string"},
            "to": {"type": "string"},
            "seconds": _nullable({"type": "integer"}),
        }
    ),
    "Action": _object(
        {
            "id": {"type": "integer"},
            "incident": {"type": "integer"},
            "title": {"type": "string", "description": "As stored (Slack's markup)"},
            "title_text": {"type": "string", "description": "As it reads: mentions as names"},
            "done": {"type": "boolean"},
            "owner": _nullable({"$ref": REF + "Person"}),
            "created_at": _nullable(TIMESTAMP),
            "due_at": _nullable({**TIMESTAMP, "description": "Due by this moment"}),
            "overdue": {"type": "boolean"},
            "ticket_url": _nullable({"type": "string", "format": "uri"}),
            "done_by": _nullable({"$ref": REF + "Person"}),
            "done_at": _nullable(TIMESTAMP),
        }
    ),
    "StatusChange": _object(
        {
            "status": {"type": "string"},
            "from_status": _nullable({"type": "string"}),
            "changed_at": TIMESTAMP,
            "changed_by": _nullable({"$ref": REF + "Person"}),
            "source": _nullable(
                {
                    "type": "string",
                    "description": "declare, command, mention, modal, button, import",
                }
            ),
        }
    ),
    "Error": _object(
        {
            "error": _object(
                {
                    "status": {"type": "integer"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                }
            ),
        }
    ),
}

SCHEMAS["RemovedTimelineEntry"] = _object(
    {
        **SCHEMAS["TimelineEntry"]["properties"],
        "removed_at": TIMESTAMP,
        "removed_by": _nullable({"$ref": REF + "Person"}),
    }
)

# Only a search's answers say where they matched.
SCHEMAS["IncidentSummary"]["required"].remove("matched")

# The full incident is the summary and more; spelled out so additionalProperties holds.
SCHEMAS["Incident"] = _object(
    {
        **{k: v for k, v in SCHEMAS["IncidentSummary"]["properties"].items() if k != "matched"},
        "summary": {"type": "string"},
        "summary_html": {"type": "string", "description": "The summary as safe HTML"},
        "impact": {"type": "string"},
        "impact_html": {"type": "string", "description": "The impact as safe HTML"},
        "names": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Slack user id → name, for everyone the incident names",
        },
        "reporter": _nullable({"$ref": REF + "Person"}),
        "participants": {"type": "array", "items": {"$ref": REF + "Person"}},
        "times": _object(
            {
                "started_at": _nullable(TIMESTAMP),
                "reported_at": _nullable(TIMESTAMP),
                "acknowledged_at": _nullable(TIMESTAMP),
                "identified_at": _nullable(TIMESTAMP),
                "mitigated_at": _nullable(TIMESTAMP),
                "resolved_at": _nullable(TIMESTAMP),
            }
        ),
        "durations": {"type": "array", "items": {"$ref": REF + "Duration"}},
        "last_update_at": _nullable(
            {**TIMESTAMP, "description": "When the last update was posted in Slack"}
        ),
        "next_update_due_at": _nullable(
            {**TIMESTAMP, "description": "When the next update is due (REMINDER_UPDATE_MINUTES)"}
        ),
        "opened_in_slack": {"type": "boolean"},
        "open_problem": _nullable({"type": "string"}),
        "timeline": {"type": "array", "items": {"$ref": REF + "TimelineEntry"}},
        "removed_from_timeline": {
            "type": "array",
            "items": {"$ref": REF + "RemovedTimelineEntry"},
            "description": "Messages taken off the timeline (unpinned, the reaction removed): "
            "not on it any more, kept in the record with who took them off and when",
        },
        "actions": {"type": "array", "items": {"$ref": REF + "Action"}},
        "status_history": {"type": "array", "items": {"$ref": REF + "StatusChange"}},
    },
    "An incident with its timeline, follow-up actions and status history.",
)


def _query(name: str, description: str, schema: Json) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


LIST_PARAMETERS = [
    _query(
        "status",
        "open (anything not resolved) or one status",
        {"type": "string", "enum": list(STATUS_CHOICES)},
    ),
    _query("severity", "Severity level", {"type": "integer", "enum": sorted(SEVERITIES)}),
    _query(
        "from",
        "Reported on or after this day (viewer's time zone)",
        {"type": "string", "format": "date"},
    ),
    _query(
        "to",
        "Reported on or before this day (viewer's time zone)",
        {"type": "string", "format": "date"},
    ),
    _query(
        "q",
        "Words that must all appear in the title, summary or impact",
        {"type": "string", "maxLength": 200},
    ),
    _query("page", "Page number, from 1", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
    _query(
        "per_page",
        "Incidents per page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    ),
]


def _json(schema_name: str, description: str) -> Json:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF + schema_name}}},
    }


def document(server_url: str) -> Json:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Incident viewer API",
            "version": API_VERSION,
            "description": (
                "Read-only access to the incident record. Private incidents are left out "
                "unless the viewer is configured to show them."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/incidents": {
                "get": {
                    "operationId": "listIncidents",
                    "summary": "Incidents, open first, then newest first",
                    "parameters": LIST_PARAMETERS,
                    "responses": {
                        "200": _json("IncidentPage", "One page of incidents"),
                        "400": _json("Error", "A parameter was not understood"),
                    },
                }
            },
            "/api/incidents/{number}": {
                "get": {
                    "operationId": "getIncident",
                    "summary": "One incident in full",
                    "parameters": [
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": {
                        "200": _json("Incident", "The incident"),
                        "404": _json("Error", "No such incident, or it is private"),
                    },
                }
            },
            "/api/actions": {
                "get": {
                    "operationId": "listActions",
                    "summary": "Follow-ups across incidents: open first, the soonest due first",
                    "parameters": [
                        _query(
                            "state",
                            "open (the default), done or all",
                            {"type": "string", "enum": ["open", "done", "all"]},
                        ),
                        _query(
                            "owner",
                            "One person's (a Slack user id)",
                            {"type": "string", "pattern": "^[A-Za-z0-9]{1,32}$"},
                        ),
                        _query(
                            "overdue",
                            "1: only those past due",
                            {"type": "string", "enum": ["0", "1", ""]},
                        ),
                        _query(
                            "page",
                            "Page number",
                            {"type": "integer", "minimum": 1, "maximum": 999999},
                        ),
                    ],
                    "responses": {
                        "200": _json("ActionPage", "One page of follow-ups"),
                        "400": _json("Error", "A parameter was not understood"),
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
