"""How values read to people: labels for severity, status and kinds; times; durations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from models import SEVERITIES

# Timeline kinds the bot writes or will write; any other kind is shown by its own name.
KIND_LABELS: dict[str, str] = {
    "pin": "Pinned message",
    "reaction": "Marked message",
    "shortcut": "Added message",
    "note": "Note",
    "update": "Update",
    "declared": "Declared",
    "status": "Status change",
    "severity": "Severity change",
    "lead": "Lead change",
    "title": "Title change",
    "summary": "Summary change",
    "impact": "Impact change",
    "started": "Impact start change",
    "action": "Follow-up action",
    "renamed": "Channel renamed",
    "archived": "Channel archived",
    "unarchived": "Channel unarchived",
}


def severity_label(level: int | None) -> str:
    return SEVERITIES.get(level, "Not set") if level else "Not set"


def severity_class(level: int | None) -> str:
    return f"sev-{level}" if level in SEVERITIES else "sev-none"


REPORT_ONLY = "Report only"


def status_label(status: str, report_only: bool = False) -> str:
    """The same words the bot uses in Slack, so people recognise them; an incident imported
    from response as a report only (never live) says so rather than "Resolved"."""
    return REPORT_ONLY if report_only else status.replace("_", " ").capitalize()


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize() or "Entry")


def local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def format_time(moment: dt.datetime | None, zone: ZoneInfo, *, with_date: bool = True) -> str:
    """'Tue 4 Mar 2025, 14:05 GMT', or '14:05' when the date goes without saying."""
    if moment is None:
        return "Not recorded"
    shown = moment.astimezone(zone)
    if not with_date:
        return clock(moment, zone)
    time = shown.strftime("%H:%M")
    return f"{shown.strftime('%a')} {shown.day} {shown.strftime('%b %Y')}, {time} {shown.tzname()}"


def clock(moment: dt.datetime, zone: ZoneInfo) -> str:
    """'14:05', with the zone's abbreviation where the clock alone could be either of two
    moments (the hour repeated when the clocks go back): '01:10 GMT' after '01:55 BST'."""
    local = moment.astimezone(zone)
    other = local.replace(fold=1 - local.fold)
    shown = local.strftime("%H:%M")
    return f"{shown} {local.tzname()}" if other.utcoffset() != local.utcoffset() else shown


def format_short(moment: dt.datetime, zone: ZoneInfo) -> str:
    """'4 Mar 2025 14:05': where a line is short (the list on a phone)."""
    shown = moment.astimezone(zone)
    return f"{shown.day} {shown.strftime('%b %Y')} {clock(moment, zone)}"


def format_date(moment: dt.datetime, zone: ZoneInfo) -> str:
    shown = moment.astimezone(zone)
    return f"{shown.day} {shown.strftime('%b %Y')}"


def spans_days(moments: list[dt.datetime], zone: ZoneInfo) -> bool:
    return len({moment.astimezone(zone).date() for moment in moments}) > 1


def _units(seconds: int) -> tuple[int, int, int]:
    """Whole days, hours and minutes."""
    days, minutes = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return days, hours, minutes


def format_duration(seconds: int | None) -> str:
    """Whole units in words, largest two only: '2 days 3 hours', '45 minutes'."""
    if seconds is None:
        return "Not recorded"
    if seconds < 60:
        return "Less than a minute"
    parts = zip(_units(seconds), ("day", "hour", "minute"), strict=True)
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words[:2])


def format_duration_short(seconds: int | None) -> str:
    """The same in short units, where a line is short: '2 d 3 h', '45 min'."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return "< 1 min"
    parts = zip(_units(seconds), ("d", "h", "min"), strict=True)
    return " ".join([f"{n} {unit}" for n, unit in parts if n][:2])


def iso(moment: dt.datetime | None) -> str | None:
    """UTC in RFC 3339 with a Z, the form the API promises."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def slack_channel_url(workspace_url: str | None, channel_id: str | None) -> str | None:
    if not workspace_url or not channel_id:
        return None
    return f"{workspace_url}/archives/{channel_id}"
