"""The one way back to Slack after a stored change: the opening message, the announcement
and the channel topic are edited in place; the channel hears what changed; a newly named
lead is invited; resolving and reopening are told in the announcement's thread, and the lead
(or reporter) gets the review link by DM.

A listener stores the change before its ack and `keep`s the outcome in Bolt's context; its
second half, after the ack, calls `show`.

Whatever renders last is what people see, so every render is of the newest stored state,
and is checked against the database afterwards: when the incident's revision moved on
while Slack was being updated (another thread, another replica), the render is done again.
No lock is held across Slack calls, and the last render to land is always the newest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.domain import incidents, lifecycle
from bot.domain.lifecycle import Change, Outcome
from bot.domain.mrkdwn import unescape
from bot.slack import answers, blocks, posting
from bot.slack.heard import named
from bot.slack.invites import invite
from bot.slack.people import shown_name
from models import Incident, Source
from models.incident import Status

log = logging.getLogger(__name__)

# Fields shown in the topic: a change to anything else leaves the topic (and the "set the
# channel topic" line Slack posts with it) alone.
TOPIC_FIELDS = {"severity", "lead", "title"}
# Renders of one incident in a row by one thread. Every round renders a real change (made
# here while the last round was on its way, or by another replica), so a burst of changes
# during a slow Slack takes as many rounds as it needs; the cap only guards against a fault
# that would move the revision for ever.
MAX_ROUNDS = 200


def _quietly(step: str, incident: Incident, action: Callable[[], object]) -> None:
    """Sync failures are logged, never raised: the change itself is already stored."""
    try:
        action()
    except SlackApiError as error:
        log.warning(
            "sync step failed",
            extra={"incident": incident.id, "step": step, "error": error.response.get("error")},
        )
    except OSError as error:  # Slack out of reach after the client's retries
        log.warning(
            "sync step failed",
            extra={"incident": incident.id, "step": step, "error": type(error).__name__},
        )


# Incidents being rendered by a thread of this process, with the fields changed since its
# last round: that thread renders again, so a second thread need not wait its turn.
_rendering: dict[int, set[str]] = {}
_rendering_guard = threading.Lock()
# Another replica changed the incident meanwhile: which fields is unknown.
_UNKNOWN = "*"


def refresh(
    client: WebClient, number: int, settings: Settings, changed: Iterable[str] = ()
) -> None:
    """Edit the opening message and the announcement; reset the topic if it shows a change.

    Renders the newest stored state until a render is found still newest once it landed.
    """
    with _rendering_guard:
        if number in _rendering:
            # The thread rendering it sees these and goes again.
            _rendering[number] |= set(changed) or {_UNKNOWN}
            return
        _rendering[number] = set()
    owned = True  # this thread holds the incident's entry in _rendering
    try:
        fields = set(changed)
        topic_set: str | None = None  # the topic this thread last set
        for _round in range(MAX_ROUNDS):
            incident = incidents.get(number)
            if incident is None:
                return
            topic = blocks.topic(incident, shown_name(client, incident.lead_id))
            unknown = _UNKNOWN in fields
            needed = (bool(TOPIC_FIELDS & fields) or unknown) and topic != topic_set
            _render(client, incident, settings, topic if needed else None)
            if needed:
                topic_set = topic
            newest = incidents.revision_of(number) == incident.revision
            with _rendering_guard:
                fields = _rendering[number]
                _rendering[number] = set()
                if not fields and newest:
                    # Let go in the same breath as the last look: a change that comes after
                    # this finds no entry and renders by itself.
                    del _rendering[number]
                    owned = False
                    return
            if not fields:
                fields = {_UNKNOWN}  # changed by another replica while this one rendered
        log.info("incident kept changing while rendered", extra={"incident": number})
    finally:
        if owned:
            with _rendering_guard:
                _rendering.pop(number, None)


def _render(client: WebClient, incident: Incident, settings: Settings, topic: str | None) -> None:
    link = blocks.viewer_url(settings.viewer_base_url, incident)
    # Locals, not attributes: the checks below narrow them for the lambdas too.
    channel_id, opening_ts = incident.channel_id, incident.opening_message_ts
    announcement_channel = incident.announcement_channel_id
    announcement_ts = incident.announcement_ts
    if incident.channel_archived_at is not None:
        # Slack takes no edit in an archived channel (is_inactive): only the announcement.
        channel_id = opening_ts = None
    if channel_id and opening_ts:
        text, body = blocks.opening_message(incident, link, settings.timeline_reaction)
        _quietly(
            "opening message",
            incident,
            lambda: client.chat_update(channel=channel_id, ts=opening_ts, text=text, blocks=body),
        )
    if announcement_channel and announcement_ts and not incident.is_private:
        _edit_announcement(client, incident, settings, link)
    if channel_id and topic is not None:

        def set_topic() -> None:
            # Slack posts a line in the channel for every topic set, the same text or not:
            # asked first (by any replica's change), a topic already right is left alone.
            if _topic_now(client, channel_id) != topic:
                client.conversations_setTopic(channel=channel_id, topic=topic)

        _quietly("topic", incident, set_topic)


def _topic_now(client: WebClient, channel_id: str) -> str | None:
    """The channel's topic as Slack has it, its escaping undone (Slack may send `&amp;`
    for the `&` the bot set); None when Slack cannot say (then it is set)."""
    try:
        info = client.conversations_info(channel=channel_id)
    except (SlackApiError, OSError):
        return None
    return unescape(str(((info.get("channel") or {}).get("topic") or {}).get("value") or ""))


# The announcement cannot be edited any more: it is gone, another app posted it (an
# imported incident's headline post from an app the bot is not), its channel is archived
# (is_inactive), or the workspace's edit window has closed on it. A fresh one replaces it.
_LOST_ANNOUNCEMENT = {
    "message_not_found",
    "cant_update_message",
    "channel_not_found",
    "is_inactive",
    "edit_window_closed",
}


def _edit_announcement(
    client: WebClient, incident: Incident, settings: Settings, link: str | None
) -> None:
    text, body = blocks.announcement(incident, link)
    channel, ts = cast(str, incident.announcement_channel_id), cast(str, incident.announcement_ts)
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=body)
        return
    except SlackApiError as error:
        code = str(error.response.get("error"))
        if code not in _LOST_ANNOUNCEMENT or not settings.incidents_channel:
            log.warning(
                "sync step failed",
                extra={"incident": incident.id, "step": "announcement", "error": code},
            )
            return
    except OSError as error:  # Slack out of reach after the client's retries
        log.warning(
            "sync step failed",
            extra={"incident": incident.id, "step": "announcement", "error": type(error).__name__},
        )
        return
    _announce_again(client, incident, settings, code, text, body)


def _announce_again(
    client: WebClient,
    incident: Incident,
    settings: Settings,
    code: str,
    text: str,
    body: blocks.Blocks,
) -> None:
    """Post a fresh announcement in place of one that cannot be edited, and say so."""
    where = cast(str, settings.incidents_channel)
    old_ts = cast(str, incident.announcement_ts)
    try:
        posted = posting.post(
            client,
            channel=where,
            key=f"announcement:{incident.id}:after:{old_ts}",
            text=text,
            blocks=body,
            unfurl_links=False,
        )
    except (SlackApiError, OSError) as error:
        log.warning(
            "announcement not posted again",
            extra={"incident": incident.id, "error": str(error)[:80]},
        )
        return
    incidents.record_messages(
        incident.id, announcement_channel_id=posted["channel"], announcement_ts=posted["ts"]
    )
    log.info("announced again", extra={"incident": incident.id, "error": code})
    tell_channel(
        client,
        incident,
        f"The announcement in {blocks.channel_link(where)} could not be edited (`{code}`), "
        "so a new one was posted; it is kept up to date from now on.",
        key=f"announced-again:{incident.id}:{old_ts}",
    )


def describe(changes: Iterable[Change], actor: str | None, client: WebClient) -> str:
    """One line per change, as the channel should read it; `actor` is who made them, as
    named (not mentioned: a mention would notify them of their own change). A new lead is
    mentioned (they are asked to lead); the one before is named, not pinged about no
    longer leading."""
    lines = []
    for change in changes:
        if change.field == "lead" and change.old:
            new = blocks.mention(str(change.new)) if change.new else "_not set_"
            lines.append(f"*Lead*: {named(client, str(change.old))} → {new}")
        else:
            lines.append(lifecycle.describe(change, blocks.MRKDWN))
    who = f" (by {actor})" if actor else ""
    return "\n".join(lines) + who


def tell_channel(
    client: WebClient,
    incident: Incident,
    text: str,
    *,
    key: str,
    thread_under_announcement: bool = False,
) -> str | None:
    """Post in the incident channel (and optionally under the announcement) once each, even
    if an answer is lost (`key` names the post); return the channel post's ts."""
    posted: str | None = None
    channel_id = incident.channel_id
    # Slack takes no post in an archived channel (and the bot is no longer in it).
    if channel_id and incident.channel_archived_at is None:

        def post() -> None:
            nonlocal posted
            posted = posting.post(
                client,
                channel=channel_id,
                key=f"{key}:channel",
                text=text,
                blocks=blocks.notice(text),
            )["ts"]

        _quietly("channel message", incident, post)
    if thread_under_announcement and incident.announcement_ts and not incident.is_private:
        _quietly(
            "announcement thread",
            incident,
            lambda: posting.post(
                client,
                # Stored together with announcement_ts when the incident was announced.
                channel=cast(str, incident.announcement_channel_id),
                thread_ts=incident.announcement_ts,
                key=f"{key}:thread",
                text=text,
                blocks=blocks.notice(text),
            ),
        )
    return posted


