"""The post-incident review draft in Markdown: the facts gathered, ready for people to edit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from viewer import followups, milestones, present
from viewer.mrkdwn import Names, markdown_escape, to_markdown, to_plain
from viewer.queries import IncidentDetail


def _line(text: str) -> str:
    """A single-line value, escaped, that cannot break the document's structure."""
    return markdown_escape(" ".join(text.split()))


def _person(person: object) -> str:
    return _line(getattr(person, "name", "")) if person else "Not set"


# How a change was made, in words (models.Source).
SOURCE_WORDS = {
    "command": "/incident",
    "mention": "@-mention",
    "modal": "form",
    "button": "button",
    "shortcut": "message shortcut",
    "pin": "pin",
    "reaction": "reaction",
    "declare": "declared",
    "slack": "in Slack",
    "scheduler": "by the bot",
    "import": "imported",
}
# Who put a message on the timeline, by how it is held.
PUT_BY = {"pin": "pinned", "reaction": "marked", "shortcut": "added"}


def _removals(detail: IncidentDetail, event: object, zone: ZoneInfo) -> list[tuple[str, str]]:
    """(" by Grace", "Mon 10 Mar 2025, 09:10 GMT") for each time a message entry was taken
    off the timeline and put back."""
    details = getattr(event, "details", None)
    if getattr(event, "kind", "") not in PUT_BY or not isinstance(details, dict):
        return []
    found = []
    for item in details.get("removals") or []:
        if not isinstance(item, dict):
            continue
        try:
            moment = dt.datetime.fromisoformat(str(item.get("removed_at")))
        except ValueError:
            continue
        remover = detail.person(item.get("removed_by"))
        took = f" by {_person(remover)}" if remover else ""
        found.append((took, present.format_time(moment, zone)))
    return found


def render(detail: IncidentDetail, names: Names, zone: ZoneInfo, now: dt.datetime) -> str:
    incident = detail.incident
    times = milestones.times_of(incident)
    seconds, ongoing = milestones.duration_seconds(incident, now)
    multi_day = present.spans_days([e.occurred_at for e in detail.timeline], zone)
    out: list[str] = [
        f"# Post-incident review: incident {incident.id}, {_line(to_plain(incident.title, names))}",
        "",
        f"_Draft generated {present.format_time(now, zone)}. Edit before sharing._",
        "",
        f"- **Severity:** {present.severity_label(incident.severity)}",
        f"- **Status:** {present.status_label(incident.status, bool(incident.report_only))}",
        f"- **Duration:** {present.format_duration(seconds)}{' so far' if ongoing else ''}",
    ]
    channel = incident.channel_name or incident.channel_id
    if channel:
        out.append(f"- **Slack channel:** \\#{_line(channel)}")
    out += ["", "## Summary", "", to_markdown(incident.summary, names) or "_Not written yet._"]
    out += ["", "## Impact", "", to_markdown(incident.impact, names) or "_Not written yet._"]

    out += ["", "## People", ""]
    out.append(f"- **Reporter:** {_person(detail.reporter)}")
    out.append(f"- **Lead:** {_person(detail.lead)}")
    others = [p.name for p in detail.participants]
    out.append(f"- **Participants:** {', '.join(_line(n) for n in others) or 'None recorded'}")

    out += [
        "",
        "## Key times",
        "",
        f"Times are in {zone.key}.",
        "",
        "| Moment | Time |",
        "| --- | --- |",
    ]
    for name in milestones.MILESTONES:
        out.append(f"| {milestones.label(name)} | {present.format_time(times[name], zone)} |")
    out += ["", "| Interval | Duration |", "| --- | --- |"]
    for span in milestones.spans_of(times):
        out.append(f"| {span.label} | {present.format_duration(span.seconds)} |")

    if detail.status_history:
        out += ["", "## Status history", ""]
        for change in detail.status_history:
            by = detail.person(change.changed_by)
            who = f" by {_person(by)}" if by else ""
            how = (
                f" ({_line(SOURCE_WORDS.get(change.source, change.source))})"
                if change.source
                else ""
            )
            out.append(
                f"- {present.format_time(change.changed_at, zone)}: "
                f"{present.status_label(change.status)}{who}{how}"
            )

    out += ["", "## Timeline", ""]
    if not detail.timeline:
        out.append("_No timeline entries._")
    for event in detail.timeline:
        when = present.format_time(event.occurred_at, zone, with_date=multi_day)
        author = detail.author(event)
        who = f" ({_person(author)})" if author else ""
        adder = detail.person(event.added_by_id)
        if adder and event.kind in PUT_BY and (author is None or adder.id != author.id):
            who += f", {PUT_BY[event.kind]} by {_person(adder)}"
        out.append(f"### {when}: {present.kind_label(event.kind)}{who}")
        if event.deleted_at:
            deleted = present.format_time(event.deleted_at, zone)
            adder = detail.person(event.added_by_id)
            put = f"; {_person(adder)} had put it on the timeline" if adder else ""
            out += [
                "",
                f"_Message deleted in Slack at {deleted}; its text is no longer kept{put}._",
                "",
            ]
            continue
        edited = (
            f" _(edited {present.format_time(event.edited_at, zone)})_" if event.edited_at else ""
        )
        out += ["", (to_markdown(event.text, names) or "_No text._") + edited]
        for took, when in _removals(detail, event, zone):
            out.append(f"- _Taken off the timeline{took} at {when}, then put back._")
        for item in event.files or []:
            if isinstance(item, dict):
                out.append(f"- File: {_line(str(item.get('name') or 'Unnamed file'))}")
        out.append("")

    if detail.removed:
        out += ["## Taken off the timeline", ""]
        for event in detail.removed:
            when = present.format_time(event.occurred_at, zone, with_date=multi_day)
            gone = present.format_time(event.removed_at, zone, with_date=multi_day)
            remover = detail.person(event.removed_by_id)
            took = f" by {_person(remover)}" if remover else ""
            text = _line(to_plain(event.text, names)) if not event.deleted_at else "(deleted)"
            out.append(
                f"- {when}, {present.kind_label(event.kind).lower()}: {text} — removed {gone}{took}"
            )
        out.append("")

    out += ["## Follow-up actions", ""]
    if not detail.actions:
        out.append("_None recorded yet. Add the actions agreed at the review._")
    for action in detail.actions:
        item = followups.shown(action, detail.names, zone, now)
        extra = [f"owner: {_line(item.owner)}" if item.owner else "no owner"]
        if item.due_day:
            extra.append(f"due {item.due_day}" + (" (overdue)" if item.overdue else ""))
        if item.ticket:
            extra.append(f"[ticket]({item.ticket.replace('(', '%28').replace(')', '%29')})")
        if action.done and item.done_by:
            extra.append(f"done by {_line(item.done_by)}")
        out.append(f"- [{'x' if action.done else ' '}] {_line(item.title)} — {'; '.join(extra)}")
    out += [
        "",
        "## What went well",
        "",
        "_To discuss._",
        "",
        "## What could be better",
        "",
        "_To discuss._",
        "",
    ]
    return "\n".join(out)
