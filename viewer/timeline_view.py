"""A long timeline laid out for reading: one kind of entry or all, oldest or newest first,
under a heading per day, each entry with a link of its own. Every choice is a query
parameter, so a view can be shared as a link and needs no JavaScript."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from markupsafe import Markup

from models import TimelineEvent

# The kinds a reader filters by, in the order the links show them.
GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "messages": ("Messages", frozenset({"pin", "reaction", "shortcut"})),
    "updates": ("Updates", frozenset({"update"})),
    "changes": (
        "Changes",
        frozenset(
            {
                "status",
                "severity",
                "lead",
                "title",
                "summary",
                "impact",
                "started",
                "declared",
                "resolved",
                "reopened",
                "renamed",
                "archived",
                "unarchived",
            }
        ),
    ),
    "notes": ("Notes", frozenset({"note"})),
    "actions": ("Follow-ups", frozenset({"action"})),
}
_GROUP_OF = {kind: group for group, (_, kinds) in GROUPS.items() for kind in kinds}
ORDERS = ("oldest", "newest")


def group_of(kind: str) -> str:
    """Which filter an entry falls under; also its look on the page ("other" for a kind
    this viewer does not know yet)."""
    return _GROUP_OF.get(kind, "other")


@dataclass(frozen=True)
class ShownEvent:
    event: TimelineEvent
    html: Markup  # the whole entry, as the page shows it

    @property
    def group(self) -> str:
        return group_of(str(self.event.kind))


@dataclass
class Day:
    key: str  # 2025-03-04, the anchor of its heading
    heading: str  # Tuesday 4 March 2025
    short: str  # 4 Mar
    entries: list[ShownEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Choice:
    """What the reader asked for; anything unknown is the default, never an error page."""

    group: str | None = None  # None: every kind
    order: str = "oldest"

    @classmethod
    def of(cls, args: Mapping[str, str]) -> Choice:
        group = args.get("kind")
        order = args.get("order")
        return cls(
            group if group in GROUPS else None,
            order if order in ORDERS else "oldest",
        )

    @property
    def newest_first(self) -> bool:
        return self.order == "newest"

    def query(self, **changed: str | None) -> dict[str, str]:
        """The query parameters of this view with `changed` applied, defaults left out."""
        values = {"kind": self.group, "order": self.order, **changed}
        if values["order"] == "oldest":
            values["order"] = None
        return {k: v for k, v in values.items() if v}


def counts(events: Iterable[ShownEvent]) -> dict[str, int]:
    found = dict.fromkeys(GROUPS, 0)
    for item in events:
        if item.group in found:
            found[item.group] += 1
    return found


def days(events: list[ShownEvent], choice: Choice, zone: ZoneInfo) -> list[Day]:
    """The chosen entries under their day's heading, in the chosen order (the events come
    oldest first)."""
    chosen = [e for e in events if choice.group is None or e.group == choice.group]
    if choice.newest_first:
        chosen.reverse()
    out: list[Day] = []
    for item in chosen:
        local = item.event.occurred_at.astimezone(zone)
        key = local.date().isoformat()
        if not out or out[-1].key != key:
            out.append(Day(key, _heading(local), f"{local.day} {local.strftime('%b')}"))
        out[-1].entries.append(item)
    return out


def _heading(local: dt.datetime) -> str:
    return f"{local.strftime('%A')} {local.day} {local.strftime('%B %Y')}"
