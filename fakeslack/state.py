"""The fake workspace: team, users, channels, messages, pins, bookmarks and ephemerals,
behind one re-entrant lock (shared with the modal store) because the server thread and
the test thread both touch it."""

from __future__ import annotations

import copy
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fakeslack import composer
from fakeslack.errors import ApiError
from fakeslack.ids import IdFactory

TEAM_ID = "T024BE7LD"
TEAM_DOMAIN = "acme"
TEAM_NAME = "Acme Inc"
APP_ID = "A06HC3K9ZQP"
BOT_USER_ID = "U06HBQK1R2S"
BOT_ID = "B06HC3KA4TT"
BOT_NAME = "incident-bot"
# One verification token for the app, as Slack has; the samples show it in every payload.
VERIFICATION_TOKEN = "gIkuvaNzQIHg97ATvDxqgjtO"
ALICE, BOB, CAROL = "U024BE7LH", "U061F7AUR", "U07CAROL01"
GENERAL_ID, INCIDENTS_ID = "C024BE91L", "C07INCIDNTS"

NAME_MAX = 80
TOPIC_MAX = 250
_NAME_OK = re.compile(r"^[a-z0-9_\-]+$")
# Emoji names (a skin tone rides along as "::skin-tone-N").
REACTION_NAME = re.compile(r"^[a-z0-9_+'\-]+(::skin-tone-[2-6])?$")
_SEED_CREATED = 1700000000
# What a deleted thread parent keeps: its place (ts, thread fields), not its content.
TOMBSTONE = {
    "subtype": "tombstone",
    "text": "This message was deleted.",
    "hidden": True,
    "user": "USLACKBOT",
}
_CONTENT_KEYS = (
    "client_msg_id",
    "blocks",
    "files",
    "reactions",
    "pinned_to",
    "edited",
    "bot_id",
    "app_id",
    "attachments",
)
_EMPTY_TEXT = {"value": "", "creator": "", "last_set": 0}


def permalink(channel_id: str, ts: str, thread_ts: str | None = None) -> str:
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def validate_channel_name(name: str | None) -> str:
    """Apply Slack's channel-name rules; returns the name or raises the matching error."""
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise ApiError("invalid_name_maxlength")
    if not _NAME_OK.match(name):
        raise ApiError("invalid_name_specials")
    if not name.strip("-_"):
        raise ApiError("invalid_name_punctuation")
    return name


def make_user(
    user_id: str,
    name: str,
    *,
    real_name: str | None = None,
    display_name: str | None = None,
    is_bot: bool = False,
    tz: str = "Europe/London",
    email: str | None = None,
    is_restricted: bool = False,
    is_ultra_restricted: bool = False,
    deleted: bool = False,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    real = real_name if real_name is not None else name
    display = display_name if display_name is not None else name
    first, _, last = real.partition(" ")
    profile: dict[str, Any] = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": real,
        "real_name_normalized": real,
        "display_name": display,
        "display_name_normalized": display,
        "fields": None,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": "g" + uuid.uuid5(uuid.NAMESPACE_URL, user_id).hex[:11],
        "first_name": first,
        "last_name": last,
        "image_48": f"https://secure.gravatar.com/avatar/{user_id.lower()}.jpg?s=48",
        "image_72": f"https://secure.gravatar.com/avatar/{user_id.lower()}.jpg?s=72",
        "team": team_id,
    }
    if is_bot:
        profile.update(
            {
                "bot_id": BOT_ID if user_id == BOT_USER_ID else "",
                "api_app_id": APP_ID,
                "always_active": True,
            }
        )
    else:
        profile["email"] = email or f"{name}@{TEAM_DOMAIN}.example"
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "deleted": deleted,
        "color": "9f69e7",
        "real_name": real,
        "tz": tz,
        "tz_label": "Greenwich Mean Time",
        "tz_offset": 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        # A single-channel guest is restricted and ultra-restricted, as Slack reports it.
        "is_restricted": is_restricted or is_ultra_restricted,
        "is_ultra_restricted": is_ultra_restricted,
        "is_bot": is_bot,
        "is_app_user": False,
        "updated": _SEED_CREATED,
        "is_email_confirmed": not is_bot,
        "who_can_share_contact_card": "EVERYONE",
    }


