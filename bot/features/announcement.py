"""The announcement's buttons: Join channel, Update, Resolve; Reopen once resolved.

The announcement lives in INCIDENTS_CHANNEL, where the bot may post without being a member:
answers to a click go through the click's response_url, which works there too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents, lifecycle
from bot.domain.numbers import whole_number
from bot.features import update_modal
from bot.features.deps import Deps, bind
from bot.slack import answers, blocks, mirror
from bot.slack.actors import actor
from bot.slack.answers import Where
from bot.slack.invites import invite
from models import Source

log = logging.getLogger(__name__)


def _number(action: dict[str, Any]) -> int:
    """The incident a button names (its value); 0, which no incident has, if it names none."""
    return whole_number(action.get("value")) or 0


def _team(body: dict[str, Any]) -> str | None:
    return (body.get("user") or {}).get("team_id")


def _joined_answer(client: WebClient, channel: str, user: str) -> str:
    """Invite `user` to `channel` and say how it went, in the words the person sees."""
    link = blocks.channel_link(channel)
    try:
        invited = invite(client, channel, [user], by=user, source=Source.BUTTON)
    except SlackApiError as error:
        return f"Slack did not add you to {link} (`{error.response.get('error')}`)."
    except OSError:
        return f"Slack did not answer; try joining {link} again."
    if invited.refused:
        return f"Slack did not add you to {link}: {invited.refused[user]}."
    if user in invited.already:
        return f"You are already in {link}."
    return f"You are in {link} now."


def join(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """After the ack: add the person who clicked Join channel to the incident's channel."""
    where = Where.of(body)
    # Joining the incident's own channel is for the people who run it: someone from
    # another organisation who sees the announcement in a shared channel is told why not.
    _, refused = actor(client, where.user, Source.BUTTON, context, team_hint=_team(body))
    if refused:
        answers.tell(client, where, refused)
        return
    incident = incidents.get(_number(action))
    if incident is None:
        answers.tell(client, where, "That incident is not in the bot's records.")
    elif not incident.channel_id:
        answers.tell(client, where, f"Incident {incident.id} is not opened in Slack yet.")
    else:
        answers.tell(client, where, _joined_answer(client, incident.channel_id, where.user))


def update(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Before the ack: open the Update form (its trigger_id expires in three seconds)."""
    incident = incidents.get(_number(action))
    _, refused = actor(
        deps.quick, body["user"]["id"], Source.BUTTON, context, team_hint=_team(body)
    )
    if incident is None:
        failed: str | None = "That incident is not in the bot's records."
    else:
        failed = refused or update_modal.open_for(deps.quick, body["trigger_id"], incident)
    ack()
    context["failed"] = failed


def resolve(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Stored before the ack (fast, and a failure is answered as an error); Slack is brought
    in step after it, by `resolved_in_slack`."""
    _status_button(lifecycle.resolve, ack, body, action, context, deps)


def reopen(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """The resolved announcement's Reopen: stored before the ack, as Resolve is."""
    _status_button(lifecycle.reopen, ack, body, action, context, deps)


def _status_button(
    change: Callable[..., lifecycle.Outcome],
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    deps: Deps,
) -> None:
    number, user = _number(action), body["user"]["id"]
    who, refused = actor(deps.quick, user, Source.BUTTON, context, team_hint=_team(body))
    ack()
    if refused:
        context["refused"] = refused
        return
    try:
        outcome = change(number, who, key=f"action:{action.get('action_ts')}:{user}")
    except lifecycle.Duplicate:
        return
    except LookupError:  # the button names no incident
        context["refused"] = "That incident is not in the bot's records."
        return
    except lifecycle.NotAllowed as error:
        context["refused"] = str(error)
        return
    mirror.keep(context, outcome)


def resolved_in_slack(
    body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    where = Where.of(body)
    if context.get("refused"):
        answers.tell(client, where, context["refused"])
        return
    mirror.show(client, context, deps.settings, where.user, where=where)


def ack_only(ack: Ack) -> None:
    ack()


def register(app: App, deps: Deps) -> None:
    app.action(blocks.JOIN)(ack=ack_only, lazy=[join])
    app.action(blocks.UPDATE)(ack=bind(update, deps), lazy=[answers.tell_failure])
    app.action(blocks.RESOLVE)(ack=bind(resolve, deps), lazy=[bind(resolved_in_slack, deps)])
    app.action(blocks.REOPEN)(ack=bind(reopen, deps), lazy=[bind(resolved_in_slack, deps)])
