"""Builders of what Slack sends an app: slash commands, view_submission, block_actions,
and `event_callback` wrappers (pin events included), in the samples' exact shapes.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

from fakeslack import clock
from fakeslack.state import (
    APP_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    Channel,
    Workspace,
)

TEXT_INPUTS = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
}
SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
# element type -> the state key Slack uses for the picked value
PICKERS = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def team_ref(team_id: str = TEAM_ID) -> dict[str, str]:
    """`team` of an interaction: the acting person's team. For someone from another
    organisation in a Slack Connect channel that is their team (which is why Bolt prefers
    `view.app_installed_team_id` when it is there)."""
    domain = TEAM_DOMAIN if team_id == TEAM_ID else team_id.lower()
    return {"id": team_id, "domain": domain}


def user_ref(ws: Workspace, user_id: str) -> dict[str, str]:
    user = ws.user(user_id)
    name = user["name"] if user else user_id
    return {"id": user_id, "username": name, "name": name, "team_id": ws.team_of(user_id)}


def action_ts() -> str:
    return f"{clock.now():.6f}"


# -- element values ------------------------------------------------------------------------


def _options(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from element.get("options", [])
    for group in element.get("option_groups", []):
        yield from group.get("options", [])


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return copy.deepcopy(value)
    for option in _options(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    if element["type"].endswith("external_select"):
        # External options live in the app, so any value the test names is plausible.
        return {
            "text": {"type": "plain_text", "text": str(value), "emoji": True},
            "value": str(value),
        }
    known = [o.get("value") for o in _options(element)]
    raise ValueError(
        f"{element['type']} {element.get('action_id')!r} has no option "
        f"{value!r}; options are {known}"
    )


def element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """Translate a plain test value into the state entry Slack reports for `element`."""
    etype = element["type"]
    if etype in SINGLE_OPTION:
        option = None if value is None else _option(element, value)
        return {"type": etype, "selected_option": option}
    if etype in MULTI_OPTION:
        values = [] if value is None else [value] if isinstance(value, str) else list(value)
        return {"type": etype, "selected_options": [_option(element, v) for v in values]}
    if etype in PICKERS:
        if etype.startswith("multi_"):
            value = [] if value is None else [value] if isinstance(value, str) else list(value)
        return {"type": etype, PICKERS[etype]: value}
    if etype == "rich_text_input":
        rich = (
            None
            if value is None
            else {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "text", "text": str(value)}],
                    }
                ],
            }
        )
        return {"type": etype, "rich_text_value": rich}
    return {"type": etype, "value": None if value is None else str(value)}


def iter_elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, interactive element) pairs in display order."""
    for block in blocks:
        if isinstance(block.get("element"), dict):
            yield block, block["element"]
        if isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                yield block, element


def find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for block, element in iter_elements(blocks):
        if element.get("action_id") == action_id:
            return block, element
    return None


# The element's field holding what it starts with, and the state key it is reported under.
_INITIAL = {
    "initial_value": "value",
    "initial_option": "selected_option",
    "initial_options": "selected_options",
    "initial_user": "selected_user",
    "initial_users": "selected_users",
    "initial_conversation": "selected_conversation",
    "initial_conversations": "selected_conversations",
    "initial_channel": "selected_channel",
    "initial_channels": "selected_channels",
    "initial_date": "selected_date",
    "initial_time": "selected_time",
    "initial_date_time": "selected_date_time",
}


def untouched_state(element: dict[str, Any]) -> dict[str, Any]:
    """What Slack reports for an input the person left as it was: its initial value (an
    untouched field with one is submitted with it, not empty)."""
    state = element_state(element, None)
    for field, key in _INITIAL.items():
        if field in element:
            state[key] = copy.deepcopy(element[field])
    return state


