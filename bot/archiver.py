"""Archiving incident channels some days after resolution (ARCHIVE_AFTER_DAYS), once, by
whichever replica claims each channel first."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents

log = logging.getLogger(__name__)


def archive_due(client: WebClient, days: int, now: dt.datetime) -> int:
    archived = 0
    for incident in incidents.resolved_before(now - dt.timedelta(days=days)):
        assert incident.channel_id is not None  # resolved_before() only returns those with one
        if not incidents.claim_archive(incident.id, now):
            continue  # another replica has it
        try:
            client.conversations_archive(channel=incident.channel_id)
        except SlackApiError as error:
            code = error.response.get("error")
            if code != "already_archived":
                # Marked anyway: retrying every run would only repeat the same refusal.
                log.warning("channel not archived", extra={"incident": incident.id,
                                                           "error": code})
                continue
        archived += 1
        log.info("channel archived", extra={"incident": incident.id})
    return archived
