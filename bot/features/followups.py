"""Follow-up actions: the list (a page at a time, each open one with a Done button), the
Done button itself, the buttons that turn the page, and the line the incident's channel
hears when one is added or done."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.domain import actions
from bot.domain.numbers import whole_number
from bot.features import followup_form
from bot.features.deps import Deps, bind
from bot.slack import answers, blocks, heard
from bot.slack.actors import actor
from bot.slack.answers import Where
from models import FollowUpAction, Source

log = logging.getLogger(__name__)

UTC = ZoneInfo("UTC")

DONE = "followup_done"
PAGE = "followup_page"
# A message holds 50 blocks: a heading, the items, the buttons that turn the page and the
# one that adds a follow-up.
PER_PAGE = 40
TITLE_SHOWN_MAX = 300
LINK_SHOWN_MAX = 2000


def details(item: FollowUpAction, zone: ZoneInfo) -> str:
    """ ", due 31 Mar 2025, <ticket>" — what else a follow-up carries, for its line."""
    parts = []
    day = item.due_day(zone)
    if day is not None:
        parts.append(f"due {day.day} {day.strftime('%b %Y')}")
    if item.ticket_url:
        link = blocks.link(item.ticket_url, "ticket")
        # Its escaping can make a long address longer still: past this the line would not
        # fit a section (3,000 characters) beside the longest title shown.
        fits = blocks.slack_len(link) <= LINK_SHOWN_MAX
        parts.append(link if fits else "ticket (its link is too long to show here)")
    return (" — " + ", ".join(parts)) if parts else ""


def added_line(item: FollowUpAction, zone: ZoneInfo) -> heard.Line:
    """ ":clipboard: *Follow-up added* by alice for @bob: …" — who added it is named, the
    owner mentioned (they are the one asked to do it), unless they added it themselves."""
    if item.owner_id and item.owner_id != item.created_by:
        owner = f" for {blocks.mention(item.owner_id)}"
    else:
        owner = ", who owns it" if item.owner_id else ""
    return heard.Line(
        incident_id=item.incident_id,  # type: ignore[attr-defined]
        key=f"action:{item.id}",
        lead=":clipboard: *Follow-up added* by ",
        by=item.created_by,
        rest=f"{owner}: {blocks.shown(item.title, TITLE_SHOWN_MAX)}{details(item, zone)}",
        stored=f"Follow-up action {item.id} is added",
    )


def assigned_line(item: FollowUpAction, by: str | None) -> heard.Line:
    """ ":clipboard: *Follow-up assigned* by alice to @bob: …" — the new owner mentioned
    (they are asked to do it), unless they took it themselves."""
    owner = item.owner_id or ""
    to = "themselves" if owner == by else blocks.mention(owner)
    return heard.Line(
        incident_id=item.incident_id,  # type: ignore[attr-defined]
        key=f"action-assigned:{item.id}:{owner}",
        lead=":clipboard: *Follow-up assigned* by ",
        by=by,
        rest=f" to {to}: {blocks.shown(item.title, TITLE_SHOWN_MAX)}",
        stored=f"Follow-up action {item.id} is assigned",
    )


def done_line(item: FollowUpAction) -> heard.Line:
    """ ":white_check_mark: *Follow-up done* by bob: …" — named, nobody pinged."""
    return heard.Line(
        incident_id=item.incident_id,  # type: ignore[attr-defined]
        key=f"action-done:{item.id}",
        lead=":white_check_mark: *Follow-up done* by ",
        by=item.done_by,
        rest=f": {blocks.shown(item.title, TITLE_SHOWN_MAX)}",
        stored=f"Follow-up action {item.id} is marked done",
    )


def action_list(
    number: int, start: int = 0, zone: ZoneInfo = UTC
) -> tuple[str, list[dict[str, Any]]]:
    """The incident's follow-up actions from `start`, open first, each open one with a
    Done button, and buttons to the pages before and after."""
    items = actions.for_incident(number)
    add = {
        "type": "actions",
        "block_id": "followup_add",
        "elements": [followup_form.button(number)],
    }
    if not items:
        text = f"Incident {number} has no follow-up actions yet: {actions.USAGE}"
        return text, [*blocks.notice(text), add]
    start = max(0, min(start, (len(items) - 1) // PER_PAGE * PER_PAGE))
    page = items[start : start + PER_PAGE]
    heading = f"*Follow-up actions for incident {number}*"
    if len(items) > PER_PAGE:
        heading += f" ({start + 1}–{start + len(page)} of {len(items)})"
    body: list[dict[str, Any]] = [{"type": "section", "text": blocks.mrkdwn(heading)}]
    for item in page:
        owner = f" — {blocks.mention(item.owner_id)}" if item.owner_id else ""
        owner += details(item, zone)
        title = blocks.shown(item.title, TITLE_SHOWN_MAX)
        if item.done:
            line = f":white_check_mark: ~{title}~{owner} (done by {blocks.mention(item.done_by)})"
            body.append({"type": "section", "text": blocks.mrkdwn(line)})
        else:
            item_id = item.id
            body.append(
                {
                    "type": "section",
                    "block_id": f"followup_{item_id}",
                    # Its number, for `/incident assign <number> @person`.
                    "text": blocks.mrkdwn(f"• `{item_id}` {title}{owner}"),
                    "accessory": {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Done"},
                        "action_id": DONE,
                        "value": f"{item_id}:{start}",
                    },
                }
            )
    turns = []
    if start > 0:
        turns.append(_turn("Previous", number, start - PER_PAGE))
    if start + PER_PAGE < len(items):
        turns.append(_turn("Next", number, start + PER_PAGE))
    if turns:
        body.append({"type": "actions", "block_id": "followup_pages", "elements": turns})
    body.append(add)
    open_count = sum(1 for item in items if not item.done)
    return f"{open_count} open follow-up action(s) for incident {number}", body


def _turn(label: str, number: int, start: int) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": f"{PAGE}_{label.lower()}",
        "value": f"{number}:{max(0, start)}",
    }


def _pair(value: Any) -> tuple[int, int] | None:
    """ "12:40" → (12, 40): the numbers a button carries."""
    if not isinstance(value, str):
        return None
    first, _, second = value.partition(":")
    number, page = whole_number(first), whole_number(second or "0", digits=len(second) or 1)
    if number is None or page is None:
        return None
    return number, page if page < 10**8 else 0  # a page past any list shows the first


def ack_only(ack: Ack) -> None:
    ack()


def done(
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    """After the ack: mark the action done, show the same page of the list again, and tell
    the channel."""
    pair = _pair(action.get("value"))
    if pair is None:
        return  # not one of our buttons' values
    where = Where.of(body)
    who, refused = actor(
        client,
        where.user,
        Source.BUTTON,
        context,
        team_hint=(body.get("user") or {}).get("team_id"),
    )
    if refused:
        answers.tell(client, where, refused)
        return
    item = actions.complete(pair[0], who)
    if item is None:
        return  # already done: a second click, or a redelivery
    # Peewee's foreign-key id accessor, which peewee-stubs does not declare.
    number = item.incident_id  # type: ignore[attr-defined]
    text, body_blocks = action_list(number, pair[1], deps.settings.reminders.zone)
    respond(text=text, blocks=body_blocks, replace_original=True)
    heard.say(client, done_line(item), where)


def turn(action: dict[str, Any], respond: Respond, *, deps: Deps) -> None:
    """After the ack: the previous or next page of the list, in place."""
    pair = _pair(action.get("value"))
    if pair is not None:
        text, body_blocks = action_list(*pair, deps.settings.reminders.zone)
        respond(text=text, blocks=body_blocks, replace_original=True)


def register(app: App, deps: Deps) -> None:
    app.action(DONE)(ack=ack_only, lazy=[bind(done, deps)])
    app.action(f"{PAGE}_previous")(ack=ack_only, lazy=[bind(turn, deps)])
    app.action(f"{PAGE}_next")(ack=ack_only, lazy=[bind(turn, deps)])
