"""The old tool's headline posts, taken over. An incident imported while open keeps its
announcement: the post the old tool made in the incidents channel with the same Slack app.
That post still carries the old tool's buttons and words until this bot edits it, so each
is edited once, when a replica first finds it (any replica; the claim makes it once)."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient

from bot.config import Settings
from bot.domain import incidents
from bot.domain.lifecycle import claim_once
from bot.slack import mirror

log = logging.getLogger(__name__)


def adopt_headline_posts(
    client: WebClient, settings: Settings, now: dt.datetime, done: set[int]
) -> int:
    """Edit every open imported incident's announcement into this bot's, once; `done`: the
    incidents this process has seen to already."""
    adopted = 0
    for number in incidents.imported_open_announcements():
        if number in done:
            continue
        done.add(number)
        incident = incidents.get(number)
        if incident is None or not claim_once(f"adopt:{number}:{incident.announcement_ts}"):
            continue  # another replica took it over, or an earlier start did
        # Edits it in place; one that cannot be edited is replaced and the channel told.
        mirror.refresh(client, number, settings)
        adopted += 1
        log.info("headline post taken over", extra={"incident": number})
    return adopted
