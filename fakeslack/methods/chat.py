"""chat.* methods: posting, updating, deleting, ephemerals and permalinks."""

from __future__ import annotations

import copy
from typing import Any

from fakeslack.errors import ApiError
from fakeslack.methods.base import Backend, Handler, Params
from fakeslack.state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, Channel, Workspace, permalink

MESSAGE_BLOCKS_MAX = 50
TEXT_MAX = 40_000


def _target(ws: Workspace, ref: str | None) -> Channel:
    # A user id posts into the app's DM with that person, as Slack does.
    if ref and ref[0] in "UW" and ws.user(ref) is not None:
        return ws.im_with(ref)
    return ws.require_channel(ref)


def _content(p: Params, *, required: bool) -> dict[str, Any]:
    text, blocks, attachments = p.text("text"), p.raw("blocks"), p.raw("attachments")
    if required and not text and not blocks and not attachments:
        raise ApiError("no_text")
    if blocks not in (None, "") and not isinstance(blocks, list):
        raise ApiError(
            "invalid_blocks", response_metadata={"messages": ["[ERROR] must be an array"]}
        )
    if isinstance(blocks, list) and len(blocks) > MESSAGE_BLOCKS_MAX:
        raise ApiError(
            "invalid_blocks",
            response_metadata={
                "messages": [
                    f"[ERROR] no more than {MESSAGE_BLOCKS_MAX} items allowed "
                    "[json-pointer:/blocks]"
                ]
            },
        )
    if text and len(text) > TEXT_MAX:
        raise ApiError("msg_too_long")
    content: dict[str, Any] = {}
    if "text" in p.data:
        content["text"] = text or ""
    if blocks not in (None, ""):
        content["blocks"] = copy.deepcopy(blocks)
    if isinstance(attachments, list):
        content["attachments"] = copy.deepcopy(attachments)
    return content


def post_message(b: Backend, p: Params) -> dict[str, Any]:
    ws = b.ws
    chan = _target(ws, p.text("channel"))
    if chan.is_archived:
        raise ApiError("is_archived")
    content = _content(p, required=True)
    msg: dict[str, Any] = {
        "user": BOT_USER_ID,
        "type": "message",
        "ts": ws.ids.ts(),
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "text": content.get("text", ""),
        "team": TEAM_ID,
    }
    msg.update({k: v for k, v in content.items() if k != "text"})
    metadata = p.raw("metadata")
    if isinstance(metadata, dict):
        msg["metadata"] = copy.deepcopy(metadata)
    ws.append_message(chan, msg, p.text("thread_ts"))
    return {"ok": True, "channel": chan.id, "ts": msg["ts"], "message": copy.deepcopy(msg)}


def _own_message(ws: Workspace, p: Params, refusal: str) -> tuple[Channel, dict[str, Any]]:
    chan = ws.require_channel(p.text("channel"))
    msg = ws.require_message(chan, p.text("ts"))
    if msg.get("bot_id") != BOT_ID:
        raise ApiError(refusal)
    return chan, msg


def update(b: Backend, p: Params) -> dict[str, Any]:
    chan, msg = _own_message(b.ws, p, "cant_update_message")
    if chan.is_archived:
        raise ApiError("is_archived")
    content = _content(p, required=True)
    msg.update(content)
    if "blocks" in p.data and not content.get("blocks"):
        msg.pop("blocks", None)
    msg["edited"] = {"user": BOT_USER_ID, "ts": b.ws.ids.ts()}
    return {
        "ok": True,
        "channel": chan.id,
        "ts": msg["ts"],
        "text": msg.get("text", ""),
        "message": copy.deepcopy(msg),
    }


def delete(b: Backend, p: Params) -> dict[str, Any]:
    chan, msg = _own_message(b.ws, p, "cant_delete_message")
    chan.messages.remove(msg)
    chan.pins.pop(msg["ts"], None)
    return {"ok": True, "channel": chan.id, "ts": msg["ts"]}


def post_ephemeral(b: Backend, p: Params) -> dict[str, Any]:
    ws = b.ws
    ref = p.text("channel")
    chan = ws.channels.get(ref or "") or (ws.channel_by_name(ref) if ref else None)
    # Ephemerals need a channel the bot sits in; DMs and hidden private ones look absent.
    if chan is None or chan.is_im or not chan.bot_can_see():
        raise ApiError("channel_not_found")
    if chan.is_archived:
        raise ApiError("is_archived")
    if BOT_USER_ID not in chan.members:
        raise ApiError("not_in_channel")
    user = ws.require_user(p.text("user"))
    if user["id"] not in chan.members:
        raise ApiError("user_not_in_channel")
    content = _content(p, required=True)
    ts = ws.ids.ts()
    ws.ephemerals.append(
        {
            "channel": chan.id,
            "user": user["id"],
            "text": content.get("text", ""),
            "blocks": content.get("blocks"),
            "ts": ts,
            "thread_ts": p.text("thread_ts"),
        }
    )
    return {"ok": True, "message_ts": ts}


def get_permalink(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    msg = b.ws.require_message(chan, p.text("message_ts"))
    return {
        "ok": True,
        "channel": chan.id,
        "permalink": permalink(chan.id, msg["ts"], msg.get("thread_ts")),
    }


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
