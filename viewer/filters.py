"""The incident list's filters: parsed from a query string, turned back into one, applied."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import reduce
from zoneinfo import ZoneInfo

from peewee import Expression, ModelSelect

from models import SEVERITIES, STATUSES, Incident
from models.incident import Status
from viewer import search

OPEN = "open"
STATUS_CHOICES: tuple[str, ...] = (OPEN, *STATUSES)
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    severity: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""
    page: int = 1
    per_page: int = 25
    # Which parameters were given but not understood, as {parameter: message}.
    errors: dict[str, str] = field(default_factory=dict)
    # What was typed for each parameter, so a field with an error keeps it for correcting.
    typed: dict[str, str] = field(default_factory=dict)

    def query_args(self, **changes: object) -> dict[str, str]:
        """The query string for these filters (with `changes`), leaving defaults out."""
        filters = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        args: dict[str, str] = {}
        if filters.status:
            args["status"] = filters.status
        if filters.severity:
            args["severity"] = str(filters.severity)
        if filters.date_from:
            args["from"] = filters.date_from.isoformat()
        if filters.date_to:
            args["to"] = filters.date_to.isoformat()
        if filters.text:
            args["q"] = filters.text
        if filters.page != 1:
            args["page"] = str(filters.page)
        return args

    @property
    def is_filtered(self) -> bool:
        return bool(self.status or self.severity or self.date_from or self.date_to or self.text)


def parse(args: Mapping[str, str], *, per_page: int, max_per_page: int) -> ListFilters:
    """Read filters from query arguments. Bad values are dropped and reported, not fatal."""
    errors: dict[str, str] = {}

    status = args.get("status", "").strip().lower() or None
    if status and status not in STATUS_CHOICES:
        errors["status"] = f"Status must be one of: {', '.join(STATUS_CHOICES)}"
        status = None

    severity: int | None = None
    raw_severity = args.get("severity", "").strip().lower().removeprefix("sev")
    if raw_severity:
        if raw_severity.isdigit() and int(raw_severity) in SEVERITIES:
            severity = int(raw_severity)
        else:
            errors["severity"] = "Severity must be 1, 2, 3 or 4"

    date_from = _date(args, "from", errors)
    date_to = _date(args, "to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = "The end date must be the same as or after the start date"
        date_to = None

    # NUL can be typed in a URL but not searched for: PostgreSQL refuses it in a string (500).
    text = " ".join(args.get("q", "").replace("\x00", " ").split())
    if len(text) > MAX_QUERY_LENGTH:
        errors["q"] = f"Search text must be {MAX_QUERY_LENGTH} characters or fewer"
        text = text[:MAX_QUERY_LENGTH]

    page = _positive_int(args, "page", 1, errors)
    size = _positive_int(args, "per_page", per_page, errors)
    if size > max_per_page:
        errors["per_page"] = f"The page size must be {max_per_page} or fewer"
        size = max_per_page

    typed = {name: str(args.get(name, ""))[:200] for name in ("from", "to")}
    return ListFilters(status, severity, date_from, date_to, text, page, size, errors, typed)


def apply(
    query: ModelSelect[Incident], filters: ListFilters, zone: ZoneInfo
) -> ModelSelect[Incident]:
    conditions: list[Expression] = []
    if filters.status == OPEN:
        conditions.append(Incident.status != Status.RESOLVED)
    elif filters.status:
        conditions.append(Incident.status == filters.status)
    if filters.severity:
        conditions.append(Incident.severity == filters.severity)
    # Dates are days in the viewer's time zone, both ends included.
    if filters.date_from:
        conditions.append(Incident.reported_at >= _start_of(filters.date_from, zone))
    if filters.date_to:
        end = _start_of(filters.date_to + dt.timedelta(days=1), zone)
        conditions.append(Incident.reported_at < end)
    found = search.condition(filters.text) if filters.text else None
    if found is not None:
        conditions.append(found)
    if conditions:
        query = query.where(reduce(operator.and_, conditions))
    return query


def _start_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.UTC)


# Far enough either side of any incident, and far enough from the calendar's ends that a
# day's end in any time zone is still a date.
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(9998, 12, 31)
_DATE_NAMES = {"from": "The start date", "to": "The end date"}
# Fields a person can correct on the page; other parameters only come in a URL.
FIELDS = frozenset({"status", "severity", "from", "to", "q"})


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = (
            f"{_DATE_NAMES[name]} must be a real date written as YYYY-MM-DD, for example 2025-03-31"
        )
        return None
    if not EARLIEST <= day <= LATEST:
        errors[name] = (
            f"{_DATE_NAMES[name]} must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
        )
        return None
    return day


def _positive_int(args: Mapping[str, str], name: str, default: int, errors: dict[str, str]) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and 0 < int(raw) < 1_000_000:
        return int(raw)
    what = {"page": "The page number", "per_page": "The page size"}.get(name, name)
    errors[name] = f"{what} must be a whole number, 1 or more"
    return default
