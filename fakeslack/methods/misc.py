"""The remaining methods: auth.test, apps.connections.open, users.info, views.*, pins.*,
bookmarks.add.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from fakeslack.errors import ApiError
from fakeslack.methods.base import Backend, Handler, Params
from fakeslack.state import BOT_ID, BOT_NAME, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, TEAM_NAME


def auth_test(b: Backend, p: Params) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": BOT_NAME,
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def connections_open(b: Backend, p: Params) -> dict[str, Any]:
    return {"ok": True, "url": b.issue_socket_url()}


def users_info(b: Backend, p: Params) -> dict[str, Any]:
    return {"ok": True, "user": copy.deepcopy(b.ws.require_user(p.text("user")))}


# -- views ---------------------------------------------------------------------------------


def views_open(b: Backend, p: Params) -> dict[str, Any]:
    return {"ok": True, "view": b.modals.open(p.text("trigger_id"), p.raw("view"))}


def views_push(b: Backend, p: Params) -> dict[str, Any]:
    return {"ok": True, "view": b.modals.push(p.text("trigger_id"), p.raw("view"))}


def views_update(b: Backend, p: Params) -> dict[str, Any]:
    view = b.modals.update(p.text("view_id"), p.text("external_id"), p.text("hash"), p.raw("view"))
    return {"ok": True, "view": view}


# -- pins ----------------------------------------------------------------------------------


def pins_list(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    # Newest pin first, as Slack lists them.
    pinned = [chan.message(ts) for ts in reversed(chan.pins)]
    items = [b.ws.pin_item(chan, msg) for msg in pinned if msg is not None]
    return {"ok": True, "items": items}


def pins_add(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    b.ws.add_pin(chan, p.text("timestamp") or "", BOT_USER_ID)
    return {"ok": True}


def pins_remove(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel"))
    b.ws.remove_pin(chan, p.text("timestamp") or "")
    return {"ok": True}


# -- bookmarks -----------------------------------------------------------------------------


def bookmarks_add(b: Backend, p: Params) -> dict[str, Any]:
    chan = b.ws.require_channel(p.text("channel_id"))
    if chan.is_archived:
        raise ApiError("is_archived")
    if BOT_USER_ID not in chan.members:
        raise ApiError("not_in_channel")
    title, kind, link = p.text("title"), p.text("type"), p.text("link")
    if not title:
        raise ApiError("invalid_title")
    if kind != "link":
        raise ApiError("invalid_type")
    if not link:
        raise ApiError("invalid_link")
    now = int(time.time())
    bookmark = {
        "id": b.ws.ids.prefixed("Bk"),
        "channel_id": chan.id,
        "title": title,
        "link": link,
        "emoji": p.text("emoji"),
        "icon_url": None,
        "type": "link",
        "entity_id": p.text("entity_id"),
        "date_created": now,
        "date_updated": 0,
        "rank": chr(ord("U") + len(chan.bookmarks) % 5),
        "last_updated_by_user_id": BOT_USER_ID,
        "last_updated_by_team_id": TEAM_ID,
        "shortcut_id": None,
        "app_id": None,
    }
    chan.bookmarks.append(bookmark)
    return {"ok": True, "bookmark": copy.deepcopy(bookmark)}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "apps.connections.open": connections_open,
    "users.info": users_info,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "pins.list": pins_list,
    "pins.add": pins_add,
    "pins.remove": pins_remove,
    "bookmarks.add": bookmarks_add,
}
