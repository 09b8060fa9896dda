"""The announcement's buttons: Join channel, Update, Resolve."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.deps import Deps
from bot.domain import incidents, lifecycle
from bot.domain.lifecycle import Actor
from bot.features import update_modal
from bot.outcomes import after_change

log = logging.getLogger(__name__)


def _tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")
    try:
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
    except SlackApiError as error:  # a note to one person: not worth failing the click over
        log.warning("could not tell the user", extra={"error": error.response.get("error")})


def _number(action: dict[str, Any]) -> int:
    """The incident a button names (its value); 0, which no incident has, if it names none."""
    value = action.get("value")
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 19 else 0


def register(app: App, deps: Deps) -> None:
    def join(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        incident = incidents.get(_number(action))
        if incident is None or not incident.channel_id:
            return
        try:
            client.conversations_invite(channel=incident.channel_id, users=body["user"]["id"])
        except SlackApiError as error:
            if error.response.get("error") != "already_in_channel":
                raise
            _tell(client, body, f"You are already in {blocks.channel_link(incident.channel_id)}.")

    def update(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        incident = incidents.get(_number(action))
        if incident is None:
            ack()
            return
        failed = update_modal.open_for(client, body["trigger_id"], incident)
        ack()
        if failed:
            _tell(client, body, failed)

    def resolve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        # Stored before the ack (fast, and a failure is answered as an error); Slack is
        # brought in step after it, by `resolved_in_slack`.
        ack()
        number, user = _number(action), body["user"]["id"]
        try:
            outcome = lifecycle.resolve(
                number, Actor(user, "button"), key=f"action:{action.get('action_ts')}:{user}"
            )
        except (lifecycle.Duplicate, LookupError):  # LookupError: the button names no incident
            return
        except lifecycle.NotAllowed as error:
            context["refused"] = str(error)
            return
        context["changes"] = [(c.field, c.old, c.new) for c in outcome.changes]
        context["incident_id"] = number

    def resolved_in_slack(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get("refused"):
            _tell(client, body, context["refused"])
            return
        incident = incidents.get(context.get("incident_id") or 0)
        if incident is None:
            return
        changes = [lifecycle.Change(*c) for c in context.get("changes") or []]
        after_change(
            client, lifecycle.Outcome(incident, changes), deps.settings, body["user"]["id"]
        )

    def ack_only(ack: Ack) -> None:
        ack()

    app.action(blocks.JOIN)(ack=ack_only, lazy=[join])
    app.action(blocks.UPDATE)(update)
    app.action(blocks.RESOLVE)(ack=resolve, lazy=[resolved_in_slack])