def state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for a submission: every input block, test values filled in; an
    input the test does not name is submitted as the person left it (its initial value),
    and one named with None as cleared."""
    inputs = {
        b["block_id"]: b
        for b in view.get("blocks", [])
        if b.get("type") == "input" and isinstance(b.get("element"), dict)
    }
    unknown = set(values) - set(inputs)
    if unknown:
        raise ValueError(
            f"no input blocks {sorted(unknown)} in view {view['id']}; inputs are {sorted(inputs)}"
        )
    state: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block["element"]
        entry = (
            element_state(element, values[block_id])
            if block_id in values
            else untouched_state(element)
        )
        state[block_id] = {element["action_id"]: entry}
    return state


# -- interactive payloads -----------------------------------------------------------------


def slash_command(
    ws: Workspace,
    *,
    text: str,
    user: str,
    channel: Channel,
    command: str,
    trigger_id: str,
    response_url: str,
) -> dict[str, str]:
    user_obj = ws.user(user)
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user,
        "user_name": user_obj["name"] if user_obj else user,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def view_submission(
    ws: Workspace,
    view: dict[str, Any],
    values: dict[str, Any],
    *,
    user: str,
    trigger_id: str,
) -> dict[str, Any]:
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": state_values(view, values)}
    return {
        "type": "view_submission",
        "team": team_ref(ws.team_of(user)),
        "user": user_ref(ws, user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def action(block: dict[str, Any], element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One entry of `actions`, shaped by the element that was used."""
    if element["type"] == "button":
        entry: dict[str, Any] = {
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "text": copy.deepcopy(element.get("text")),
            "value": element.get("value") if value is None else value,
        }
        if "style" in element:
            entry["style"] = element["style"]
        entry.update({"type": "button", "action_ts": action_ts()})
        return entry
    state = element_state(element, value)
    return {
        "action_id": element["action_id"],
        "block_id": block["block_id"],
        **state,
        "action_ts": action_ts(),
    }


def block_actions(
    ws: Workspace,
    *,
    user: str,
    trigger_id: str,
    actions: list[dict[str, Any]],
    channel: Channel | None = None,
    message: dict[str, Any] | None = None,
    is_ephemeral: bool = False,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(ws, user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
    else:
        assert channel is not None and message is not None
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel.id,
            "is_ephemeral": is_ephemeral,
        }
    payload.update(
        {
            "trigger_id": trigger_id,
            "team": team_ref(ws.team_of(user)),
            "enterprise": None,
            "is_enterprise_install": False,
        }
    )
    if view is not None:
        payload["view"] = copy.deepcopy(view)
    else:
        assert channel is not None and message is not None
        payload["channel"] = {"id": channel.id, "name": channel.name}
        if not is_ephemeral:
            payload["message"] = copy.deepcopy(message)
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
    payload["actions"] = actions
    return payload


# -- events --------------------------------------------------------------------------------


def event_channel(event: dict[str, Any]) -> str | None:
    for key in ("channel", "channel_id"):
        if isinstance(event.get(key), str):
            return event[key]
    item = event.get("item")
    if isinstance(item, dict) and isinstance(item.get("channel"), str):
        return item["channel"]
    return None


def event_context(event: dict[str, Any]) -> str:
    """Slack's opaque `4-<base64 json>` context, built the way captured payloads decode."""
    data = {"et": event.get("type"), "tid": TEAM_ID, "aid": APP_ID}
    channel = event_channel(event)
    if channel:
        data["cid"] = channel
    raw = json.dumps(data, separators=(",", ":")).encode()
    return "4-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def event_callback(
    event: dict[str, Any], *, event_id: str, event_time: int, ext_shared: bool = False
) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": ext_shared,
        "event_context": event_context(event),
    }


def pin_event(
    kind: str,
    *,
    item: dict[str, Any],
    user: str,
    pin_count: int,
    event_ts: str,
) -> dict[str, Any]:
    """`pin_added` / `pin_removed`; removal also says whether other pins remain."""
    message = item["message"]
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "channel_id": item["channel"],
        "item": item,
        "item_user": message.get("user") or message.get("bot_id"),
        "pin_count": pin_count,
        "pinned_info": {
            "channel": item["channel"],
            "pinned_by": item["created_by"],
            "pinned_ts": item["created"],
        },
    }
    if kind == "pin_removed":
        event["has_pins"] = pin_count > 0
    event["event_ts"] = event_ts
    return event


