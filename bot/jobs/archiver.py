"""Archiving incident channels some days after resolution (ARCHIVE_AFTER_DAYS): marked
archived only once Slack has archived the channel, by whichever replica holds the claim;
a transient failure is tried again on a later run, a refusal for good is recorded."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents

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


def archive_due(client: WebClient, days: int, now: dt.datetime) -> int:
    archived = 0
    for incident in incidents.resolved_before(now - dt.timedelta(days=days)):
        assert incident.channel_id is not None  # resolved_before() only returns those with one
        if not incidents.claim_archive(incident.id, now):
            continue  # another replica has it
        extra = {"incident": incident.id}
        try:
            client.conversations_archive(channel=incident.channel_id)
        except SlackApiError as error:
            code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
            if code != "already_archived":
                final = code in _FOR_GOOD
                incidents.archive_failed(incident.id, code if final else None)
                log.warning(
                    "channel not archived", extra={**extra, "error": code, "retried": not final}
                )
                continue
        except OSError as error:  # the connection, after the client's own retries
            incidents.archive_failed(incident.id, None)
            log.warning(
                "channel not archived",
                extra={**extra, "error": type(error).__name__, "retried": True},
            )
            continue
        incidents.archived(incident.id, now)
        archived += 1
        log.info("channel archived", extra=extra)
    return archived
