"""Incidents as the JSON the API promises (the shapes are described in viewer/openapi.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for

from models import Incident, TimelineEvent
from viewer import followups, milestones, mrkdwn, present
from viewer.queries import IncidentDetail, ListPage, Person
from viewer.templating import settings

Json = dict[str, Any]


def person(p: Person | None) -> Json | None:
    return {"id": p.id, "name": p.name} if p else None


def severity(level: int | None) -> Json:
    return {"level": level, "label": present.severity_label(level)}


def channel(incident: Incident) -> Json | None:
    """The incident's Slack channel: id, name and a link where the workspace is known."""
    if not incident.channel_id:
        return None
    workspace = settings().slack_workspace_url
    return {
        "id": incident.channel_id,
        "name": incident.channel_name,
        "url": present.slack_channel_url(workspace, incident.channel_id),
    }


def summary(
    incident: Incident, lead: Person | None, now: dt.datetime, names: dict[str, str]
) -> Json:
    seconds, ongoing = milestones.duration_seconds(incident, now)
    return {
        "number": incident.id,
        "title": incident.title,
        "title_text": mrkdwn.to_plain(incident.title, mrkdwn.Names(users=names)),
        "severity": severity(incident.severity),
        "status": incident.status,
        "status_label": present.status_label(incident.status, bool(incident.report_only)),
        "report_only": bool(incident.report_only),
        "is_open": incident.is_open,
        "is_private": bool(incident.is_private),
        "lead": person(lead),
        "channel": channel(incident),
        "reported_at": present.iso(incident.reported_at),
        "resolved_at": present.iso(getattr(incident, "resolved_at", None)),
        "duration_seconds": seconds,
        "duration_ongoing": ongoing,
        "url": url_for("api.get_incident", number=incident.id, _external=True),
        "html_url": url_for("pages.incident", number=incident.id, _external=True),
    }


def list_page(
    page: ListPage, now: dt.datetime, links: Json, matched: dict[int, list[str]] | None = None
) -> Json:
    """One page of the list; with a search, each item says where it matched."""
    items = []
    for incident in page.incidents:
        item = summary(incident, page.person(incident.lead_id), now, page.names)
        if matched is not None:
            item["matched"] = matched.get(incident.id, [])
        items.append(item)
    return {
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "links": links,
    }


def files(raw: object) -> list[Json]:
    shown = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            shown.append(
                {
                    "name": str(item.get("name") or ""),
                    "url": mrkdwn.safe_url(str(item.get("url") or "")),
                }
            )
    return shown


def _removals(event: TimelineEvent) -> list[dict[str, Any]]:
    details = event.details if isinstance(event.details, dict) else {}
    found = details.get("removals") if event.kind in ("pin", "reaction", "shortcut") else None
    return [item for item in found or [] if isinstance(item, dict)]


def _moment(raw: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def entry(d: IncidentDetail, event: TimelineEvent, names: mrkdwn.Names) -> Json:
    return {
        "id": event.id,
        "kind": event.kind,
        "kind_label": present.kind_label(event.kind),
        "occurred_at": present.iso(event.occurred_at),
        "author": person(d.author(event)),
        "added_by": person(d.person(event.added_by_id)),
        # How it got here: a pin, a reaction, the shortcut, a command, a form…
        "source": event.source,
        # Deleted in Slack: no words, only that it was and when.
        "text": None if event.deleted_at else event.text,
        "html": None if event.deleted_at else str(mrkdwn.to_html(event.text, names)),
        # Taken off the timeline before and put back: each time, who and when.
        "removals": [
            {
                "removed_at": present.iso(_moment(item.get("removed_at"))),
                "removed_by": person(d.person(item.get("removed_by"))),
            }
            for item in _removals(event)
        ],
        "edited": event.edited_at is not None,
        "edited_at": present.iso(event.edited_at),
        "deleted": event.deleted_at is not None,
        "deleted_at": present.iso(event.deleted_at),
        "permalink": mrkdwn.safe_url(event.permalink or ""),
        "files": files(event.files),
    }


def detail(d: IncidentDetail, names: mrkdwn.Names, now: dt.datetime) -> Json:
    incident = d.incident
    times = milestones.times_of(incident)
    body = summary(incident, d.lead, now, d.names)
    body.update(
        {
            "summary": incident.summary,
            "summary_html": str(mrkdwn.to_html(incident.summary, names)),
            "impact": incident.impact,
            "impact_html": str(mrkdwn.to_html(incident.impact, names)),
            # Everyone the incident names (people, authors, mentions): id → name.
            "names": dict(sorted(d.names.items())),
            "reporter": person(d.reporter),
            "participants": [person(p) for p in d.participants],
            "times": {f"{name}_at": present.iso(value) for name, value in times.items()},
            "last_update_at": present.iso(incident.last_update_at),
            "next_update_due_at": present.iso(
                milestones.next_update_due(incident, settings().update_minutes)
            ),
            "durations": [
                {"label": s.label, "from": s.start, "to": s.end, "seconds": s.seconds}
                for s in milestones.spans_of(times)
            ],
            # No channel yet: Slack did not open it (the reporter was given a Retry button).
            "opened_in_slack": incident.channel_id is not None,
            "open_problem": None if incident.channel_id else incident.open_problem,
            "timeline": [entry(d, event, names) for event in d.timeline],
            "removed_from_timeline": [
                {
                    **entry(d, event, names),
                    "removed_at": present.iso(event.removed_at),
                    "removed_by": person(d.person(event.removed_by_id)),
                }
                for event in d.removed
            ],
            "actions": [
                followups.as_json(followups.shown(a, d.names, settings().zone, now))
                for a in d.actions
            ],
            "status_history": [
                {
                    "status": c.status,
                    "from_status": c.from_status,
                    "changed_at": present.iso(c.changed_at),
                    "changed_by": person(d.person(c.changed_by)),
                    "source": c.source,
                }
                for c in d.status_history
            ],
        }
    )
    return body
