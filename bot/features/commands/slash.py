"""/incident and @-mentions of the bot: route the words to declaring, the Update form, or a
subcommand, answer the person, then bring Slack in step (and post in the channel the line a
note or a follow-up makes: for a mention, that line is the answer).

An @-mention is a command only when the message begins with the bot's own mention; any
other message that mentions the bot is conversation, and the bot stays out of it.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import incidents
from bot.domain.mrkdwn import readable
from bot.features import channel_archive, declare, update_modal
from bot.features.commands import in_channel
from bot.features.commands.in_channel import Invocation, Reply
from bot.features.deps import Deps, bind
from bot.slack import answers, blocks, heard, mirror
from bot.slack.actors import actor, organisation
from bot.slack.answers import Where
from bot.slack.command_text import CommandText, after_bot_mention, parse
from bot.slack.opening import RETRY
from models import Incident, Source

COMMAND = "/incident"
# One line per incident in /incident list: titles are clipped to this where shown.
LIST_TITLE_MAX = 120
RETRIES_LISTED = 10
DECLARE_HINT = "To declare an incident, type `/incident` followed by what is happening.\n\n"


def open_incidents_reply(user: str, channel: str | None) -> Reply:
    """The open incidents, to `user` only (an ephemeral answer): private ones too where they
    are in its channel, or asked from inside it."""
    found = incidents.open_incidents_for(user, channel)
    if not found:
        return Reply("No open incidents. :tada:")
    lines = []
    for i in found:
        where = blocks.channel_link(i.channel_id) if i.channel_id else "_not opened in Slack_"
        private = " :lock: private" if i.is_private else ""
        lines.append(
            f"• {where} *{blocks.shown(f'{i.id}: {i.title}', LIST_TITLE_MAX)}* — "
            f"{i.severity_label}, {blocks.status_label(i)}, lead {blocks.mention(i.lead_id)}"
            f"{private}"
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
    words: CommandText,
    incident: Incident,
    user: str,
    key: str,
    quick: WebClient,
    context: BoltContext,
    *,
    zone: ZoneInfo,
    team_hint: str | None = None,
    source: Source = Source.COMMAND,
) -> Reply:
    """`source`: how the words came, as the audit and the timeline record it (the slash
    command, or an @-mention of the bot)."""
    who, refused = actor(quick, user, source, context, team_hint=team_hint)
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
            zone,
        ),
    )


def _answered_anywhere(
    name: str, incident: Incident | None, typed: str, user: str, channel: str | None
) -> Reply | None:
    """/incident list and help, and an in-channel word typed elsewhere."""
    if name == "list":
        return open_incidents_reply(user, channel)
    if name == "help":
        return Reply(in_channel.HELP)
    if incident is None and name in IN_CHANNEL_ONLY:
        return not_here(name, typed)
    return None


def _open_form(
    body: dict[str, Any],
    words: CommandText,
    incident: Incident | None,
    context: BoltContext,
    deps: Deps,
) -> str | None:
    """The declare form outside an incident (or for `new`), the Update form inside one;
    what to tell the person if it did not open. Before the ack: the trigger_id lives 3 s."""
    if incident is None:
        typed = words.rest if words.name == "new" else body.get("text", "")
        title, summary = declare.split_text(readable(typed, declare.readable_name))
        return declare.open_modal(
            deps.quick,
            body["trigger_id"],
            title,
            body.get("channel_id"),
            summary=summary,
            response_url=body.get("response_url"),
        )
    _, refused = actor(deps.quick, body["user_id"], Source.COMMAND, context)
    return refused or update_modal.open_for(deps.quick, body["trigger_id"], incident)


def on_command(ack: Ack, body: dict[str, Any], context: BoltContext, *, deps: Deps) -> None:
    """Before the ack: /incident's answer (or its form), and the change it made, stored."""
    text, channel = body.get("text", ""), body.get("channel_id")
    words = parse(text)
    # By the channel's id: an incident channel renamed in Slack is still the incident's.
    number = incidents.number_for_channel(channel) if channel else None
    incident = incidents.get(number) if number is not None and words.name != "new" else None
    if incident is not None and incident.channel_archived_at is not None and channel:
        # Someone types in it, so it is open again: unarchived while the bot was out of it
        # (Slack takes apps out at the archive and tells only members of a private one).
        if channel_archive.back_in_use(channel, body["user_id"]) is not None:
            incident = incidents.get(incident.id)
    reply = _answered_anywhere(words.name, incident, text, body["user_id"], channel)
    if reply is None and (incident is None or not words.name):
        failed = _open_form(body, words, incident, context, deps)
        ack(failed) if failed else ack()
        return
    if reply is None:
        assert incident is not None  # a form opens otherwise
        key = f"cmd:{body['trigger_id']}"
        reply = answer_in_incident(
            words,
            incident,
            body["user_id"],
            key,
            deps.quick,
            context,
            zone=deps.settings.reminders.zone,
        )
        mirror.keep(context, reply.outcome)
        _keep_line(context, reply)
    ack(text=reply.text, blocks=reply.blocks or blocks.notice(reply.text))


