"""Who a Slack user is, by name: from the database cache, else users.info (then cached)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Executor
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import people
from bot.domain.people import Person
from bot.slack.client import sharing_deadline

log = logging.getLogger(__name__)


def person(client: WebClient, user_id: str) -> Person:
    """Never fails for want of Slack: an unknown user is shown by their id."""
    return look_up(client, user_id) or Person(user_id)


def look_up(client: WebClient, user_id: str) -> Person | None:
    """Who `user_id` is, from the cache or users.info; None when Slack cannot say now (a
    refusal, a rate limit on a client that does not wait, a timeout)."""
    found = people.cached(user_id)
    if found is not None:
        return found
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        code = error.response.get("error")
        log.warning("users.info failed", extra={"user": user_id, "error": code})
        if code == "user_not_found":
            return Person(user_id, exists=False)
        return None
    except OSError as error:  # a timeout or a dropped connection, after the client's retries
        log.warning("users.info failed", extra={"user": user_id, "error": type(error).__name__})
        return None
    profile = user.get("profile") or {}
    found = Person(
        user_id=user_id,
        name=user.get("name", ""),
        real_name=profile.get("real_name") or user.get("real_name", ""),
        display_name=profile.get("display_name", ""),
        is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
        email=str(profile.get("email") or "").strip().lower(),
        # Their organisation: an Enterprise Grid org spans workspaces, so its id wins.
        team_id=str(
            (user.get("enterprise_user") or {}).get("enterprise_id")
            or user.get("team_id")
            or profile.get("team")
            or ""
        ),
        is_deleted=bool(user.get("deleted")),
        is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
    )
    people.remember(found)
    return found


def look_up_together(
    client: WebClient, user_ids: Iterable[str | None], executor: Executor
) -> dict[str, Person | None]:
    """`look_up` for several people, those not cached asked about side by side: a form that
    names its submitter and a lead waits for one round trip to Slack, not two."""
    wanted = list(dict.fromkeys(u for u in user_ids if u))
    found: dict[str, Person | None] = {u: people.cached(u) for u in wanted}
    missing = [u for u, p in found.items() if p is None]
    if len(missing) == 1:
        found[missing[0]] = look_up(client, missing[0])
    elif missing:
        asked = {u: executor.submit(sharing_deadline(partial(look_up, client, u))) for u in missing}
        found.update({u: f.result() for u, f in asked.items()})
    return found


def learn(client: WebClient, user_ids: Iterable[str]) -> None:
    """Have these people on record (users.info unless recently cached), with their e-mail
    where Slack gives it: someone signed in to the viewer by e-mail is matched through it to
    the private incident channels they are in."""
    for user_id in user_ids:
        person(client, user_id)


def shown_name(client: WebClient, user_id: str | None) -> str:
    return person(client, user_id).shown_name if user_id else ""