@dataclass
class Channel:
    """A conversation; `im_user` is set for the app's DM with a person."""

    id: str
    name: str
    creator: str
    created: int
    is_private: bool = False
    is_archived: bool = False
    is_general: bool = False
    im_user: str | None = None
    # A DM between two people: the bot is not in it and cannot see it.
    peer_dm: bool = False
    # Shared over Slack Connect with another organisation.
    ext_shared: bool = False
    members: set[str] = field(default_factory=set)
    topic: dict[str, Any] = field(default_factory=lambda: dict(_EMPTY_TEXT))
    purpose: dict[str, Any] = field(default_factory=lambda: dict(_EMPTY_TEXT))
    previous_names: list[str] = field(default_factory=list)
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    # ts -> {"created", "created_by"}; insertion order is pin order.
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_im(self) -> bool:
        return self.im_user is not None or self.peer_dm

    def bot_can_see(self) -> bool:
        # Private channels (and other people's DMs) do not exist for a bot outside them.
        return not self.is_private or BOT_USER_ID in self.members

    def message(self, ts: str) -> dict[str, Any] | None:
        for msg in self.messages:
            if msg["ts"] == ts:
                return msg
        return None

    def to_api(self, *, include_num_members: bool = False) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": TEAM_ID,
                "updated": self.created * 1000,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": self.ext_shared,
            "is_ext_shared": self.ext_shared,
            "is_org_shared": False,
            "pending_shared": [],
            "is_pending_ext_shared": False,
            "is_member": BOT_USER_ID in self.members,
            "creator": self.creator,
            "last_read": "0000000000.000000",
            "latest": None,
            "unread_count": 0,
            "unread_count_display": 0,
            "topic": dict(self.topic),
            "purpose": dict(self.purpose),
            "previous_names": list(self.previous_names),
            "priority": 0,
        }
        if include_num_members:
            data["num_members"] = len(self.members)
        return data

    def snapshot(self) -> dict[str, Any]:
        """The API object plus what tests inspect: members, bookmarks, pinned ts."""
        data = self.to_api(include_num_members=True)
        data["members"] = set(self.members)
        data["bookmarks"] = copy.deepcopy(self.bookmarks)
        data["pins"] = list(self.pins)
        return data