def _keep_line(context: BoltContext, reply: Reply) -> None:
    if reply.channel_line is not None:
        context[heard.LINE] = reply.channel_line


def after_command(
    body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    where = Where.of(body)
    line = context.get(heard.LINE)
    if isinstance(line, heard.Line):
        heard.say(client, line, where)
    mirror.show(client, context, deps.settings, body["user_id"], where=where)


def declare_anyway(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """The button under "works in an incident's own channel": the declare form, titled."""
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


def command_in(event: dict[str, Any], bot_user_id: str | None) -> str | None:
    """What a person asked of the bot in a message that begins with its mention; None for
    conversation that mentions it, and for other apps' and bots' messages."""
    text, channel, user = event.get("text"), event.get("channel"), event.get("user")
    if not (isinstance(channel, str) and isinstance(user, str) and isinstance(text, str)):
        return None
    if event.get("bot_id") or event.get("subtype"):
        return None
    return after_bot_mention(text, bot_user_id)


def _mention_reply(
    words: CommandText, incident: Incident | None, typed: str, user: str, channel: str
) -> Reply | None:
    if words.name == "list":
        return open_incidents_reply(user, channel)
    if incident is None and words.name in IN_CHANNEL_ONLY:
        return not_here(words.name, typed)
    if incident is None:
        return Reply(DECLARE_HINT + in_channel.HELP)
    if not words.name or words.name == "help":
        return Reply(in_channel.HELP)
    return None


def on_mention(
    body: dict[str, Any], event: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Before the ack: the mention's answer, and the change it made, stored."""
    rest = command_in(event, context.bot_user_id)
    if rest is None:
        return
    words = parse(rest)
    incident = incidents.for_channel(event["channel"])
    reply = _mention_reply(words, incident, rest, event["user"], event["channel"])
    if reply is None:
        assert incident is not None  # _mention_reply answers without one
        key = f"event:{body.get('event_id')}"
        reply = answer_in_incident(
            words,
            incident,
            event["user"],
            key,
            deps.quick,
            context,
            zone=deps.settings.reminders.zone,
            team_hint=event.get("user_team"),
            source=Source.MENTION,
        )
        if reply.duplicate:
            return  # a redelivered mention: it was answered the first time
        mirror.keep(context, reply.outcome)
        _keep_line(context, reply)
    # Plain values: Bolt copies the context for the lazy listener and drops what it cannot.
    context["reply"] = {"text": reply.text, "blocks": reply.blocks}


def answer_mention(
    event: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    reply = context.get("reply")
    if not reply:
        return
    # In the thread it was asked in, if it was.
    where = Where(event["user"], None, event["channel"], event.get("thread_ts"))
    line = context.get(heard.LINE)
    if isinstance(line, heard.Line):
        # The channel's line, under the person's own message, is their answer: they are
        # told apart only if Slack would not take it.
        heard.say(client, line, where)
    else:
        answers.tell(client, where, reply["text"], reply["blocks"])
    # The answer reaching them or not, Slack is brought in step with the change.
    mirror.show(client, context, deps.settings, event["user"], where=where)


def register(app: App, deps: Deps) -> None:
    app.command(COMMAND)(ack=bind(on_command, deps), lazy=[bind(after_command, deps)])
    app.action(DECLARE_ANYWAY)(ack=bind(declare_anyway, deps), lazy=[answers.tell_failure])
    app.event("app_mention")(ack=bind(on_mention, deps), lazy=[bind(answer_mention, deps)])
