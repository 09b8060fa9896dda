"""Bot-token scopes each Web API method needs, per kind of conversation, and the check that
answers `missing_scope` as Slack does.

Source: the "Scopes / Bot token" facts of each method page on docs.slack.dev/reference/methods
(read from the machine-readable copy in smstoslack/slack_kit priv/docs/methods/*.json). Any one
scope of a row is enough; the first is what Slack names as `needed`. Events: the scope pages'
"Compatible events" (e.g. docs.slack.dev/reference/scopes/channels.history).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fakeslack.errors import ApiError

# Conversation kinds, as the scope families name them.
PUBLIC, PRIVATE, IM, MPIM = "public", "private", "im", "mpim"
KINDS = (PUBLIC, PRIVATE, IM, MPIM)

Rule = Mapping[str, tuple[str, ...]]


def _same(*scopes: str) -> Rule:
    return {kind: scopes for kind in KINDS}


def _per_kind(
    public: tuple[str, ...], private: tuple[str, ...], im: tuple[str, ...], mpim: tuple[str, ...]
) -> Rule:
    return {PUBLIC: public, PRIVATE: private, IM: im, MPIM: mpim}


_READ = _per_kind(("channels:read",), ("groups:read",), ("im:read",), ("mpim:read",))
_HISTORY = _per_kind(("channels:history",), ("groups:history",), ("im:history",), ("mpim:history",))
# create, archive, rename: channels:write is a user scope Slack still lists for old bots.
_MANAGE = _per_kind(
    ("channels:manage", "channels:write"), ("groups:write",), ("im:write",), ("mpim:write",)
)
_TOPIC = _per_kind(
    ("channels:manage", "channels:write.topic"),
    ("groups:write", "groups:write.topic"),
    ("im:write", "im:write.topic"),
    ("mpim:write", "mpim:write.topic"),
)
_INVITE = _per_kind(
    ("channels:manage", "channels:write.invites"),
    ("groups:write", "groups:write.invites"),
    ("im:write",),
    ("mpim:write",),
)

# method -> conversation kind -> any one of these scopes; absent: no scope needed.
METHOD_SCOPES: dict[str, Rule] = {
    "chat.postMessage": _same("chat:write"),
    "chat.update": _same("chat:write"),
    "chat.delete": _same("chat:write"),
    "chat.postEphemeral": _same("chat:write"),
    "conversations.create": _MANAGE,
    "conversations.archive": _MANAGE,
    "conversations.unarchive": _MANAGE,
    "conversations.rename": _MANAGE,
    "conversations.invite": _INVITE,
    "conversations.setTopic": _TOPIC,
    "conversations.setPurpose": _TOPIC,
    "conversations.info": _READ,
    "conversations.members": _READ,
    "conversations.list": _READ,
    "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY,
    "conversations.join": _same("channels:join"),
    "users.info": _same("users:read"),
    "pins.list": _same("pins:read"),
    "pins.add": _same("pins:write"),
    "pins.remove": _same("pins:write"),
    "reactions.get": _same("reactions:read"),
    "reactions.add": _same("reactions:write"),
    "reactions.remove": _same("reactions:write"),
    "bookmarks.add": _same("bookmarks:write"),
    # chat.getPermalink, auth.test, views.*: no scope; apps.connections.open takes the
    # app-level token (connections:write), checked with the token itself.
}

# Bot events and the scope that lets an app subscribe to them (one of, per kind).
EVENT_SCOPES: dict[str, Rule] = {
    "message.channels": _same("channels:history"),
    "message.groups": _same("groups:history"),
    "message.im": _same("im:history"),
    "message.mpim": _same("mpim:history"),
    "app_mention": _same("app_mentions:read"),
    "pin_added": _same("pins:read"),
    "pin_removed": _same("pins:read"),
    "reaction_added": _same("reactions:read"),
    "reaction_removed": _same("reactions:read"),
    "member_joined_channel": _READ,
    "member_left_channel": _READ,
    "channel_rename": _same("channels:read"),
    "group_rename": _same("groups:read"),
    "channel_unarchive": _same("channels:read"),
    "group_unarchive": _same("groups:read"),
}

ALL_BOT_SCOPES = frozenset(
    scope
    for table in (METHOD_SCOPES, EVENT_SCOPES)
    for rule in table.values()
    for scopes in rule.values()
    for scope in scopes
) | frozenset({"commands", "chat:write.public", "users:read.email"})


def alternatives(rule: Rule, kind: str | None) -> tuple[str, ...]:
    """The scopes that satisfy `rule` for a conversation of `kind` (None: any kind)."""
    if kind is not None:
        return rule[kind]
    seen: list[str] = []
    for k in KINDS:
        seen.extend(s for s in rule[k] if s not in seen)
    return tuple(seen)


def allowed(rule: Rule, kind: str | None, granted: Iterable[str]) -> bool:
    granted = set(granted)
    return any(scope in granted for scope in alternatives(rule, kind))


def check(method: str, kind: str | None, granted: frozenset[str]) -> None:
    """Raise Slack's `missing_scope` when none of the method's scopes was granted."""
    rule = METHOD_SCOPES.get(method)
    if rule is None:
        return
    options = alternatives(rule, kind)
    if any(scope in granted for scope in options):
        return
    # Slack names the scopes that would do and lists what the token has.
    raise ApiError("missing_scope", needed=",".join(options), provided=",".join(sorted(granted)))
