"""/incident and @-mentions of the bot: route the words to declaring, the Update form, or a
subcommand, answer the person, then bring Slack in step.

An @-mention is a command only when the message begins with the bot's own mention; any
other message that mentions the bot is conversation, and the bot stays out of it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import incidents
from bot.features import declare, update_modal
from bot.features.commands import in_channel
from bot.features.commands.in_channel import Invocation, Reply
from bot.features.deps import Deps
from bot.slack import answers, blocks, mirror
from bot.slack.actors import actor, organisation
from bot.slack.answers import Where
from bot.slack.command_text import after_bot_mention, parse, readable
from bot.slack.opening import RETRY

COMMAND = "/incident"
# One line per incident in /incident list: titles are clipped to this where shown.
LIST_TITLE_MAX = 120
RETRIES_LISTED = 10


def open_incidents_reply() -> Reply:
    found = [i for i in incidents.open_incidents() if not i.is_private]
    if not found:
        return Reply("No open incidents. :tada:")
    lines = []
    for i in found:
        where = blocks.channel_link(i.channel_id) if i.channel_id else "_not opened in Slack_"
        lines.append(
            f"• {where} *{blocks.shown(f'{i.id}: {i.title}', LIST_TITLE_MAX)}* — "
            f"{i.severity_label}, {blocks.status_label(i)}, lead {blocks.mention(i.lead_id)}"
        )
    heading = f"*{len(found)} open incident(s)*"
    body = blocks.notice(heading + "\n" + "\n".join(lines))
    # Whoever sees one that Slack did not open can open it (the first to click does).
    for incident in [i for i in found if not i.channel_id][:RETRIES_LISTED]:
        if len(body) >= blocks.MESSAGE_BLOCKS_MAX:
            break
        body.append(
            {
                "type": "actions",
                "block_id": f"open_{incident.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY,
                        "text": {"type": "plain_text", "text": f"Open incident {incident.id}"},
                        "value": str(incident.id),
                    }
                ],
            }
        )
    return Reply(heading, body)


# Words that only mean something in an incident's own channel.
IN_CHANNEL_ONLY = set(in_channel.HANDLERS) - {"help"}


DECLARE_ANYWAY = "incident_declare_anyway"
BUTTON_VALUE_MAX = 2000  # Slack's most for a button's value


def not_here(word: str, typed: str = "") -> Reply:
    """A subcommand's word outside an incident channel: say where it works, and offer to
    declare an incident called what was typed (a title may well begin with such a word)."""
    shown = blocks.escape(word[:40])
    typed = readable(typed, declare.readable_name)
    text = (
        f"`/incident {shown}` works in an incident's own channel: type it there. To declare "
        f"an incident called “{blocks.shown(typed or word, 200)}”, type "
        f"`/incident new {shown}…` or use the button."
    )
    body = blocks.notice(text)
    body.append(
        {
            "type": "actions",
            "block_id": "declare_anyway",
            "elements": [
                {
                    "type": "button",
                    "action_id": DECLARE_ANYWAY,
                    "text": {"type": "plain_text", "text": "Declare an incident"},
                    "value": blocks.fit(typed or word, BUTTON_VALUE_MAX),
                }
            ],
        }
    )
    return Reply(text, body)


def answer_in_incident(
    words: Any,
    incident: Any,
    user: str,
    key: str,
    quick: WebClient,
    context: BoltContext,
    *,
    team_hint: str | None = None,
) -> Reply:
    who, refused = actor(quick, user, "command", context, team_hint=team_hint)
    return in_channel.run(
        words.name,
        Invocation(
            incident,
            words.rest,
            who,
            key,
            quick,
            context.bot_user_id,
            refused,
            organisation(context),
        ),
    )


def register(app: App, deps: Deps) -> None:
    def on_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        text, channel, user = body.get("text", ""), body.get("channel_id"), body["user_id"]
        words = parse(text)
        # By the channel's id: an incident channel renamed in Slack is still the incident's.
        number = incidents.number_for_channel(channel) if channel else None
        incident = incidents.get(number) if number is not None and words.name != "new" else None
        if words.name == "list":
            reply = open_incidents_reply()
        elif words.name == "help":
            reply = Reply(in_channel.HELP)
        elif incident is None and words.name in IN_CHANNEL_ONLY:
            reply = not_here(words.name, text)
        elif words.name == "new" or incident is None:
            typed = words.rest if words.name == "new" else text
            title, summary = declare.split_text(readable(typed, declare.readable_name))
            # Forms open before the ack: the trigger_id lives 3 s.
            failed = declare.open_modal(
                deps.quick,
                body["trigger_id"],
                title,
                channel,
                summary=summary,
                response_url=body.get("response_url"),
            )
            ack(failed) if failed else ack()
            return
        elif not words.name:
            _, refused = actor(deps.quick, user, "command", context)
            failed = refused or update_modal.open_for(deps.quick, body["trigger_id"], incident)
            ack(failed) if failed else ack()
            return
        else:
            reply = answer_in_incident(
                words, incident, user, f"cmd:{body['trigger_id']}", deps.quick, context
            )
            mirror.keep(context, reply.outcome)
        ack(text=reply.text, blocks=reply.blocks or blocks.notice(reply.text))

    def after_command(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        mirror.show(client, context, deps.settings, body["user_id"], where=Where.of(body))

    app.command(COMMAND)(ack=on_command, lazy=[after_command])

    def declare_anyway(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        value = action.get("value")
        # Plain text already (not_here made it so).
        title, summary = declare.split_text(value if isinstance(value, str) else "")
        where = Where.of(body)
        context["failed"] = declare.open_modal(
            deps.quick,
            body["trigger_id"],
            title,
            where.channel,
            summary=summary,
            response_url=where.response_url,
        )
        ack()

    def tell_failure(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if context.get("failed"):
            answers.tell(client, Where.of(body), context["failed"])

    app.action(DECLARE_ANYWAY)(ack=declare_anyway, lazy=[tell_failure])

    def on_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        text, channel, user = event.get("text"), event.get("channel"), event.get("user")
        if not (isinstance(channel, str) and isinstance(user, str) and isinstance(text, str)):
            return
        if event.get("bot_id") or event.get("subtype"):
            return  # another app's or a bot's message: never a command
        rest = after_bot_mention(text, context.bot_user_id)
        if rest is None:
            return  # the bot is mentioned in conversation, not asked to do something
        words = parse(rest)
        incident = incidents.for_channel(channel)
        if words.name == "list":
            reply = open_incidents_reply()
        elif incident is None and words.name in IN_CHANNEL_ONLY:
            reply = not_here(words.name, rest)
        elif incident is None or not words.name or words.name == "help":
            reply = Reply(
                in_channel.HELP
                if incident
                else "To declare an incident, type `/incident` followed by what is "
                "happening.\n\n" + in_channel.HELP
            )
        else:
            reply = answer_in_incident(
                words,
                incident,
                user,
                f"event:{body.get('event_id')}",
                deps.quick,
                context,
                team_hint=event.get("user_team"),
            )
            if reply.duplicate:
                return  # a redelivered mention: it was answered the first time
            mirror.keep(context, reply.outcome)
        context["reply"] = {"text": reply.text, "blocks": reply.blocks}

    def answer_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        reply = context.get("reply")
        if not reply:
            return
        # In the thread it was asked in, if it was.
        where = Where(event["user"], None, event["channel"], event.get("thread_ts"))
        answers.tell(client, where, reply["text"], reply["blocks"])
        # The answer reaching them or not, Slack is brought in step with the change.
        mirror.show(client, context, deps.settings, event["user"], where=where)

    app.event("app_mention")(ack=on_mention, lazy=[answer_mention])