def reaction_event(
    kind: str,
    *,
    user: str,
    reaction: str,
    channel: str,
    message: dict[str, Any],
    event_ts: str,
) -> dict[str, Any]:
    """`reaction_added` / `reaction_removed`: the item names the message, never its text."""
    return {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": message["ts"]},
        "item_user": message.get("user") or message.get("bot_id"),
        "event_ts": event_ts,
    }


def _shared_teams(event: dict[str, Any]) -> None:
    # In Slack Connect channels messages also name the author's and the source team.
    team = event.get("team")
    if team:
        event["user_team"] = team
        event["source_team"] = team


def message_event(
    message: dict[str, Any], *, channel: str, channel_type: str, shared: bool = False
) -> dict[str, Any]:
    """A new message as `message.channels` / `message.groups` deliver it."""
    event = copy.deepcopy(message)
    event.pop("pinned_to", None)
    event.pop("reactions", None)
    if shared:
        _shared_teams(event)
    event.update({"channel": channel, "event_ts": message["ts"], "channel_type": channel_type})
    return event


def app_mention_event(message: dict[str, Any], channel: str, shared: bool) -> dict[str, Any]:
    """`app_mention`, in the sample's field order; `thread_ts` when said in a thread."""
    event: dict[str, Any] = {
        "user": message.get("user"),
        "type": "app_mention",
        "ts": message["ts"],
        "client_msg_id": message.get("client_msg_id"),
        "text": message.get("text", ""),
        "team": message.get("team"),
    }
    if message.get("thread_ts"):
        event["thread_ts"] = message["thread_ts"]
    if shared:
        _shared_teams(event)
    event.update(
        {
            "blocks": copy.deepcopy(message.get("blocks", [])),
            "channel": channel,
            "event_ts": message["ts"],
        }
    )
    return event


def message_changed_event(
    *,
    channel: str,
    channel_type: str,
    before: dict[str, Any],
    after: dict[str, Any],
    event_ts: str,
) -> dict[str, Any]:
    """An edit (or a thread parent turned tombstone): the message now and as it was."""
    message = copy.deepcopy(after)
    previous = copy.deepcopy(before)
    for shown in (message, previous):
        shown.pop("pinned_to", None)
        if shown.get("user"):
            shown.setdefault("source_team", TEAM_ID)
            shown.setdefault("user_team", TEAM_ID)
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": message,
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": channel_type,
    }


def message_deleted_event(
    *, channel: str, channel_type: str, before: dict[str, Any], event_ts: str
) -> dict[str, Any]:
    """A deletion: no `user` at the top, only the message as it was and its ts."""
    previous = copy.deepcopy(before)
    previous.pop("pinned_to", None)
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "deleted_ts": before["ts"],
        "event_ts": event_ts,
        "ts": event_ts,
        "channel_type": channel_type,
    }


def member_joined_event(
    *, user: str, channel: Channel, inviter: str | None, event_ts: str
) -> dict[str, Any]:
    """`member_joined_channel`, as in the samples (`inviter` only when someone invited)."""
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel.id,
        # "G" marks old-style private channels; newer private channels show "C" too.
        "channel_type": "G" if channel.id.startswith("G") else "C",
        "team": TEAM_ID,
    }
    if inviter:
        event["inviter"] = inviter
    event["event_ts"] = event_ts
    return event


def message_action(
    ws: Workspace,
    *,
    callback_id: str,
    user: str,
    channel: Channel,
    message: dict[str, Any],
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    """A message shortcut (`type: message_action`): the whole message rides along."""
    shown = copy.deepcopy(message)
    shown.pop("pinned_to", None)
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": action_ts(),
        "team": team_ref(ws.team_of(user)),
        "user": user_ref(ws, user),
        "channel": {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": shown,
    }


def rename_event(kind: str, channel: Channel, *, event_ts: str) -> dict[str, Any]:
    """`channel_rename` / `group_rename`: the docs' `channel {id, name, created}`, plus the
    fields Slack's own type definitions add (node-slack-sdk ChannelRenameEvent)."""
    return {
        "type": kind,
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "created": channel.created,
            "is_channel": not channel.is_private,
            "is_mpim": False,
        },
        "event_ts": event_ts,
    }
