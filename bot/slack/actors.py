"""Who is acting, as the bot records them and decides whether they may: from the cache or a
quick users.info, never a wait on Slack before an ack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.domain import permissions
from bot.domain.lifecycle import Actor
from bot.domain.people import Person
from bot.slack.people import look_up
from models import Source


def organisation(context: BoltContext | dict[str, Any]) -> str | None:
    """This installation's organisation: the Enterprise Grid org, else the workspace.

    From the installation (auth.test), not the payload: a click by someone from another
    organisation carries their team as the payload's."""
    installed = context.get("authorize_result")
    if installed is not None:
        return installed.get("enterprise_id") or installed.get("team_id")
    return context.get("enterprise_id") or context.get("team_id")


def actor(
    quick: WebClient,
    user_id: str,
    source: Source,
    context: BoltContext | dict[str, Any],
    *,
    team_hint: str | None = None,
    known: Mapping[str, Person | None] | None = None,
) -> tuple[Actor, str | None]:
    """The actor, and why they may not change an incident (None: they may).

    `team_hint`: the team an interactive payload names for the person (user.team_id), used
    when Slack cannot tell the bot more just now. `known`: people already looked up.
    """
    person = known[user_id] if known and user_id in known else look_up(quick, user_id)
    # A workspace id says nothing of the organisation in an Enterprise Grid.
    if person is None and team_hint and not context.get("enterprise_id"):
        person = Person(user_id, team_id=team_hint)
    return (
        Actor(user_id, source, person.shown_name if person else ""),
        permissions.refusal(person, organisation(context)),
    )
