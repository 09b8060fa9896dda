"""chat.* methods: posting, updating, deleting, ephemerals and permalinks."""

from __future__ import annotations

import copy
from typing import Any

from fakeslack.blockkit import check_message_blocks
from fakeslack.errors import ApiError
from fakeslack.methods.base import Backend, Handler, Params
from fakeslack.state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, Channel, Workspace, permalink

# chat.postMessage: "For best results, limit the number of characters in the text field to
# 4,000 characters. Slack will truncate messages containing more than 40,000 characters."
TRUNCATE_AT = 40_000
# chat.update: "msg_too_long: The `text` field cannot exceed 4,000 characters."
UPDATE_TEXT_MAX = 4_000
# chat.postEphemeral lists msg_too_long without a number; the fake uses the 40,000 Slack
# keeps for posted messages (an ephemeral is refused rather than cut).
EPHEMERAL_TEXT_MAX = 40_000


def _target(ws: Workspace, ref: str | None) -> Channel:
    # A user id posts into the app's DM with that person, as Slack does.
    if ref and ref[0] in "UW" and ws.user(ref) is not None:
        return ws.im_with(ref)
    return ws.require_channel(ref)


def _content(p: Params, *, required: bool, text_max: int | None = None) -> dict[str, Any]:
    text, blocks, attachments = p.text("text"), p.raw("blocks"), p.raw("attachments")
    if required and not text and not blocks and not attachments:
        raise ApiError("no_text")
    if isinstance(blocks, str) and blocks.strip():
        raise ApiError("invalid_blocks_format")
    if blocks not in (None, ""):
        check_message_blocks(blocks)
    if text and text_max is not None and len(text) > text_max:
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
    # A public channel the bot is not in takes chat:write.public (docs: scopes/chat.write.public);
    # private ones it is not in were already channel_not_found.
    if BOT_USER_ID not in chan.members and not b.manifest.has_scope("chat:write.public"):
        raise ApiError("not_in_channel")
    content = _content(p, required=True)
    text = content.get("text", "")
    msg: dict[str, Any] = {
        "user": BOT_USER_ID,
        "type": "message",
        "ts": ws.ids.ts(),
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "text": text[:TRUNCATE_AT],
        "team": TEAM_ID,
    }
    msg.update({k: v for k, v in content.items() if k != "text"})
    metadata = p.raw("metadata")
    if metadata not in (None, ""):
        msg["metadata"] = _metadata(metadata)
    ws.append_message(chan, msg, p.text("thread_ts"))
    return {"ok": True, "channel": chan.id, "ts": msg["ts"], "message": copy.deepcopy(msg)}


def _metadata(metadata: Any) -> dict[str, Any]:
    # docs messaging/message-metadata: an object with event_type and event_payload.
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise ApiError("invalid_metadata_format")
    return copy.deepcopy(metadata)


def _own_message(ws: Workspace, p: Params, refusal: str) -> tuple[Channel, dict[str, Any]]:
    chan = ws.require_channel(p.text("channel"))
    msg = ws.require_message(chan, p.text("ts"))
    if msg.get("bot_id") != BOT_ID:
        raise ApiError(refusal)
    return chan, msg


def update(b: Backend, p: Params) -> dict[str, Any]:
    chan, msg = _own_message(b.ws, p, "cant_update_message")
    if chan.is_archived:
        # chat.update's method page: "within a frozen, archived or deleted channel".
        raise ApiError("is_inactive")
    content = _content(p, required=True, text_max=UPDATE_TEXT_MAX)
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
    """Only where the bot is a member: chat:write.public does not cover ephemerals (seen as
    not_in_channel, e.g. slackapi/node-slack-sdk#977); the bot's own DM with the user works,
    a DM between other people does not exist for it."""
    ws = b.ws
    ref = p.text("channel")
    chan = ws.channels.get(ref or "") or (ws.channel_by_name(ref) if ref else None)
    if chan is None or not chan.bot_can_see():
        raise ApiError("channel_not_found")
    if chan.is_archived:
        raise ApiError("is_archived")
    if BOT_USER_ID not in chan.members:
        raise ApiError("not_in_channel")
    user = ws.require_user(p.text("user"))
    if user["id"] not in chan.members:
        raise ApiError("user_not_in_channel")
    content = _content(p, required=True, text_max=EPHEMERAL_TEXT_MAX)
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
