"""conversations.* methods: create, invite, topic, info, join, archive, rename, members,
list, history and replies."""

from __future__ import annotations

import base64
import copy
import time
from typing import Any

from fakeslack.errors import ApiError
from fakeslack.methods.base import Backend, Handler, Params
from fakeslack.state import (
    BOT_USER_ID,
    TEAM_ID,
    TOPIC_MAX,
    Channel,
    Workspace,
    validate_channel_name,
)


def create(b: Backend, p: Params) -> dict[str, Any]:
    if not b.create_channels:
        # "A team preference prevents the authenticated user from creating channels."
        raise ApiError("restricted_action")
    name = validate_channel_name(p.text("name"))
    b.ws.check_name_free(name)
    chan = b.ws.add_channel(
        name, is_private=p.flag("is_private"), members=(BOT_USER_ID,), creator=BOT_USER_ID
    )
    return {"ok": True, "channel": chan.to_api()}


def invite(b: Backend, p: Params) -> dict[str, Any]:
    ws = b.ws
    chan = ws.require_channel(p.text("channel"))
    if chan.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if chan.is_archived:
        raise ApiError("is_archived")
    if BOT_USER_ID not in chan.members:
        raise ApiError("not_in_channel")
    users = p.items("users")
    if not users:
        raise ApiError("no_user")
    errors: list[dict[str, Any]] = []
    to_add: list[str] = []
    already: list[str] = []
    for uid in users:
        refusal = _invite_refusal(ws, chan, uid)
        if refusal is not None:
            errors.append({"user": uid, "ok": False, "error": refusal})
        elif uid in chan.members:
            already.append(uid)
        elif uid not in to_add:
            to_add.append(uid)
    if errors and not p.flag("force"):
        raise ApiError(errors[0]["error"], errors=errors)
    if not to_add and already:
        raise ApiError(
            "already_in_channel",
            errors=errors
            + [{"user": uid, "ok": False, "error": "already_in_channel"} for uid in already],
        )
    chan.members.update(to_add)
    body: dict[str, Any] = {"ok": True, "channel": chan.to_api()}
    if errors:
        body["errors"] = errors
    return body


def _invite_refusal(ws: Workspace, chan: Channel, uid: str) -> str | None:
    """Why Slack would not invite this person (docs: conversations.invite errors)."""
    if uid == BOT_USER_ID:
        return "cant_invite_self"
    user = ws.user(uid)
    if user is None:
        return "user_not_found"
    if uid in chan.members:
        return None
    if user.get("deleted"):
        # No code is documented for deactivated accounts; cant_invite is the catch-all.
        return "cant_invite"
    if user.get("is_ultra_restricted"):
        # A single-channel guest already sits in the one conversation they may have.
        return "ura_max_channels"
    if user.get("is_restricted"):
        # Multi-channel guests join only the channels an admin picks for them.
        return "user_is_restricted"
    if user.get("team_id") != TEAM_ID and not chan.ext_shared:
        return "no_external_invite_permission"
    return None


def set_topic(b: Backend, p: Params) -> dict[str, Any]:
    ws = b.ws
    chan = ws.require_member_channel(p.text("channel"))
    topic = p.text("topic") or ""
    if len(topic) > TOPIC_MAX:
        raise ApiError("too_long")
    now = int(time.time())
    chan.topic = {"value": topic, "creator": BOT_USER_ID, "last_set": now}
    # Slack records the change as a channel_topic message (what message.channels sees).
    ws.append_message(
        chan,
        {
            "type": "message",
            "subtype": "channel_topic",
            "ts": ws.ids.ts(),
            "user": BOT_USER_ID,
            "text": f"set the channel topic: {topic}",
            "topic": topic,
            "team": TEAM_ID,
        },
    )
    return {"ok": True, "channel": chan.to_api()}


def set_purpose(b: Backend, p: Params) -> dict[str, Any]:
    ws = b.ws
    chan = ws.require_member_channel(p.text("channel"))
    purpose = p.text("purpose") or ""
    if len(purpose) > TOPIC_MAX:
        raise ApiError("too_long")  # "Description was longer than 250 characters."
    chan.purpose = {"value": purpose, "creator": BOT_USER_ID, "last_set": int(time.time())}
    ws.append_message(
        chan,
        {
            "type": "message",
            "subtype": "channel_purpose",
            "ts": ws.ids.ts(),
            "user": BOT_USER_ID,
            "text": f"set the channel description: {purpose}",
            "purpose": purpose,
            "team": TEAM_ID,
        },
    )
    return {"ok": True, "channel": chan.to_api()}