# -- after a change: what the channel, the thread and the people hear ---------------------


def resolved(
    client: WebClient, incident: Incident, settings: Settings, actor_id: str | None
) -> None:
    duration = blocks.duration_text(incident)
    tell_channel(
        client,
        incident,
        f":white_check_mark: Incident {incident.id} is *resolved* by "
        f"{named(client, actor_id)}. {duration}.",
        key=f"resolved:{incident.id}:{incident.revision}",
        thread_under_announcement=True,
    )
    owner = incident.lead_id or incident.reporter_id
    link = blocks.viewer_url(settings.viewer_base_url, incident)
    review = (
        f"Its page, for the review: {link}"
        if link
        else "Time to write up the review while it is fresh."
    )
    if link and incident.is_private:
        review += (
            " (It is private: the page opens for members of its channel signed in to the "
            "incident viewer.)"
        )
    text = (
        f"Incident {incident.id} ({blocks.escape(incident.title)}) is resolved. {duration}. "
        f"{review}"
    )
    # One review DM per resolution, however often Slack repeats what resolved it.
    resolved_at = int(incident.resolved_at.timestamp()) if incident.resolved_at else 0
    key = f"review-dm:{incident.id}:{resolved_at}"
    if not lifecycle.claim_once(key):
        return
    if not answers.dm(client, owner, text):
        lifecycle.release(key)
        log.warning("review DM not sent", extra={"incident": incident.id})


