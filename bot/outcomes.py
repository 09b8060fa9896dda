"""What Slack shows after a stored change: edits in place, a line in the channel, and for
resolving and reopening the channel, the announcement's thread, and the lead (or reporter)
by DM with the link for the review."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.config import Settings
from bot.domain import incidents
from bot.domain.lifecycle import Outcome
from bot.sync import describe, refresh, tell_channel
from models import Incident

log = logging.getLogger(__name__)


def resolved(
    client: WebClient, incident: Incident, settings: Settings, actor_id: str | None
) -> None:
    duration = blocks.duration_text(incident)
    tell_channel(
        client,
        incident,
        f":white_check_mark: Incident {incident.id} is *resolved* by "
        f"{blocks.mention(actor_id)}. {duration}.",
        thread_under_announcement=True,
    )
    owner = incident.lead_id or incident.reporter_id
    link = blocks.viewer_url(settings.viewer_base_url, incident)
    review = (
        f"Its page, for the review: {link}"
        if link
        else "Time to write up the review while it is fresh."
    )
    text = f"Incident {incident.id} ({incident.title}) is resolved. {duration}. {review}"
    try:
        client.chat_postMessage(channel=owner, text=text, blocks=blocks.notice(text))
    except SlackApiError as error:
        log.warning(
            "review DM failed",
            extra={"incident": incident.id, "error": error.response.get("error")},
        )


def reopened(client: WebClient, incident: Incident, actor_id: str | None) -> None:
    tell_channel(
        client,
        incident,
        f":rotating_light: Incident {incident.id} is *reopened* by "
        f"{blocks.mention(actor_id)}: back to investigating.",
        thread_under_announcement=True,
    )


# A lock lives only while some thread holds it or waits for it.
_locks: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
_locks_guard = threading.Lock()


def _lock_for(number: int) -> Any:
    with _locks_guard:
        lock = _locks.get(number)
        if lock is None:
            lock = _locks[number] = threading.RLock()
        return lock


def after_change(
    client: WebClient, outcome: Outcome, settings: Settings, actor_id: str | None
) -> None:
    if not outcome.changed:
        return
    incident = outcome.incident
    # Changes made in quick succession are brought into Slack by different threads: one at a
    # time per incident, each showing the incident as stored now, so an older render never
    # lands after a newer one (the topic saying lead A when B was named last).
    with _lock_for(incident.id):
        refresh(client, incidents.get(incident.id) or incident, settings,
                [c.field for c in outcome.changes])
    others = [c for c in outcome.changes if c.field != "status"]
    status = outcome.change("status")
    if status and "resolved" not in (status.old, status.new):
        others.insert(0, status)
    if others:
        tell_channel(client, incident, describe(others, actor_id))
    if status and status.new == "resolved":
        resolved(client, incident, settings, actor_id)
    elif status and status.old == "resolved":
        reopened(client, incident, actor_id)
