"""Inviting people to an incident channel so that one refused invitee (a guest, a
deactivated account) never keeps the others out, and saying plainly who was not invited."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import membership
from models import Source

log = logging.getLogger(__name__)

# What Slack's per-user refusals mean, for the person who wanted them in.
REASONS = {
    "user_is_restricted": "a guest account: a Slack admin must add them to this channel",
    "user_is_ultra_restricted": "a single-channel guest: they cannot join another channel",
    "user_disabled": "the account is deactivated",
    "user_not_found": "Slack does not know this user",
    "cant_invite": "Slack does not allow inviting them",
    "not_allowed_to_invite": "Slack does not allow inviting them here",
    "ura_max_channels": "a single-channel guest already in their one channel",
    "missing_scope": "the app lacks a scope to invite people (see the README)",
}
_FINE = {"already_in_channel", "cant_invite_self"}


def reason(code: str) -> str:
    return REASONS.get(code, f"Slack refused (`{code}`)")


@dataclass(frozen=True)
class Invited:
    refused: dict[str, str] = field(default_factory=dict)  # user → why, in words
    already: frozenset[str] = frozenset()  # were in the channel before


def invite(
    client: WebClient,
    channel: str,
    users: Iterable[str],
    *,
    by: str | None = None,
    source: str = Source.SLACK,
) -> Invited:
    """Invite `users`; say who could not be invited and why (in words), and who was in.

    `force` has Slack invite the valid ones and report the rest, instead of refusing all.
    The people now in the channel are recorded as its members, and those it invited in the
    incident's audit (`by` whom, how: `source`).
    """
    wanted = sorted({u for u in users if u})
    if not wanted:
        return Invited()
    refused: dict[str, str] = {}
    already: set[str] = set()
    try:
        answer: Any = client.conversations_invite(
            channel=channel, users=",".join(wanted), force=True
        )
        errors = answer.get("errors") or []
    except SlackApiError as error:
        errors = error.response.get("errors") or []
        code = str(error.response.get("error") or "")
        if not errors and code not in _FINE:
            # One answer for the whole call (the channel is archived, a scope is missing…).
            raise
        if not errors:
            errors = [{"user": u, "error": code} for u in wanted]
    for item in errors:
        if isinstance(item, dict) and item.get("user") in wanted:
            code = str(item.get("error") or "")
            if code == "already_in_channel":
                already.add(str(item["user"]))
            elif code not in _FINE:
                refused[str(item["user"])] = reason(code)
    joined = [u for u in wanted if u not in refused]
    membership.joined(channel, *joined)
    membership.invited(channel, [u for u in joined if u not in already], by=by, source=source)
    if refused:
        log.info("some not invited", extra={"channel": channel, "refused": sorted(refused)})
    return Invited(refused, frozenset(already))
