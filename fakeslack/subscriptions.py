"""Whether Slack would send the app an event: the manifest must subscribe to it (with the
scope it needs), and most events reach an app only from conversations its bot is in.

Sources: docs.slack.dev/reference/events/member_joined_channel ("requires membership in the
conversation"; public channels with channels:read, private with groups:read), the message.*
event pages (one subscription per kind of conversation), app_mention (channels the app is in),
channel_rename and channel_unarchive ("sent to all connections for a workspace", so no
membership); group_unarchive goes to members of the private channel.
"""

from __future__ import annotations

from fakeslack import scopes
from fakeslack.manifest import AppManifest
from fakeslack.state import BOT_USER_ID, Channel

# Events Slack sends for a conversation whether or not the bot is in it.
_NO_MEMBERSHIP = frozenset({"channel_rename", "channel_unarchive"})


def kind_of(chan: Channel) -> str:
    if chan.is_im:
        return scopes.IM
    return scopes.PRIVATE if chan.is_private else scopes.PUBLIC


def message_subscription(chan: Channel) -> str:
    """The `message.*` event that covers messages in `chan`."""
    return {
        scopes.PUBLIC: "message.channels",
        scopes.PRIVATE: "message.groups",
        scopes.IM: "message.im",
        scopes.MPIM: "message.mpim",
    }[kind_of(chan)]


def why_not(manifest: AppManifest, subscription: str, chan: Channel | None) -> str | None:
    """None when Slack would deliver; otherwise the reason it would not."""
    if not manifest.subscribes(subscription):
        return f"not_subscribed:{subscription}"
    rule = scopes.EVENT_SCOPES.get(subscription)
    kind = kind_of(chan) if chan is not None else None
    if rule is not None and not scopes.allowed(rule, kind, manifest.bot_scopes):
        return f"missing_scope:{','.join(scopes.alternatives(rule, kind))}"
    if chan is not None and subscription not in _NO_MEMBERSHIP and BOT_USER_ID not in chan.members:
        return "not_in_conversation"
    return None
