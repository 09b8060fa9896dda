"""The "Declare an incident" modal (from /incident or the "Declare incident from this
message" shortcut) → a stored incident, opened in Slack; and the Retry button for an
incident Slack would not open."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from peewee import DatabaseError
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain import incidents, people, permissions
from bot.domain.incidents import Declaration, FieldProblem, checked_start, title_problem
from bot.domain.mrkdwn import readable
from bot.domain.numbers import whole_number
from bot.features.deps import Deps, bind
from bot.slack import answers, blocks, modals
from bot.slack.actors import actor, organisation
from bot.slack.answers import Where
from bot.slack.opening import RETRY, open_in_slack
from bot.slack.people import look_up_together
from models import SEVERITIES, Source
from models.incident import TITLE_MAX_LENGTH

log = logging.getLogger(__name__)

CALLBACK_ID = "incident_declare"
SHORTCUT_ID = "declare_from_message"
ACTION = modals.ACTION
TITLE, SUMMARY, IMPACT, STARTED, SEVERITY, LEAD, PRIVATE = (
    "title",
    "summary",
    "impact",
    "started",
    "severity",
    "lead",
    "private",
)
NOT_SAVED = (
    "The incident could not be saved just now. Nothing was lost: press Declare again in a moment."
)
TEXT_INPUT_MAX = 3000  # Slack's most for a plain_text_input, and its initial_value


@dataclass(frozen=True)
class DeclareForm:
    title: str
    summary: str
    impact: str
    severity: int | None
    lead_id: str | None
    is_private: bool
    origin_channel: str | None
    source: dict[str, Any] | None
    response_url: str | None
    started: dt.datetime | None = None  # when the impact started, if it was picked


def split_text(text: str) -> tuple[str, str]:
    """What was typed after /incident, as a title and the rest: nothing is lost when it is
    longer than a title. The first line, cut at a word to fit; the rest is the summary."""
    text = text.strip()
    first, _, more = text.partition("\n")
    first = first.strip()
    if blocks.slack_len(first) <= TITLE_MAX_LENGTH:
        return first, more.strip()
    cut = blocks.fit(first, TITLE_MAX_LENGTH)
    space = cut.rfind(" ")
    if space >= len(cut) // 2:
        cut = cut[:space]
    rest = first[len(cut) :].strip()
    return cut.rstrip(), f"{rest}\n{more.strip()}".strip()


def metadata(
    origin_channel: str | None,
    response_url: str | None,
    source: dict[str, Any] | None,
) -> str:
    """The modal's private_metadata: where it came from, and which message it was opened
    from (channel and ts; the message itself is kept whole in the database, by the view's
    id, however long and in whatever language: Slack's limit is 3,000 characters)."""
    reference = (
        {key: source[key] for key in ("channel", "ts") if source.get(key)} if source else None
    )
    data = {"origin": origin_channel, "url": response_url, "source": reference}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def modal(
    title: str = "",
    *,
    origin_channel: str | None = None,
    summary: str = "",
    source: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """`source`: the message a shortcut declared from (channel, ts, user, text, files)."""
    title_element: dict[str, Any] = {"type": "plain_text_input", "max_length": TITLE_MAX_LENGTH}
    if title.strip():
        title_element["initial_value"] = blocks.clip(title.strip(), TITLE_MAX_LENGTH)
    summary_element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": TEXT_INPUT_MAX,
    }
    summary_hint = None
    if summary.strip():
        summary_element["initial_value"] = blocks.clip(summary.strip(), TEXT_INPUT_MAX)
        if blocks.slack_len(summary.strip()) > TEXT_INPUT_MAX:
            summary_hint = "Shortened to fit; the whole message stays on the timeline."
    private = {
        "type": "checkboxes",
        "options": [
            {
                "text": modals.plain("Private incident"),
                "value": "private",
                "description": modals.plain("A private channel; nothing is announced."),
            }
        ],
    }
    options = [
        {"text": modals.plain(label), "value": str(level)} for level, label in SEVERITIES.items()
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": modals.plain("Declare an incident"),
        "submit": modals.plain("Declare"),
        "close": modals.plain("Cancel"),
        "private_metadata": metadata(origin_channel, response_url, source),
        "blocks": [
            modals.input_block(
                TITLE,
                "Title",
                title_element,
                optional=False,
                hint="What is happening, in a few words.",
            ),
            modals.input_block(SUMMARY, "Summary", summary_element, hint=summary_hint),
            modals.input_block(
                IMPACT,
                "Impact",
                {"type": "plain_text_input", "multiline": True, "max_length": TEXT_INPUT_MAX},
                hint="Who or what is affected, and how badly.",
            ),
            modals.input_block(
                STARTED,
                "Impact started at",
                modals.time_picker(),
                hint="If it began before now (in your time zone); leave empty if not known.",
            ),
            modals.input_block(
                SEVERITY,
                "Severity",
                {
                    "type": "static_select",
                    "options": options,
                    "placeholder": modals.plain("Pick a severity"),
                },
                hint="Not sure yet? Leave it; you will be reminded.",
            ),
            modals.input_block(
                LEAD, "Lead", {"type": "users_select", "placeholder": modals.plain("Choose a lead")}
            ),
            modals.input_block(PRIVATE, "Visibility", private),
        ],
    }


def parse(view: dict[str, Any]) -> DeclareForm:
    """Whatever the payload holds: a field of the wrong type reads as left empty."""
    severity = whole_number(modals.chosen(view, SEVERITY), digits=3)
    meta = modals.metadata(view)
    origin, source, url = meta.get("origin"), meta.get("source"), meta.get("url")
    return DeclareForm(
        title=modals.typed(view, TITLE).strip(),
        summary=modals.typed(view, SUMMARY),
        impact=modals.typed(view, IMPACT),
        severity=severity if severity in SEVERITIES else None,
        lead_id=modals.user(view, LEAD),
        is_private="private" in modals.ticked(view, PRIVATE),
        started=modals.picked_time(view, STARTED),
        origin_channel=origin if isinstance(origin, str) else None,
        source=source if isinstance(source, dict) and source.get("ts") else None,
        response_url=url
        if isinstance(url, str) and url.startswith(("https://", "http://"))
        else None,
    )


def open_modal(
    quick: WebClient,
    trigger_id: str,
    text: str,
    origin_channel: str | None,
    *,
    source: dict[str, Any] | None = None,
    **extra: Any,
) -> str | None:
    """Open the modal; on failure return the words to tell the person. `source`, the
    message it is opened from, is kept whole for the submission.

    Never retried: the trigger lives three seconds, and a form opened late is refused."""
    opened, failed = modals.open_modal(
        quick,
        trigger_id,
        modal(text, origin_channel=origin_channel, source=source, **extra),
        form="the declare form",
        again="type the command again",
    )
    if opened is not None and source is not None:
        incidents.keep_source(str(opened["view"]["id"]), source)
    return failed


def readable_name(user_id: str) -> str:
    person = people.cached(user_id)
    return person.shown_name if person else ""


def source_of(shortcut: dict[str, Any]) -> dict[str, Any]:
    """The message a shortcut declares from, as the incident keeps it: where, who, the text
    and its files, and Slack's permalink."""
    message, channel = shortcut.get("message") or {}, (shortcut.get("channel") or {}).get("id")
    source = {
        "channel": channel,
        "ts": message.get("ts"),
        "user": message.get("user"),
        "text": modals.text_of(message.get("text")),
        "files": [
            {"name": f.get("title") or f.get("name"), "permalink": f.get("permalink")}
            for f in message.get("files") or []
            if isinstance(f, dict)
        ],
    }
    if message.get("thread_ts"):
        source["thread_ts"] = message.get("thread_ts")
    for key in ("bot_id", "username", "bot_profile"):  # who posted it, if a bot did
        if message.get(key):
            source[key] = message[key]
    domain = (shortcut.get("team") or {}).get("domain")
    if domain and channel and isinstance(message.get("ts"), str):
        # Slack's permalink, built: chat.getPermalink cannot see a private channel the
        # bot is not in.
        source["permalink"] = permalink_of(domain, channel, message)
    return source


def from_message(ack: Ack, shortcut: dict[str, Any], context: BoltContext, *, deps: Deps) -> None:
    """The shortcut: the declare form, filled in from the message."""
    ack()
    source = source_of(shortcut)
    plain = readable(source["text"], readable_name)
    title, _ = split_text(plain)
    context["failed"] = open_modal(
        deps.quick,
        shortcut["trigger_id"],
        title,
        source["channel"],
        summary=plain,
        source=source,
        response_url=shortcut.get("response_url"),
    )


def _form_errors(
    form: DeclareForm, body: dict[str, Any], context: BoltContext, deps: Deps
) -> dict[str, str] | None:
    """What the form must show before it can be declared, by field; None when nothing."""
    problem = title_problem(form.title)
    if problem:
        return {TITLE: problem}
    if form.started is not None:
        try:
            checked_start(form.started)
        except FieldProblem as error:
            return {STARTED: str(error)}
    user = body["user"]["id"]
    known = look_up_together(deps.quick, (user, form.lead_id), deps.fanout)
    _, refused = actor(
        deps.quick, user, Source.MODAL, context, team_hint=body["user"].get("team_id"), known=known
    )
    if refused:
        return {TITLE: refused}
    if form.lead_id:
        cannot = permissions.cannot_lead(
            known[form.lead_id], context.bot_user_id, form.lead_id, organisation(context)
        )
        if cannot:
            return {LEAD: cannot}
    return None


def _declaration(form: DeclareForm, reporter: str) -> Declaration:
    return Declaration(
        title=form.title,
        summary=form.summary,
        impact=form.impact,
        severity=form.severity,
        lead_id=form.lead_id,
        reporter_id=reporter,
        is_private=form.is_private,
        started_at=form.started,
    )


def store(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, *, deps: Deps
) -> None:
    """Before the ack: the declaration is checked and stored; a problem keeps the form open."""
    form = parse(view)
    errors = _form_errors(form, body, context, deps)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    try:
        incident = incidents.declare(_declaration(form, user), key=view["id"])
    except DatabaseError:
        log.exception("could not store a declaration")
        # Keep the modal (and every word typed in it) open rather than lose it.
        ack(response_action="errors", errors={TITLE: NOT_SAVED})
        return
    ack()
    if incident is None:
        return  # a repeated submission: the first delivery does the Slack work
    context["incident_id"] = incident.id
    context["where"] = Where(user, form.response_url, form.origin_channel)
    if form.source is not None:
        # Kept whole when the form opened; else (a form opened by an older version)
        # what private_metadata carried.
        context["source_message"] = incidents.take_source(view["id"]) or form.source


def open_incident(client: WebClient, context: BoltContext, *, deps: Deps) -> None:
    """After the ack: the stored incident gets its channel, announcement and invitations."""
    incident_id = context.get("incident_id")
    if incident_id is None:
        return
    open_in_slack(
        client,
        incident_id,
        settings=deps.settings,
        executor=deps.fanout,
        bot_user_id=context.bot_user_id,
        where=context["where"],
        source_message=context.get("source_message"),
    )


def ack_only(ack: Ack) -> None:
    ack()


def retry(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    """The Retry button: open in Slack an incident that Slack would not open before."""
    number = whole_number(action.get("value"))
    if number is None:
        return
    where = Where.of(body)
    team = (body.get("user") or {}).get("team_id")
    _, refused = actor(client, where.user, Source.BUTTON, context, team_hint=team)
    if refused:
        answers.tell(client, where, refused)
        return
    open_in_slack(
        client,
        number,
        settings=deps.settings,
        executor=deps.fanout,
        bot_user_id=context.bot_user_id,
        where=where,
        retry=True,
    )


def register(app: App, deps: Deps) -> None:
    app.shortcut(SHORTCUT_ID)(ack=bind(from_message, deps), lazy=[answers.tell_failure])
    app.view(CALLBACK_ID)(ack=bind(store, deps), lazy=[bind(open_incident, deps)])
    app.action(RETRY)(ack=ack_only, lazy=[bind(retry, deps)])


def permalink_of(domain: str, channel: str, message: dict[str, Any]) -> str:
    """Slack's permalink for a message: https://<domain>.slack.com/archives/<channel>/p<ts>,
    with the thread for a reply."""
    ts = str(message["ts"])
    link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    thread = message.get("thread_ts")
    if isinstance(thread, str) and thread != ts:
        link += f"?thread_ts={thread}&cid={channel}"
    return link
