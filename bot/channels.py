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


def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens; accents folded, the rest dropped."""
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

    A name can be taken by this very incident: Slack made the channel but its answer was
    lost (a reset), and slack_sdk sent the call again. A channel of that name that the bot
    created since `since` (Unix time) carries this incident's own number, so it is adopted
    rather than doubled.
    """
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        name = channel_name(number, title, attempt)
        try:
            response = client.conversations_create(name=name, is_private=is_private)
        except SlackApiError as error:
            if error.response.get("error") != "name_taken":
                raise
            own = _own_channel(client, name, bot_user_id, since, is_private)
            if own is not None:
                return own
            continue
        channel: dict[str, Any] = response["channel"]
        return channel
    raise RuntimeError(
        f"no free channel name for incident {number} after {MAX_NAME_ATTEMPTS} tries"
    )


def _own_channel(client: WebClient, name: str, bot_user_id: str | None, since: float | None,
                 is_private: bool) -> dict[str, Any] | None:
    if bot_user_id is None or since is None:
        return None
    types = "private_channel" if is_private else "public_channel"
    cursor = None
    # Rare path (only after name_taken): walking the list is acceptable here.
    for _page in range(50):
        response = client.conversations_list(types=types, exclude_archived=True, limit=1000,
                                             cursor=cursor)
        for channel in response.get("channels") or []:
            if (channel.get("name") == name and channel.get("creator") == bot_user_id
                    and float(channel.get("created") or 0) >= since - 60):
                return dict(channel)
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None