def reopened(
    client: WebClient, incident: Incident, actor_id: str | None, where: answers.Where | None
) -> None:
    text = (
        f":rotating_light: Incident {incident.id} is *reopened* by "
        f"{named(client, actor_id)}: back to {blocks.status_label(incident)}."
    )
    if incident.channel_archived_at is not None and incident.channel_id:
        # Slack documents that a bot token cannot unarchive a channel (and nothing can be
        # posted in an archived one): whoever reopened it is told how to bring it back, and
        # the bot notices when someone does (bot.features.channel_archive).
        how = (
            f"Its channel {blocks.channel_link(incident.channel_id)} is archived, and Slack "
            "does not let apps unarchive channels: anyone in it can (open the channel, then "
            "*Unarchive* at its foot), then add the bot back with `/invite` so it can "
            "follow the incident."
        )
        text += " " + how
        if where is not None:
            answers.tell(client, where, how)
    tell_channel(
        client,
        incident,
        text,
        key=f"reopened:{incident.id}:{incident.revision}",
        thread_under_announcement=True,
    )


def _after_change(
    client: WebClient,
    incident: Incident,
    stored: Stored,
    settings: Settings,
    actor_id: str | None,
    where: answers.Where | None,
) -> None:
    """Bring Slack in step with a stored change, `incident` as it is now. `where` is the
    person who made it, told if a newly named lead could not be invited."""
    changes = list(stored.changes)
    refresh(client, incident.id, settings, [c.field for c in changes])
    by_field: dict[str, Change] = {}
    for c in changes:
        by_field.setdefault(c.field, c)
    lead, status = by_field.get("lead"), by_field.get("status")
    if lead and lead.new and incident.channel_id:
        _invite_lead(client, incident, str(lead.new), where, actor_id, stored.source)
    others = [c for c in changes if c.field != "status"]
    if status and Status.RESOLVED not in (status.old, status.new):
        others.insert(0, status)
    if others and stored.update:
        # One submission of the Update form, one post: the update says what changed too.
        _tell_update(client, incident, stored, actor_id, describe(others, None, client))
    elif others:
        tell_channel(
            client,
            incident,
            describe(others, named(client, actor_id) if actor_id else None, client),
            key=f"change:{incident.id}:{stored.revision}",
        )
    elif stored.update:
        _tell_update(client, incident, stored, actor_id, "")
    if status and status.new == Status.RESOLVED:
        resolved(client, incident, settings, actor_id)
    elif status and status.old == Status.RESOLVED:
        reopened(client, incident, actor_id, where)


