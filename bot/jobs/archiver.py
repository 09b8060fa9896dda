"""Archiving incident channels some days after resolution (ARCHIVE_AFTER_DAYS): the channel
is told a day before (a heads-up, once), then archived; marked archived (on the timeline and
in the audit) only once Slack has archived it, by whichever replica holds the claim; a
transient failure is tried again on a later run, a refusal for good is recorded."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents
from bot.slack import blocks, posting
from models import Incident

log = logging.getLogger(__name__)

# Slack's answers that will not change by asking again.
_FOR_GOOD = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "cant_archive_general",
        "restricted_action",
        "missing_scope",
        "method_not_supported_for_channel_type",
        "invalid_auth",
        "account_inactive",
    }
)


def _code(error: SlackApiError) -> str:
    """Slack's error code, or the HTTP status when it sent none."""
    return str(error.response.get("error") or f"HTTP {error.response.status_code}")


# How long before the archive the channel hears of it; a heads-up posted late (the bot was
# down) still gives the channel this long.
NOTICE = dt.timedelta(days=1)


def archive_due(client: WebClient, days: int, now: dt.datetime) -> int:
    """Tell each channel due within NOTICE that it will be archived; archive the ones that
    were told at least NOTICE ago and are due. Returns how many were archived."""
    archived = 0
    due = now - dt.timedelta(days=days)
    for incident in incidents.resolved_before(due + NOTICE):
        assert incident.channel_id is not None  # resolved_before() only returns those with one
        assert incident.resolved_at is not None  # resolved
        if incident.archive_warned_at is None:
            _warn(
                client,
                incident,
                max(incident.resolved_at + dt.timedelta(days=days), now + NOTICE),
                now,
            )
            continue
        if incident.resolved_at > due or incident.archive_warned_at > now - NOTICE:
            continue
        if _archive(client, incident, now):
            archived += 1
    return archived


def _warn(client: WebClient, incident: Incident, at: dt.datetime, now: dt.datetime) -> None:
    if not incidents.claim_archive_warning(incident.id, now):
        return  # another replica has told it
    extra = {"incident": incident.id}
    # One heads-up per resolution, whenever it is posted.
    resolved = int(incident.resolved_at.timestamp()) if incident.resolved_at else 0
    # A private incident has no announcement to reopen it from.
    elsewhere = "" if incident.is_private else ", or *Reopen* on its announcement"
    text = (
        f":file_cabinet: This channel will be archived {blocks.slack_when(at)}, "
        f"some days after incident {incident.id} was resolved. If the incident is not "
        f"over, reopen it: `/incident reopen` here{elsewhere}. Archived, it can still be "
        "read, and unarchived from Slack."
    )
    try:
        # Keyed: a post whose answer was lost is found, not posted again.
        posting.post(
            client,
            channel=incident.channel_id or "",
            key=f"archive-heads-up:{incident.id}:{resolved}",
            text=text,
            blocks=blocks.notice(text),
        )
    except SlackApiError as error:
        code = _code(error)
        if code in _FOR_GOOD or code == "is_archived":
            # The archive will meet the same answer and record it; nobody can be told.
            log.warning("archive heads-up refused", extra={**extra, "error": code})
            return
        incidents.archive_warning_failed(incident.id)
        log.warning("archive heads-up not posted", extra={**extra, "error": code})
        return
    except OSError as error:
        incidents.archive_warning_failed(incident.id)
        log.warning("archive heads-up not posted", extra={**extra, "error": type(error).__name__})
        return
    log.info("archive heads-up posted", extra=extra)


def _archive(client: WebClient, incident: Incident, now: dt.datetime) -> bool:
    if not incidents.claim_archive(incident.id, now):
        return False  # another replica has it
    extra = {"incident": incident.id}
    try:
        client.conversations_archive(channel=incident.channel_id or "")
    except SlackApiError as error:
        code = _code(error)
        if code != "already_archived":
            final = code in _FOR_GOOD
            incidents.archive_failed(incident.id, code if final else None)
            log.warning(
                "channel not archived", extra={**extra, "error": code, "retried": not final}
            )
            return False
    except OSError as error:  # the connection, after the client's own retries
        incidents.archive_failed(incident.id, None)
        log.warning(
            "channel not archived",
            extra={**extra, "error": type(error).__name__, "retried": True},
        )
        return False
    incidents.archived(incident.id, now)
    log.info("channel archived", extra=extra)
    return True
