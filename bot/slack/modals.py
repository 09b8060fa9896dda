"""The modal kit: the Block Kit pieces the bot's forms are made of, and reading a submitted
form whatever shape its payload has (a field of the wrong type reads as left empty)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

# Every input's action_id; the block_id names the field.
ACTION = "value"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = True,
    hint: str | None = None,
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": {**element, "action_id": ACTION},
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def field(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """One input's state in a submitted view; empty when it is missing or malformed."""
    values = dict_of(dict_of(view.get("state")).get("values"))
    return dict_of(dict_of(values.get(block_id)).get(ACTION))


def chosen(view: dict[str, Any], block_id: str) -> str:
    """The value of a select's chosen option; '' when none."""
    return text_of(dict_of(field(view, block_id).get("selected_option")).get("value"))


def has_field(view: dict[str, Any], block_id: str) -> bool:
    return block_id in dict_of(dict_of(view.get("state")).get("values"))


def typed(view: dict[str, Any], block_id: str) -> str:
    """What was typed in a text input; '' when nothing (or not text)."""
    return text_of(field(view, block_id).get("value"))


def user(view: dict[str, Any], block_id: str) -> str | None:
    """The person a users_select names, if any."""
    return text_of(field(view, block_id).get("selected_user")) or None


def picked_time(view: dict[str, Any], block_id: str) -> dt.datetime | None:
    """The moment a datetimepicker holds (Slack sends Unix seconds), if any."""
    seconds = field(view, block_id).get("selected_date_time")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):  # a timestamp no calendar holds
        return None


def time_picker(initial: dt.datetime | None = None) -> dict[str, Any]:
    """A datetimepicker: each person picks in their own time zone, Slack sends Unix seconds."""
    element: dict[str, Any] = {"type": "datetimepicker"}
    if initial is not None:
        element["initial_date_time"] = int(initial.timestamp())
    return element


def ticked(view: dict[str, Any], block_id: str) -> list[str]:
    """The values of a checkbox group's ticked options."""
    selected = field(view, block_id).get("selected_options")
    options = selected if isinstance(selected, list) else []
    return [text_of(dict_of(option).get("value")) for option in options]


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The view's private_metadata as the JSON object the bot put there; {} if it is not one."""
    try:
        return dict_of(json.loads(text_of(view.get("private_metadata")) or "{}"))
    except ValueError:
        return {}


def open_modal(
    quick: WebClient,
    trigger_id: str,
    view: dict[str, Any],
    *,
    form: str,
    again: str,
    log_extra: dict[str, Any] | None = None,
) -> tuple[SlackResponse | None, str | None]:
    """Open `view`: Slack's answer, or the words to tell the person why `form` ("the Update
    form") did not open, `again` saying how to try again. Never retried: the trigger lives
    three seconds, and a form opened late is refused."""
    extra = log_extra or {}
    try:
        return quick.views_open(trigger_id=trigger_id, view=view), None
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        log.warning("views.open failed", extra={**extra, "error": code})
        if error.response.status_code == 429 or code in ("expired_trigger_id", "ratelimited"):
            return None, f"Slack was too busy to open {form} in time (`{code}`). Please try again."
        return None, f"Slack did not open {form} (`{code}`). Please try again."
    except OSError as error:
        log.warning("views.open failed", extra={**extra, "error": type(error).__name__})
        # It may have opened all the same (the answer, not the form, may be what was lost).
        return None, f"Slack took too long to confirm {form}. If it has not appeared, {again}."
