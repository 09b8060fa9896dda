"""Everything the viewer reads from the database, each view in a fixed number of queries.

Pages and the API call these and never build queries themselves, so the query count of a
view is visible here: the list is a count, a page of rows and one look-up of names (a
search counts its matches on the page's rows, so its match runs once); an
incident is the row, its timeline, actions and status history, and one look-up each of
names and channels.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from peewee import SQL, Case, ModelSelect, fn

from models import (
    ChannelMember,
    FollowUpAction,
    Incident,
    SlackUser,
    StatusChange,
    TimelineEvent,
)
from models.incident import Status
from viewer import filters as list_filters
from viewer import mrkdwn, search


@dataclass(frozen=True)
class Person:
    id: str | None  # None for authors known only by name (e.g. messages from integrations)
    name: str


@dataclass
class ListPage:
    incidents: list[Incident]
    total: int
    filters: list_filters.ListFilters
    names: dict[str, str]

    @property
    def page(self) -> int:
        return self.filters.page

    @property
    def per_page(self) -> int:
        return self.filters.per_page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def numbered(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last, and those near this one; None
        where numbers are left out (shown as an ellipsis)."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        shown: list[int | None] = []
        for number in sorted(n for n in wanted if 1 <= n <= self.pages):
            if shown and shown[-1] is not None and number > shown[-1] + 1:
                shown.append(None)
            shown.append(number)
        return shown

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.incidents) - 1

    def person(self, user_id: str | None) -> Person | None:
        return Person(user_id, self.names.get(user_id) or user_id) if user_id else None


@dataclass
class IncidentDetail:
    incident: Incident
    timeline: list[TimelineEvent]
    names: dict[str, str]
    channels: dict[str, str]
    actions: list[FollowUpAction] = field(default_factory=list)
    status_history: list[StatusChange] = field(default_factory=list)
    # Messages taken off the timeline (unpinned, reaction removed): not shown on it, kept.
    removed: list[TimelineEvent] = field(default_factory=list)

    def person(self, user_id: str | None, fallback: str = "") -> Person | None:
        if not user_id:
            return None
        return Person(user_id, self.names.get(user_id) or fallback or user_id)

    def author(self, event: TimelineEvent) -> Person | None:
        if event.author_id:
            return self.person(event.author_id, event.author_name)
        return Person(None, event.author_name) if event.author_name else None

    @property
    def reporter(self) -> Person | None:
        return self.person(self.incident.reporter_id)

    @property
    def lead(self) -> Person | None:
        return self.person(self.incident.lead_id)

    @property
    def participants(self) -> list[Person]:
        """Everyone who took part: reporter, lead, then timeline authors as they appear."""
        seen: dict[str, Person] = {}
        candidates = [(self.incident.reporter_id, ""), (self.incident.lead_id, "")]
        candidates += [(event.author_id, event.author_name) for event in self.timeline]
        for user_id, fallback in candidates:
            if user_id and user_id not in seen:
                person = self.person(user_id, fallback)
                if person:
                    seen[user_id] = person
        return list(seen.values())


@dataclass(frozen=True)
class Audience:
    """Who is looking, as far as private incidents go."""

    show_private: bool = False  # VIEWER_SHOW_PRIVATE: everyone who may read sees them all
    user_id: str | None = None  # the signed-in person's Slack user id, if known
    # Else their verified e-mail, lower-cased (as the bot stores Slack users' addresses).
    email: str | None = None


def visible(query: ModelSelect[Incident], audience: Audience) -> ModelSelect[Incident]:
    """Public incidents, and the private ones whose channel the person is in.

    Membership is a subquery, not a second query, so every view keeps its fixed count.
    """
    if audience.show_private:
        return query
    public = Incident.is_private == False  # noqa: E712
    if audience.user_id is not None:
        who = ChannelMember.user_id == audience.user_id
    elif audience.email:
        who = ChannelMember.user_id.in_(
            SlackUser.select(SlackUser.user_id).where(SlackUser.email == audience.email)
        )
    else:
        return query.where(public)
    channels = ChannelMember.select(ChannelMember.channel_id).where(who)
    return query.where(public | Incident.channel_id.in_(channels))


def list_incidents(
    filters: list_filters.ListFilters, zone: ZoneInfo, *, audience: Audience
) -> ListPage:
    """One page of incidents: open ones first, the most severe first (unset last), then
    the resolved ones; newest first within each."""
    query = list_filters.apply(visible(Incident.select(), audience), filters, zone)
    rank = Case(None, ((Incident.status == Status.RESOLVED, 9),), fn.COALESCE(Incident.severity, 5))
    order = [rank, Incident.reported_at.desc(), Incident.id.desc()]
    number = search.number_in(filters.text) if filters.text else None
    if number is not None:
        # The incident with that number first: "50" is also in inc-150, inc-500 and more.
        order.insert(0, Case(None, ((Incident.id == number, 0),), 1))
    ordered = query.order_by(*order)
    if not filters.text:
        # A count is cheap without a search, and cheaper than a window over every row.
        total = query.count()
        rows = list(ordered.paginate(filters.page, filters.per_page))
        return ListPage(rows, total, filters, _list_names(rows))
    # A search's total rides on the page's rows (a window count), so its match runs once.
    counted = ordered.select_extend(fn.COUNT(SQL("*")).over().alias("matching"))
    rows = list(counted.paginate(filters.page, filters.per_page))
    # Only a page past the end has no row to carry the total.
    total = int(rows[0].matching) if rows else query.count()  # type: ignore[attr-defined]
    return ListPage(rows, total, filters, _list_names(rows))


def _list_names(rows: list[Incident]) -> dict[str, str]:
    """The leads, and anyone a title mentions (older and imported titles hold raw ids)."""
    titled = mrkdwn.user_ids_in(i.title or "" for i in rows)
    return names_of({*(i.lead_id for i in rows), *titled})


def load_incident(number: int, *, audience: Audience) -> IncidentDetail | None:
    incident = visible(Incident.select(), audience).where(Incident.id == number).first()
    if incident is None:
        return None
    # The attr-defined ignores: Peewee's implicit "id" primary key is not in peewee-stubs.
    every = list(
        TimelineEvent.select()
        .where(TimelineEvent.incident == incident.id)
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    )
    timeline = [event for event in every if event.removed_at is None]
    removed = [event for event in every if event.removed_at is not None]
    actions = list(
        FollowUpAction.select()
        .where(FollowUpAction.incident == incident.id)
        .order_by(FollowUpAction.done, FollowUpAction.id)
    )
    history = list(
        StatusChange.select()
        .where(StatusChange.incident == incident.id)
        .order_by(StatusChange.changed_at, StatusChange.id)
    )
    for event in every:
        if event.deleted_at is not None:
            # Deleted in Slack: its words were taken away when Slack said so; a row written
            # before that (or by hand) still shows none.
            event.text, event.files = "", []
    # Everything shown as Slack's markup: a mention in any of it reads as a name.
    texts = [
        incident.title or "",
        incident.summary or "",
        incident.impact or "",
        *(event.text for event in every),
        *(action.title or "" for action in actions),
    ]
    ids = {
        incident.reporter_id,
        incident.lead_id,
        *(e.author_id for e in every),
        *(e.added_by_id for e in every),
        *(e.removed_by_id for e in removed),
        *(
            item.get("removed_by")
            for e in every
            if isinstance(e.details, dict)
            for item in e.details.get("removals") or []
            if isinstance(item, dict)
        ),
        *(a.owner_id for a in actions),
        *(a.done_by for a in actions),
        *(c.changed_by for c in history),
    }
    names = names_of(ids | mrkdwn.user_ids_in(texts))
    channels = channel_names(mrkdwn.channel_ids_in(texts), audience=audience)
    if incident.channel_id:
        channels.setdefault(incident.channel_id, incident.channel_name or incident.channel_id)
    return IncidentDetail(incident, timeline, names, channels, actions, history, removed)


def names_of(user_ids: Iterable[str | None]) -> dict[str, str]:
    """Shown names from the Slack user cache, in one query (none when there is nobody)."""
    wanted = sorted({user_id for user_id in user_ids if user_id})
    if not wanted:
        return {}
    # Tuples, not models: a page may name hundreds of people, and only their names are read.
    users: Iterable[tuple[str, str | None, str | None, str | None]] = (
        SlackUser.select(
            SlackUser.user_id, SlackUser.display_name, SlackUser.real_name, SlackUser.name
        )
        .where(SlackUser.user_id.in_(wanted))
        .tuples()  # type: ignore[assignment]
    )
    return {user_id: shown or real or name or user_id for user_id, shown, real, name in users}


def channel_names(channel_ids: set[str], *, audience: Audience) -> dict[str, str]:
    """Names of incident channels mentioned in messages, in one query."""
    if not channel_ids:
        return {}
    query = visible(Incident.select(Incident.channel_id, Incident.channel_name), audience).where(
        Incident.channel_id.in_(sorted(channel_ids))
    )
    found: Iterable[tuple[str, str | None]] = query.tuples()  # type: ignore[assignment]
    return {channel_id: name or channel_id for channel_id, name in found}


ACTION_STATES = ("open", "done", "all")


@dataclass
class ActionPage:
    """Follow-ups across the incidents the person may see, one page of them."""

    actions: list[FollowUpAction]
    total: int
    page: int
    per_page: int
    names: dict[str, str]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def list_actions(
    *,
    state: str,
    owner: str | None,
    overdue: bool,
    page: int,
    per_page: int,
    now: dt.datetime,
    audience: Audience,
) -> ActionPage:
    """Open ones first, the soonest due first (none due last), then the newest."""
    seen = visible(Incident.select(Incident.id), audience)
    query = (
        FollowUpAction.select(FollowUpAction, Incident)
        .join(Incident)
        .where(FollowUpAction.incident.in_(seen))
    )
    if state == "open":
        query = query.where(~FollowUpAction.done)
    elif state == "done":
        query = query.where(FollowUpAction.done)
    if owner:
        query = query.where(FollowUpAction.owner_id == owner)
    if overdue:
        query = query.where(~FollowUpAction.done & (FollowUpAction.due_at < now))
    total = query.count()
    rows = list(
        query.order_by(
            FollowUpAction.done,
            FollowUpAction.due_at.asc(nulls="LAST"),
            FollowUpAction.id.desc(),
        ).paginate(page, per_page)
    )
    titled = mrkdwn.user_ids_in(t for a in rows for t in (a.title or "", a.incident.title or ""))
    people = {*(a.owner_id for a in rows), *(a.done_by for a in rows), owner}
    names = names_of(people | titled)
    return ActionPage(rows, total, page, per_page, names)