class Workspace:
    """Users, channels and their content, seeded with the samples' workspace."""

    def __init__(self, ids: IdFactory, lock: threading.RLock) -> None:
        self.ids = ids
        self.lock = lock
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.seed()

    # -- seeding and helpers -------------------------------------------------------------

    def seed(self) -> None:
        with self.lock:
            self.users = {}
            self.channels = {}
            self.ephemerals = []
            self.add_user(
                BOT_USER_ID, BOT_NAME, real_name="Incident Bot", display_name=BOT_NAME, is_bot=True
            )
            self.add_user(ALICE, "alice", real_name="Alice Archer", display_name="alice")
            self.add_user(BOB, "bob", real_name="Bob Baker", display_name="bob")
            self.add_user(CAROL, "carol", real_name="Carol Chen", display_name="carol")
            self.add_channel(
                "general",
                channel_id=GENERAL_ID,
                members=(ALICE, BOB, CAROL, BOT_USER_ID),
                is_general=True,
            )
            self.add_channel("incidents", channel_id=INCIDENTS_ID, members=(ALICE, BOB))

    def add_user(self, user_id: str, name: str, **kwargs: Any) -> dict[str, Any]:
        user = make_user(user_id, name, **kwargs)
        with self.lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        name: str,
        *,
        channel_id: str | None = None,
        is_private: bool = False,
        members: Iterable[str] = (),
        archived: bool = False,
        creator: str | None = None,
        is_general: bool = False,
        ext_shared: bool = False,
    ) -> Channel:
        members = set(members)
        with self.lock:
            ext_shared = ext_shared or any(self.team_of(m) != TEAM_ID for m in members)
            if channel_id is None:
                channel_id = self._fresh_id("C")
            chan = Channel(
                id=channel_id,
                name=name,
                creator=creator or ALICE,
                created=_SEED_CREATED if is_general else int(time.time()),
                is_private=is_private,
                is_archived=archived,
                is_general=is_general,
                members=members,
                ext_shared=ext_shared,
            )
            self.channels[channel_id] = chan
            return chan

    def _fresh_id(self, prefix: str) -> str:
        while True:
            candidate = self.ids.prefixed(prefix)
            if candidate not in self.channels:
                return candidate

    def user(self, user_id: str) -> dict[str, Any] | None:
        return self.users.get(user_id)

    def require_user(self, user_id: str | None) -> dict[str, Any]:
        user = self.users.get(user_id or "")
        if user is None:
            raise ApiError("user_not_found")
        return user

    def channel_by_name(self, name: str) -> Channel | None:
        name = name.lstrip("#")
        for chan in self.channels.values():
            if not chan.is_im and chan.name == name:
                return chan
        return None

    def require_channel(self, ref: str | None) -> Channel:
        """A channel the bot can see, by id or name; Slack hides the rest as not found."""
        chan = self.channels.get(ref or "") or (self.channel_by_name(ref) if ref else None)
        if chan is None or not chan.bot_can_see():
            raise ApiError("channel_not_found")
        return chan

    def require_member_channel(self, ref: str | None) -> Channel:
        chan = self.require_channel(ref)
        if chan.is_archived:
            raise ApiError("is_archived")
        if BOT_USER_ID not in chan.members:
            raise ApiError("not_in_channel")
        return chan

    def check_name_free(self, name: str, *, except_id: str | None = None) -> None:
        for chan in self.channels.values():
            # Archived channels keep their names, so they still collide.
            if not chan.is_im and chan.name == name and chan.id != except_id:
                raise ApiError("name_taken")

    def add_dm(self, first: str, second: str) -> Channel:
        """A DM between two people, which the bot can neither see nor post to."""
        with self.lock:
            chan = Channel(
                id=self._fresh_id("D"),
                name=f"{first}-{second}",
                creator=first,
                created=int(time.time()),
                is_private=True,
                peer_dm=True,
                members={first, second},
            )
            self.channels[chan.id] = chan
            return chan

    def im_with(self, user_id: str) -> Channel:
        for chan in self.channels.values():
            if chan.im_user == user_id:
                return chan
        chan = Channel(
            id=self._fresh_id("D"),
            name=user_id,
            creator=BOT_USER_ID,
            created=int(time.time()),
            im_user=user_id,
            members={user_id, BOT_USER_ID},
        )
        self.channels[chan.id] = chan
        return chan

    # -- messages --------------------------------------------------------------------------

    def human_message(
        self,
        channel_id: str,
        user: str,
        text: str,
        *,
        files: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        raw: bool = False,
    ) -> dict[str, Any]:
        """Store what a person typed, as Slack's client sends it (`raw`: text as given)."""
        with self.lock:
            chan = self.channels.get(channel_id) or self.channel_by_name(channel_id)
            if chan is None:
                raise KeyError(f"no channel {channel_id!r}")
            composed = self.compose(text, user, raw=raw)
            msg: dict[str, Any] = {
                "user": user,
                "type": "message",
                "ts": self.ids.ts(),
                "client_msg_id": str(uuid.uuid4()),
                "text": composed.text,
                "team": self.team_of(user),
                "blocks": composed.blocks,
            }
            if files:
                msg["files"] = [self._file(f, user) for f in files]
                msg["upload"] = False
            self.append_message(chan, msg, thread_ts)
            return msg

    def compose(self, text: str, user: str, *, raw: bool = False) -> composer.Composed:
        block_id = self.ids.token(5)
        if raw:
            return composer.raw_message(text, block_id)
        return composer.compose_message(self, text, user, block_id)

    def team_of(self, user_id: str | None) -> str:
        """The team a person belongs to (another one for Slack Connect guests)."""
        user = self.users.get(user_id or "")
        return str(user.get("team_id") or TEAM_ID) if user else TEAM_ID

    def _file(self, given: dict[str, Any], user: str) -> dict[str, Any]:
        file_id = given.get("id") or self.ids.prefixed("F")
        name = given.get("name") or "file.txt"
        base = {
            "id": file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": name,
            "title": given.get("title") or name,
            "mimetype": "application/octet-stream",
            "filetype": "binary",
            "pretty_type": "Binary",
            "user": user,
            "user_team": TEAM_ID,
            "mode": "hosted",
            "is_external": False,
            "is_public": True,
            "size": 0,
            "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{file_id}/{name}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{name}",
        }
        base.update(given)
        return base

    def append_message(
        self, chan: Channel, msg: dict[str, Any], thread_ts: str | None = None
    ) -> None:
        if thread_ts:
            msg["thread_ts"] = thread_ts
            parent = chan.message(thread_ts)
            if parent is not None:
                msg["parent_user_id"] = parent.get("user")
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if msg.get("user") not in users:
                    users.append(msg.get("user"))
                parent["reply_users_count"] = len(users)
                parent["latest_reply"] = msg["ts"]
        chan.messages.append(msg)

    def require_message(self, chan: Channel, ts: str | None) -> dict[str, Any]:
        msg = chan.message(ts or "")
        if msg is None:
            raise ApiError("message_not_found")
        return msg

    # -- pins ------------------------------------------------------------------------------

    def add_pin(self, chan: Channel, ts: str, user: str) -> dict[str, Any]:
        msg = self.require_message(chan, ts)
        if ts in chan.pins:
            raise ApiError("already_pinned")
        chan.pins[ts] = {"created": int(time.time()), "created_by": user}
        msg["pinned_to"] = [chan.id]
        return self.pin_item(chan, msg)

    def remove_pin(self, chan: Channel, ts: str) -> dict[str, Any]:
        """Unpins; returns the item as it was while pinned minus `pinned_to`."""
        msg = self.require_message(chan, ts)
        if ts not in chan.pins:
            raise ApiError("no_pin")
        item = self.pin_item(chan, msg)
        del chan.pins[ts]
        msg.pop("pinned_to", None)
        item["message"].pop("pinned_to", None)
        return item

    def pin_item(self, chan: Channel, msg: dict[str, Any]) -> dict[str, Any]:
        pin = chan.pins[msg["ts"]]
        message = copy.deepcopy(msg)
        message["permalink"] = permalink(chan.id, msg["ts"], msg.get("thread_ts"))
        return {
            "type": "message",
            "created": pin["created"],
            "created_by": pin["created_by"],
            "channel": chan.id,
            "message": message,
        }

    # -- reactions, edits, deletions, joins -------------------------------------------------

    def add_reaction(self, chan: Channel, ts: str | None, user: str, name: str) -> dict[str, Any]:
        """One person's reaction; Slack keeps one entry per emoji with its users and count."""
        msg = self.require_message(chan, ts)
        if not name or not REACTION_NAME.match(name):
            raise ApiError("invalid_name")
        reactions = msg.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        if user in entry["users"]:
            raise ApiError("already_reacted")
        entry["users"].append(user)
        entry["count"] = len(entry["users"])
        return msg

    def remove_reaction(
        self, chan: Channel, ts: str | None, user: str, name: str
    ) -> dict[str, Any]:
        msg = self.require_message(chan, ts)
        reactions = msg.get("reactions") or []
        entry = next((r for r in reactions if r["name"] == name), None)
        if entry is None or user not in entry["users"]:
            raise ApiError("no_reaction")
        entry["users"].remove(user)
        entry["count"] = len(entry["users"])
        if not entry["users"]:
            reactions.remove(entry)
        if not reactions:
            msg.pop("reactions", None)
        return msg

    def edit_message(
        self, chan: Channel, ts: str, text: str, user: str, *, raw: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        """Change a message's text as its author does; returns (before, after, edit ts)."""
        msg = self.require_message(chan, ts)
        if msg.get("subtype") == "tombstone":
            raise ApiError("message_not_found")
        if (msg.get("user") or msg.get("bot_id")) != user:
            raise ApiError("cant_update_message")
        before = copy.deepcopy(msg)
        edit_ts = self.ids.ts()
        composed = self.compose(text, user, raw=raw)
        msg["text"] = composed.text
        if msg.get("blocks") and msg["blocks"][0].get("type") == "rich_text":
            block = composed.blocks[0]
            block["block_id"] = msg["blocks"][0].get("block_id", block["block_id"])
            msg["blocks"] = [block]
        msg["edited"] = {"user": user, "ts": edit_ts}
        return before, copy.deepcopy(msg), edit_ts

    def delete_message(
        self, chan: Channel, ts: str
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Delete a message; returns (what it was, its tombstone or None).

        A thread parent with replies stays as a tombstone, as in Slack, so its replies keep a
        home; anything else disappears (and so does its pin).
        """
        msg = self.require_message(chan, ts)
        if msg.get("subtype") == "tombstone":
            raise ApiError("message_not_found")
        before = copy.deepcopy(msg)
        chan.pins.pop(ts, None)
        if msg.get("reply_count") and msg.get("thread_ts") == ts:
            for key in _CONTENT_KEYS:
                msg.pop(key, None)
            msg.update(TOMBSTONE)
            return before, copy.deepcopy(msg)
        chan.messages.remove(msg)
        return before, None

    def join(self, chan: Channel, user: str, inviter: str | None = None) -> dict[str, Any]:
        """A person joins: they become a member and Slack posts a channel_join message."""
        self.require_user(user)
        if user in chan.members:
            raise ApiError("already_in_channel")
        chan.members.add(user)
        if self.team_of(user) != TEAM_ID:
            chan.ext_shared = True
        msg: dict[str, Any] = {
            "type": "message",
            "subtype": "channel_join",
            "ts": self.ids.ts(),
            "user": user,
            "text": f"<@{user}> has joined the channel",
        }
        if inviter:
            msg["inviter"] = inviter
        msg["team"] = TEAM_ID
        self.append_message(chan, msg)
        return msg

    @staticmethod
    def channel_type(chan: Channel) -> str:
        """The `channel_type` of message events: channel, group (private) or im."""
        if chan.is_im:
            return "im"
        return "group" if chan.is_private else "channel"
