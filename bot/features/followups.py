"""Follow-up actions: the list with a Done button for each, and the button itself."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import blocks
from bot.deps import Deps
from bot.domain import actions
from bot.domain.lifecycle import Actor

DONE = "followup_done"


def action_list(number: int) -> tuple[str, list[dict[str, Any]]]:
    """The incident's follow-up actions, open first, each open one with a Done button."""
    items = actions.for_incident(number)
    if not items:
        text = f"Incident {number} has no follow-up actions yet: /incident action <text> [@owner]"
        return text, blocks.notice(text)
    body: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Follow-up actions for incident {number}*"},
        }
    ]
    for item in items[:45]:  # a message holds at most 50 blocks
        owner = f" — {blocks.mention(item.owner_id)}" if item.owner_id else ""
        if item.done:
            line = (
                f":white_check_mark: ~{blocks.escape(item.title)}~{owner} (done by "
                f"{blocks.mention(item.done_by)})"
            )
            body.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
        else:
            item_id = item.id
            body.append(
                {
                    "type": "section",
                    "block_id": f"followup_{item_id}",
                    "text": {"type": "mrkdwn", "text": f"• {blocks.escape(item.title)}{owner}"},
                    "accessory": {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Done"},
                        "action_id": DONE,
                        "value": str(item_id),
                    },
                }
            )
    open_count = sum(1 for item in items if not item.done)
    return f"{open_count} open follow-up action(s) for incident {number}", body


def register(app: App, deps: Deps) -> None:
    def done(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        value = action.get("value")
        if not (isinstance(value, str) and value.isdigit() and len(value) < 19):
            return  # not one of our buttons' values
        item = actions.complete(int(value), Actor(user, "button"))
        if item is None:
            return  # already done: a second click, or a redelivery
        # Peewee's foreign-key id accessor, which peewee-stubs does not declare.
        text, body_blocks = action_list(item.incident_id)  # type: ignore[attr-defined]
        respond(text=text, blocks=body_blocks, replace_original=True)

    app.action(DONE)(done)
