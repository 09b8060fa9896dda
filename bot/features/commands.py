"""/incident and @-mentions of the bot: route the words to declaring, the Update form, or a
subcommand, answer the person, then bring Slack in step."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import blocks, incident_commands
from bot.channels import PREFIX
from bot.command_text import parse, strip_bot_mention
from bot.deps import Deps
from bot.domain import incidents, lifecycle
from bot.domain.lifecycle import Actor
from bot.features import declare, update_modal
from bot.incident_commands import Invocation, Reply
from bot.outcomes import after_change
from bot.people import shown_name

COMMAND = "/incident"


def open_incidents_reply() -> Reply:
    found = [i for i in incidents.open_incidents() if not i.is_private]
    if not found:
        return Reply("No open incidents. :tada:")
    lines = [
        f"• {blocks.channel_link(i.channel_id)} *{blocks.escape(i.title)}* — "
        f"{i.severity_label}, {blocks.status_label(i)}, lead {blocks.mention(i.lead_id)}"
        for i in found[:40]
    ]
    return Reply(f"*{len(found)} open incident(s)*\n" + "\n".join(lines))


def answer_in_incident(
    name: str, rest: str, incident: Any, user: str, key: str, client: WebClient, source: str
) -> Reply:
    actor = Actor(user, source, shown_name(client, user))
    return incident_commands.run(name, Invocation(incident, rest, actor, key, client))


def _stash(context: BoltContext, incident_id: int, reply: Reply) -> None:
    if reply.outcome is not None and reply.outcome.changed:
        context["incident_id"] = incident_id
        context["changes"] = [(c.field, c.old, c.new) for c in reply.outcome.changes]


def _bring_slack_in_step(client: WebClient, context: BoltContext, user: str, deps: Deps) -> None:
    number = context.get("incident_id")
    incident = incidents.get(number) if number else None
    if incident is None:
        return
    changes = [lifecycle.Change(*c) for c in context.get("changes") or []]
    after_change(client, lifecycle.Outcome(incident, changes), deps.settings, user)


# Names Slack gives conversations whose real name it does not tell a slash command.
_UNNAMED = ("privategroup", "directmessage")


def _maybe_incident_channel(channel_name: Any, subcommand: str) -> bool:
    """False only when the channel cannot be an incident's: incident channels are named
    `inc-…` and keep that prefix when renamed through the bot. A subcommand always asks the
    database, so one typed in an incident channel renamed by hand still finds its incident."""
    if subcommand in incident_commands.HANDLERS and subcommand != "help":
        return True
    if not isinstance(channel_name, str) or not channel_name or channel_name in _UNNAMED:
        return True
    if channel_name.startswith("mpdm-"):
        return True
    return channel_name.startswith(PREFIX)


def register(app: App, deps: Deps) -> None:
    def on_command(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        text, channel, user = body.get("text", ""), body.get("channel_id"), body["user_id"]
        words = parse(text)
        # Declaring from an ordinary channel is the path people wait on (the trigger_id lives
        # 3 s): a channel whose name cannot be an incident's skips the database. Otherwise the
        # number first (remembered, or a one-column query), and the row only when needed.
        if channel and _maybe_incident_channel(body.get("channel_name"), words.name):
            number = incidents.number_for_channel(channel)
        else:
            number = None
        incident = incidents.get(number) if number is not None and words.name != "new" else None
        if words.name == "list":
            reply = open_incidents_reply()
        elif words.name == "help":
            reply = Reply(incident_commands.HELP)
        elif words.name == "new" or incident is None:
            # Forms open before the ack: the trigger_id lives 3 s.
            title = words.rest if words.name == "new" else text
            failed = declare.open_modal(client, body["trigger_id"], title, channel)
            ack(failed) if failed else ack()
            return
        elif not words.name:
            failed = update_modal.open_for(client, body["trigger_id"], incident)
            ack(failed) if failed else ack()
            return
        else:
            reply = answer_in_incident(
                words.name,
                words.rest,
                incident,
                user,
                f"cmd:{body['trigger_id']}",
                client,
                "command",
            )
            _stash(context, incident.id, reply)
        ack(text=reply.text, blocks=reply.blocks or blocks.notice(reply.text))

    def after_command(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        _bring_slack_in_step(client, context, body["user_id"], deps)

    app.command(COMMAND)(ack=on_command, lazy=[after_command])

    def on_mention(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        text = event.get("text")
        words = parse(strip_bot_mention(text if isinstance(text, str) else ""))
        channel, user = event.get("channel"), event.get("user")
        if not (channel and user and isinstance(channel, str) and isinstance(user, str)):
            return
        incident = incidents.for_channel(channel)
        if words.name == "list":
            reply = open_incidents_reply()
        elif incident is None or not words.name or words.name == "help":
            reply = Reply(
                incident_commands.HELP
                if incident
                else "To declare an incident, type `/incident` followed by what is "
                "happening.\n\n" + incident_commands.HELP
            )
        else:
            reply = answer_in_incident(
                words.name,
                words.rest,
                incident,
                user,
                f"event:{body.get('event_id')}",
                client,
                "command",
            )
            if reply.duplicate:
                return  # a redelivered mention: it was answered the first time
            _stash(context, incident.id, reply)
        context["reply"] = {"text": reply.text, "blocks": reply.blocks}

    def answer_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if not isinstance(event.get("user"), str) or not isinstance(event.get("channel"), str):
            return  # nothing to answer, and no one to answer
        reply = context.get("reply")
        if reply:
            client.chat_postEphemeral(
                channel=event["channel"],
                user=event["user"],
                text=reply["text"],
                blocks=reply["blocks"] or blocks.notice(reply["text"]),
            )
        _bring_slack_in_step(client, context, event["user"], deps)

    app.event("app_mention")(ack=on_mention, lazy=[answer_mention])
