"""The announcement's buttons: Join channel, Update, Resolve.

The announcement lives in INCIDENTS_CHANNEL, where the bot may post without being a member:
answers to a click go through the click's response_url, which works there too."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import incidents, lifecycle
from bot.domain.numbers import whole_number
from bot.features import update_modal
from bot.features.deps import Deps
from bot.slack import answers, blocks, mirror
from bot.slack.actors import actor
from bot.slack.answers import Where
from bot.slack.invites import invite

log = logging.getLogger(__name__)


def _number(action: dict[str, Any]) -> int:
    """The incident a button names (its value); 0, which no incident has, if it names none."""
    return whole_number(action.get("value")) or 0


def _team(body: dict[str, Any]) -> str | None:
    return (body.get("user") or {}).get("team_id")


def register(app: App, deps: Deps) -> None:
    def join(
        body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        where = Where.of(body)
        # Joining the incident's own channel is for the people who run it: someone from
        # another organisation who sees the announcement in a shared channel is told why not.
        _, refused = actor(client, where.user, "button", context, team_hint=_team(body))
        if refused:
            answers.tell(client, where, refused)
            return
        incident = incidents.get(_number(action))
        if incident is None:
            answers.tell(client, where, "That incident is not in the bot's records.")
            return
        if not incident.channel_id:
            answers.tell(client, where, f"Incident {incident.id} is not opened in Slack yet.")
            return
        link = blocks.channel_link(incident.channel_id)
        try:
            invited = invite(client, incident.channel_id, [where.user])
        except SlackApiError as error:
            code = str(error.response.get("error"))
            answers.tell(client, where, f"Slack did not add you to {link} (`{code}`).")
            return
        except OSError:
            answers.tell(client, where, f"Slack did not answer; try joining {link} again.")
            return
        if invited.refused:
            why = invited.refused[where.user]
            answers.tell(client, where, f"Slack did not add you to {link}: {why}.")
        elif where.user in invited.already:
            answers.tell(client, where, f"You are already in {link}.")
        else:
            answers.tell(client, where, f"You are in {link} now.")

    def update(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        incident = incidents.get(_number(action))
        _, refused = actor(deps.quick, body["user"]["id"], "button", context, team_hint=_team(body))
        if incident is None:
            failed: str | None = "That incident is not in the bot's records."
        else:
            failed = refused or update_modal.open_for(deps.quick, body["trigger_id"], incident)
        ack()
        context["failed"] = failed

    def tell_failure(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get("failed"):
            answers.tell(client, Where.of(body), context["failed"])

    def resolve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        # Stored before the ack (fast, and a failure is answered as an error); Slack is
        # brought in step after it, by `resolved_in_slack`.
        number, user = _number(action), body["user"]["id"]
        who, refused = actor(deps.quick, user, "button", context, team_hint=_team(body))
        ack()
        if refused:
            context["refused"] = refused
            return
        try:
            outcome = lifecycle.resolve(number, who, key=f"action:{action.get('action_ts')}:{user}")
        except lifecycle.Duplicate:
            return
        except LookupError:  # the button names no incident
            context["refused"] = "That incident is not in the bot's records."
            return
        except lifecycle.NotAllowed as error:
            context["refused"] = str(error)
            return
        mirror.keep(context, outcome)

    def resolved_in_slack(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        where = Where.of(body)
        if context.get("refused"):
            answers.tell(client, where, context["refused"])
            return
        mirror.show(client, context, deps.settings, where.user, where=where)

    def ack_only(ack: Ack) -> None:
        ack()

    app.action(blocks.JOIN)(ack=ack_only, lazy=[join])
    app.action(blocks.UPDATE)(ack=update, lazy=[tell_failure])
    app.action(blocks.RESOLVE)(ack=resolve, lazy=[resolved_in_slack])