def info(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    return {"ok": True, "channel": chan.to_api(include_num_members=p.flag("include_num_members"))}


def join(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    if chan.is_private or chan.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if chan.is_archived:
        raise ApiError("is_archived")
    body: dict[str, Any] = {"ok": True}
    if BOT_USER_ID in chan.members:
        body.update(
            {
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        )
    chan.members.add(BOT_USER_ID)
    body["channel"] = chan.to_api()
    return body


def archive(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    if chan.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if chan.is_archived:
        raise ApiError("already_archived")
    if chan.is_general:
        raise ApiError("cant_archive_general")
    if BOT_USER_ID not in chan.members:
        raise ApiError("not_in_channel")
    chan.is_archived = True
    # Apps leave an archived channel (reported: slack-go/slack#1066), which is why a bot
    # token cannot unarchive one; people stay listed.
    chan.members.discard(BOT_USER_ID)
    return {"ok": True}


def unarchive(b: Backend, p: Params) -> dict[str, Any]:
    """docs conversations.unarchive: "Bot tokens (xoxb-...) cannot currently be used to
    unarchive conversations" (a bug alert on the method's page); bots that try are answered
    `not_in_channel`, as reported by those who met it. Every token here is the bot's."""
    chan = b.ws.require_channel(p.text("channel"))
    if chan.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if not chan.is_archived:
        raise ApiError("not_archived")
    raise ApiError("not_in_channel")


def rename(b: Backend, p: Params) -> dict[str, Any]:
    chan: Channel = b.ws.require_member_channel(p.text("channel"))
    name = validate_channel_name(p.text("name"))
    b.ws.check_name_free(name, except_id=chan.id)
    if name != chan.name:
        chan.previous_names.insert(0, chan.name)
        chan.name = name
    return {"ok": True, "channel": chan.to_api()}


def members(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    everyone = sorted(chan.members)
    limit = max(1, min(p.number("limit", 100), 1000))
    cursor = p.text("cursor")
    try:
        start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
    except (ValueError, IndexError) as exc:
        raise ApiError("invalid_cursor") from exc
    page = everyone[start : start + limit]
    more = start + limit < len(everyone)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}


def list_(b: Backend, p: Params) -> dict[str, Any]:
    """Channels the bot can see, in creation order (public ones and private ones it is in)."""
    wanted = set(p.items("types") or ["public_channel"])
    skip_archived = p.flag("exclude_archived")
    with b.ws.lock:
        found = [
            chan.to_api()
            for chan in b.ws.channels.values()
            if not chan.is_im
            and ("private_channel" if chan.is_private else "public_channel") in wanted
            and chan.bot_can_see()
            and not (skip_archived and chan.is_archived)
        ]
    start = _offset(p.text("cursor"))
    limit = max(1, min(p.number("limit", 100), 1000))
    page = found[start : start + limit]
    more = start + limit < len(found)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return {"ok": True, "channels": page, "response_metadata": {"next_cursor": next_cursor}}


def _offset(cursor: str | None) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
    except (ValueError, IndexError) as exc:
        raise ApiError("invalid_cursor") from exc


def _page(
    found: list[dict[str, Any]], p: Params, *, default_limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    start = _offset(p.text("cursor"))
    limit = max(1, min(p.number("limit", default_limit), 999))
    page = found[start : start + limit]
    more = start + limit < len(found)
    next_cursor = base64.b64encode(f"next_ts:{start + limit}".encode()).decode() if more else ""
    extra: dict[str, Any] = {"has_more": more}
    if more:
        extra["response_metadata"] = {"next_cursor": next_cursor}
    messages = [copy.deepcopy(m) for m in page]
    # Message metadata comes back only when asked for (include_all_metadata).
    if not p.flag("include_all_metadata"):
        for msg in messages:
            msg.pop("metadata", None)
    return messages, extra


def _bound(p: Params, name: str, default: float) -> float:
    value = p.text(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ApiError(f"invalid_ts_{name}") from exc


def _in_range(p: Params) -> Any:
    latest = _bound(p, "latest", float("inf"))
    oldest = _bound(p, "oldest", 0.0)
    inclusive = p.flag("inclusive")

    def keep(msg: dict[str, Any]) -> bool:
        ts = float(msg["ts"])
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    return keep


def _readable(b: Backend, p: Params) -> Channel:
    chan = b.ws.require_channel(p.text("channel"))
    # A bot token reads only conversations it is in.
    if BOT_USER_ID not in chan.members:
        raise ApiError("not_in_channel")
    return chan


def history(b: Backend, p: Params) -> dict[str, Any]:
    """Top-level messages (and thread broadcasts), newest first, within latest/oldest."""
    chan = _readable(b, p)
    keep = _in_range(p)
    found = [
        m
        for m in reversed(chan.messages)
        if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
        and keep(m)
    ]
    messages, extra = _page(found, p, default_limit=100)
    body: dict[str, Any] = {"ok": True, "messages": messages}
    if p.text("latest"):
        body["latest"] = p.text("latest")
    body.update(extra)
    body["pin_count"] = len(chan.pins)
    return body


def replies(b: Backend, p: Params) -> dict[str, Any]:
    """A thread, oldest first: the parent (always first), then the replies in range.

    `ts` may name the parent or any reply; an unthreaded message is a thread of one.
    """
    chan = _readable(b, p)
    msg = chan.message(p.text("ts") or "")
    if msg is None:
        raise ApiError("thread_not_found")
    parent_ts = msg.get("thread_ts") or msg["ts"]
    parent = chan.message(parent_ts) or msg
    keep = _in_range(p)
    thread = [m for m in chan.messages if m.get("thread_ts") == parent_ts and m["ts"] != parent_ts]
    found = [parent] + [m for m in thread if keep(m)]
    messages, extra = _page(found, p, default_limit=1000)
    return {"ok": True, "messages": messages, **extra}


METHODS: dict[str, Handler] = {
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.setTopic": set_topic,
    "conversations.setPurpose": set_purpose,
    "conversations.info": info,
    "conversations.join": join,
    "conversations.archive": archive,
    "conversations.unarchive": unarchive,
    "conversations.rename": rename,
    "conversations.members": members,
    "conversations.list": list_,
    "conversations.history": history,
    "conversations.replies": replies,
}
