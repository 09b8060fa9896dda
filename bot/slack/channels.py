"""Incident channel names (Slack's rules) and creating the channel despite names taken."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CHANNEL_NAME_MAX = 80
PREFIX = "inc-"
# Beyond this a name collision is not bad luck but something else (a loop, a bad prefix).
MAX_NAME_ATTEMPTS = 20

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
# Slack's markup and what a person types to ping or link: no word of theirs names a channel.
_MARKUP = re.compile(r"<[^<>]*>|&(?:lt|gt|amp);|(?<!\w)[@#][\w.\-']+")


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens; accents folded, the rest dropped,
    and nothing from a mention, a channel link or a URL in angle brackets."""
    text = _MARKUP.sub(" ", text)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    # Apostrophes join words ("don't" → "dont") rather than splitting them.
    folded = folded.lower().replace("'", "")
    return _NOT_ALLOWED.sub("-", folded).strip("-")


def channel_name(number: int, title: str, attempt: int = 1) -> str:
    """`inc-0042-checkout-latency`, with `-2`, `-3`… for later attempts; never over 80."""
    base = f"{PREFIX}{number:04d}"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = CHANNEL_NAME_MAX - len(base) - len(suffix) - 1
    slug = slugify(title)[:room].strip("-")
    return f"{base}-{slug}{suffix}" if slug else f"{base}{suffix}"


def rename_target(number: int, requested: str) -> str:
    """A requested new name keeps the incident's prefix and Slack's rules."""
    slug = slugify(requested)
    prefix = f"{PREFIX}{number:04d}-"
    if slug.startswith(prefix):
        slug = slug[len(prefix) :]
    return channel_name(number, slug)


# After a lost answer, the same name is tried again this many times: the channel it may
# have made is looked for first, and a name taken by it is adopted.
MAX_LOST_ANSWERS = 2


def create_incident_channel(
    client: WebClient,
    number: int,
    title: str,
    *,
    is_private: bool = False,
    bot_user_id: str | None = None,
    since: float | None = None,
) -> dict[str, Any]:
    """Create the channel, trying `-2`, `-3`… while Slack answers name_taken.

    The incident's own channel may exist already: an earlier call made it but its answer
    was lost (a reset, a timeout), or an earlier attempt to open the incident stopped after
    creating it. A channel the bot created since `since` (Unix time) whose name carries
    this incident's number is that channel, and is adopted rather than doubled. After a
    lost answer it is looked for before another call.

    Raises SlackApiError for Slack's refusals, OSError when Slack stays out of reach, and
    RuntimeError when no name is free.
    """
    attempt, lost = 1, 0
    while attempt <= MAX_NAME_ATTEMPTS:
        name = channel_name(number, title, attempt)
        try:
            response = client.conversations_create(name=name, is_private=is_private)
        except (SlackApiError, OSError) as error:
            taken = _name_taken(error)
            if not taken and not _maybe_made(error):
                raise
            own = own_channel(client, number, bot_user_id, since, is_private)
            if own is not None:
                return own
            if taken:
                attempt += 1
                continue
            lost += 1
            if lost > MAX_LOST_ANSWERS:
                raise
            continue  # the same name again: it was not made, or it is taken by our own
        channel: dict[str, Any] = response["channel"]
        return channel
    raise RuntimeError(
        f"no free channel name for incident {number} after {MAX_NAME_ATTEMPTS} tries"
    )


def _name_taken(error: Exception) -> bool:
    return (
        isinstance(error, SlackApiError)
        and error.response.status_code < 500
        and error.response.get("error") == "name_taken"
    )


def _maybe_made(error: Exception) -> bool:
    """The answer was lost or broken: the channel may have been made before it."""
    return isinstance(error, OSError) or (
        isinstance(error, SlackApiError) and error.response.status_code >= 500
    )


def own_channel(
    client: WebClient,
    number: int,
    bot_user_id: str | None,
    since: float | None,
    is_private: bool,
) -> dict[str, Any] | None:
    """A channel for incident `number` that this bot created since `since`, if any."""
    if bot_user_id is None or since is None:
        return None
    prefix = f"{PREFIX}{number:04d}"
    types = "private_channel" if is_private else "public_channel"
    cursor = None
    # Rare path (a name taken, an answer lost): walking the list is acceptable here.
    for _page in range(50):
        response = client.conversations_list(
            types=types, exclude_archived=True, limit=1000, cursor=cursor
        )
        for channel in response.get("channels") or []:
            name = str(channel.get("name") or "")
            if (
                (name == prefix or name.startswith(prefix + "-"))
                and channel.get("creator") == bot_user_id
                and float(channel.get("created") or 0) >= since - 60
            ):
                return dict(channel)
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None
