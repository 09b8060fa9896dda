"""reactions.* methods: add, remove and get, the bot reacting as itself."""

from __future__ import annotations

import copy
from typing import Any

from fakeslack.errors import ApiError
from fakeslack.methods.base import Backend, Handler, Params
from fakeslack.state import BOT_USER_ID, Channel, permalink


def _item(b: Backend, p: Params) -> tuple[Channel, str]:
    channel, ts = p.text("channel"), p.text("timestamp")
    if not channel or not ts:
        # Files and file comments are not modelled: a message is the only item.
        raise ApiError("no_item_specified")
    try:
        float(ts)
    except ValueError as exc:
        raise ApiError("bad_timestamp") from exc
    return b.ws.require_channel(channel), ts


def add(b: Backend, p: Params) -> dict[str, Any]:
    chan, ts = _item(b, p)
    if chan.is_archived:
        raise ApiError("is_archived")
    b.ws.add_reaction(chan, ts, BOT_USER_ID, (p.text("name") or "").strip(":"))
    return {"ok": True}


def remove(b: Backend, p: Params) -> dict[str, Any]:
    chan, ts = _item(b, p)
    b.ws.remove_reaction(chan, ts, BOT_USER_ID, (p.text("name") or "").strip(":"))
    return {"ok": True}


def get(b: Backend, p: Params) -> dict[str, Any]:
    """The message as it is now, its reactions included (absent when there are none)."""
    chan, ts = _item(b, p)
    msg = copy.deepcopy(b.ws.require_message(chan, ts))
    msg["permalink"] = permalink(chan.id, msg["ts"], msg.get("thread_ts"))
    return {"ok": True, "type": "message", "channel": chan.id, "message": msg}


METHODS: dict[str, Handler] = {
    "reactions.add": add,
    "reactions.remove": remove,
    "reactions.get": get,
}
