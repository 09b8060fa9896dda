"""Search that finds an incident by what a reviewer remembers of it: its number (`9970`,
`inc-9970`), its channel's name, a person in it (reporter, lead, someone in its channel or
on its timeline), or words in its title, summary, impact or timeline. Words go through the
database's full-text index (PostgreSQL's, or SQLite's FTS5), each word as the start of a
word (a number whole), every word needed. Each result says where it matched."""

from __future__ import annotations

import re
from collections.abc import Iterable

from peewee import SQL, Expression, ModelSelect, PostgresqlDatabase, fn

from models import ChannelMember, Incident, SlackUser, TimelineEvent, db

MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"^(?:inc-?|#)?(\d{1,18})$", re.IGNORECASE)
# Incident rows, and timeline rows, whose words hold every term (as prefixes).
_PG_INCIDENT = (
    "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' "
    "|| coalesce(impact, '')) @@ to_tsquery('simple', %s)"
)
_PG_TIMELINE = "to_tsvector('simple', coalesce(text, '')) @@ to_tsquery('simple', %s)"

TITLE_TEXT, TIMELINE, NUMBER, CHANNEL, PERSON = (
    "title, summary or impact",
    "timeline",
    "number",
    "channel name",
    "person",
)


def words(text: str) -> list[str]:
    """The query's words, as the index keeps them: letters and digits, lower case."""
    return [w.lower() for w in _WORD.findall(text)][:MAX_TERMS]


def number_in(text: str) -> int | None:
    found = _NUMBER.match(text.strip())
    return int(found.group(1)) if found and int(found.group(1)) < 2**63 else None


def _postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def _fts_query(terms: list[str]) -> str:
    """Every term; a word as the start of a word ("data" finds "database"), a number as
    itself ("100" does not find "1000")."""

    def prefix(term: str) -> bool:
        return not term.isdigit()

    if _postgres():
        return " & ".join(f"{t}:*" if prefix(t) else t for t in terms)
    return " ".join('"' + t.replace('"', '""') + '"' + ("*" if prefix(t) else "") for t in terms)


def _by_text(terms: list[str]) -> ModelSelect[Incident]:
    if _postgres():
        return Incident.select(Incident.id).where(SQL(_PG_INCIDENT, [_fts_query(terms)]))
    return (
        Incident.select(SQL("rowid"))
        .from_(SQL("incident_fts"))
        .where(SQL("incident_fts MATCH ?", [_fts_query(terms)]))
    )


def _by_timeline(terms: list[str]) -> ModelSelect[TimelineEvent]:
    if _postgres():
        found = TimelineEvent.select(TimelineEvent.incident).where(
            SQL(_PG_TIMELINE, [_fts_query(terms)])
        )
    else:
        ids = (
            TimelineEvent.select(SQL("rowid"))
            .from_(SQL("timeline_fts"))
            .where(SQL("timeline_fts MATCH ?", [_fts_query(terms)]))
        )
        found = TimelineEvent.select(TimelineEvent.incident).where(TimelineEvent.id.in_(ids))
    # Deleted messages keep no words, so they match none.
    # Words deleted in Slack are gone; words taken off the timeline are not on the page.
    return found.where(TimelineEvent.deleted_at.is_null() & TimelineEvent.removed_at.is_null())


def _people(text: str) -> ModelSelect[SlackUser]:
    """The people whose name (or e-mail) holds `text`."""
    wanted = text.lower()
    return SlackUser.select(SlackUser.user_id).where(
        fn.LOWER(SlackUser.display_name).contains(wanted)
        | fn.LOWER(SlackUser.real_name).contains(wanted)
        | fn.LOWER(SlackUser.name).contains(wanted)
        | fn.LOWER(SlackUser.email).contains(wanted)
    )