def _invite_lead(
    client: WebClient,
    incident: Incident,
    lead: str,
    where: answers.Where | None,
    actor_id: str | None,
    source: str,
) -> None:
    assert incident.channel_id is not None
    try:
        refused = invite(
            client, incident.channel_id, [lead], by=actor_id, source=source or Source.SLACK
        ).refused
    except SlackApiError as error:
        refused = {lead: str(error.response.get("error"))}
    except OSError as error:
        refused = {lead: type(error).__name__}
    if refused and where is not None:
        lines = "\n".join(f"• {blocks.mention(user)}: {why}" for user, why in refused.items())
        answers.tell(
            client,
            where,
            f"The new lead could not be invited to {blocks.channel_link(incident.channel_id)}:"
            f"\n{lines}",
        )


# -- from a listener's ack to its second half ----------------------------------------------

# Where a listener keeps its outcome in Bolt's context for its lazy half.
STORED = "stored_change"


@dataclass(frozen=True)
class Stored:
    """A change the database took, on its way from a listener's ack to its second half.
    Bolt deep-copies the context for lazy listeners, so plain values, not a model row."""

    incident_id: int
    revision: int
    changes: tuple[Change, ...]
    # An update posted with the change (the Update form's message), and its delivery key.
    update: str = ""
    update_key: str = ""
    source: str = ""  # how it was made (models.Source)

    @classmethod
    def of(cls, outcome: Outcome, update: str = "", update_key: str = "") -> Stored:
        incident = outcome.incident
        return cls(
            incident.id,
            incident.revision,
            tuple(outcome.changes),
            update,
            update_key,
            outcome.source,
        )


def keep(
    context: MutableMapping[str, Any],
    outcome: Outcome | None,
    *,
    update: str = "",
    update_key: str = "",
) -> None:
    """Before the ack: remember what changed, if anything, and the update posted with it
    (posted whole in the channel by `show`, once per `update_key`)."""
    if outcome is not None and (outcome.changed or update.strip()):
        context[STORED] = Stored.of(outcome, update.strip(), update_key)


def show(
    client: WebClient,
    context: MutableMapping[str, Any],
    settings: Settings,
    actor_id: str | None,
    *,
    where: answers.Where | None = None,
) -> None:
    """After the ack: bring Slack in step with what `keep` remembered (nothing if nothing
    changed). `where`: the person who made the change, told what Slack refused them."""
    stored = context.get(STORED)
    if not isinstance(stored, Stored):
        return
    incident = incidents.get(stored.incident_id)
    if incident is None:
        return
    if stored.changes:
        _after_change(client, incident, stored, settings, actor_id, where)
    elif stored.update:
        _tell_update(client, incident, stored, actor_id, "")


def _tell_update(
    client: WebClient, incident: Incident, stored: Stored, actor_id: str | None, changed: str
) -> None:
    """The Update form's message, whole (as many sections as it needs: the form takes up to
    3,000 characters), in the channel and under the announcement, with what the same
    submission changed."""
    text = f":memo: *Update* from {named(client, actor_id)}:\n{blocks.escape(stored.update)}"
    if changed:
        text += "\n" + changed
    tell_channel(
        client,
        incident,
        text,
        key=f"update:{stored.update_key}",
        thread_under_announcement=True,
    )