def _with_people(people: ModelSelect[SlackUser]) -> Expression:
    members = ChannelMember.select(ChannelMember.channel_id).where(
        ChannelMember.user_id.in_(people)
    )
    authors = TimelineEvent.select(TimelineEvent.incident).where(
        TimelineEvent.author_id.in_(people)
    )
    return (
        Incident.reporter_id.in_(people)
        | Incident.lead_id.in_(people)
        | Incident.channel_id.in_(members)
        | Incident.id.in_(authors)
    )


def condition(text: str) -> Expression | None:
    """Which incidents the search `text` finds (None: there is nothing to look for)."""
    typed = text.strip()
    if not typed:
        return None
    # As Slack writes them: "#inc-checkout" is a channel, "@alice" a person.
    bare = _bare(typed)
    found = fn.LOWER(Incident.channel_name).contains(bare.lower()) | _with_people(_people(bare))
    terms = words(typed)
    if terms:  # punctuation alone is no word: only a channel or a person can hold it
        found = found | Incident.id.in_(_by_text(terms)) | Incident.id.in_(_by_timeline(terms))
    number = number_in(typed)
    return found | (Incident.id == number) if number is not None else found


def _bare(typed: str) -> str:
    return typed[1:].strip() if typed[:1] in ("#", "@") and len(typed) > 1 else typed


def reasons(text: str, incidents: Iterable[Incident]) -> dict[int, list[str]]:
    """Where the search matched each of `incidents` (the page shown): a few queries for the
    page, whatever its size."""
    shown = {i.id: i for i in incidents}
    terms = words(text)
    out: dict[int, list[str]] = {number: [] for number in shown}
    if not shown or not text.strip():
        return out
    number = number_in(text)
    lowered = _bare(text.strip()).lower()
    for incident in shown.values():
        if incident.id == number:
            out[incident.id].append(NUMBER)
    page = list(shown)
    if terms:
        hits = Incident.select(Incident.id).where(
            Incident.id.in_(page) & Incident.id.in_(_by_text(terms))
        )
        for hit in hits:
            out[hit.id].append(TITLE_TEXT)
        for entry in _by_timeline(terms).where(TimelineEvent.incident.in_(page)).distinct():
            out[int(entry.__data__["incident"])].append(TIMELINE)
    for incident in shown.values():
        if lowered and lowered in (incident.channel_name or "").lower():
            out[incident.id].append(CHANNEL)
    people = {
        p.user_id: p.shown_name
        for p in SlackUser.select().where(SlackUser.user_id.in_(_people(_bare(text.strip()))))
    }
    if people:
        _who(out, shown, people, page)
    return out


def _who(
    out: dict[int, list[str]],
    shown: dict[int, Incident],
    people: dict[str, str],
    page: list[int],
) -> None:
    """Which person of the search each incident has, and as what."""
    for incident in shown.values():
        for user_id, role in ((incident.reporter_id, "reporter"), (incident.lead_id, "lead")):
            if user_id in people:
                out[incident.id].append(f"{PERSON}: {people[user_id]} ({role})")
    channels = {i.channel_id: i.id for i in shown.values() if i.channel_id}
    if channels:
        rows = ChannelMember.select().where(
            ChannelMember.channel_id.in_(list(channels)) & ChannelMember.user_id.in_(list(people))
        )
        for row in rows:
            said = f"{PERSON}: {people[row.user_id]} (in its channel)"
            number = channels[row.channel_id]
            if not any(r.startswith(f"{PERSON}: {people[row.user_id]}") for r in out[number]):
                out[number].append(said)
    authors = (
        TimelineEvent.select(TimelineEvent.incident, TimelineEvent.author_id)
        .where(TimelineEvent.incident.in_(page) & TimelineEvent.author_id.in_(list(people)))
        .distinct()
    )
    for entry in authors:
        number = int(entry.__data__["incident"])
        name = people[str(entry.author_id)]
        if not any(r.startswith(f"{PERSON}: {name}") for r in out[number]):
            out[number].append(f"{PERSON}: {name} (on its timeline)")
