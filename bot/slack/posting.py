"""Posting a message exactly once, even when Slack's answer is lost on the way back.

A chat.postMessage whose answer never arrives may have been posted or not; sending it again
blindly can post it twice. Each post carries a key in its message metadata, and after a
lost answer the bot looks for its own message with that key before posting again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

EVENT_TYPE = "incident_bot_post"
# How far back to look for a post whose answer was lost: it was made seconds ago.
LOOKBACK_SECONDS = 300
LOOKBACK_MESSAGES = 100


def post(
    client: WebClient,
    *,
    channel: str,
    key: str,
    text: str,
    blocks: list[dict[str, Any]],
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """chat.postMessage once; returns Slack's answer ({"channel", "ts", …}).

    Raises SlackApiError as Slack refuses, and OSError when Slack stays out of reach.
    """
    arguments: dict[str, Any] = {
        "channel": channel,
        "text": text,
        "blocks": blocks,
        "metadata": {"event_type": EVENT_TYPE, "event_payload": {"key": key}},
        **extra,
    }
    if thread_ts:
        arguments["thread_ts"] = thread_ts
    started = time.time()
    try:
        return _data(client.chat_postMessage(**arguments))
    except OSError as lost:
        log.warning("post answer lost", extra={"key": key, "error": type(lost).__name__})
    except SlackApiError as error:
        if error.response.status_code < 500:
            raise
        # A server error may come after the post was made: looked for, like a lost answer.
        log.warning("post answered 5xx", extra={"key": key, "status": error.response.status_code})
        time.sleep(1.0)
    found = find(client, channel, key, since=started, thread_ts=thread_ts)
    if found is not None:
        return found
    return _data(client.chat_postMessage(**arguments))


def _data(response: SlackResponse) -> dict[str, Any]:
    return dict(response.data) if isinstance(response.data, dict) else {}


def find(
    client: WebClient, channel: str, key: str, *, since: float, thread_ts: str | None = None
) -> dict[str, Any] | None:
    """The bot's own message carrying `key`, posted since `since`; None if there is none."""
    if channel.startswith(("U", "W")):
        return None  # a DM by user id: its conversation id is in the answer that was lost
    oldest = f"{since - LOOKBACK_SECONDS:.6f}"
    if not channel.startswith("D"):
        info = client.conversations_info(channel=channel).get("channel") or {}
        if not info.get("is_member"):
            # A public channel the bot posts to without being in it (chat:write.public):
            # it joins to read it back. A private one it is not in it cannot post to.
            client.conversations_join(channel=channel)
    messages = _recent(client, channel, oldest, thread_ts)
    for message in messages:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("key") == key:
            return {"ok": True, "channel": channel, "ts": message.get("ts"), "message": message}
    return None


def _recent(
    client: WebClient, channel: str, oldest: str, thread_ts: str | None
) -> list[dict[str, Any]]:
    if thread_ts:
        answer = client.conversations_replies(
            channel=channel,
            ts=thread_ts,
            oldest=oldest,
            limit=LOOKBACK_MESSAGES,
            include_all_metadata=True,
        )
    else:
        answer = client.conversations_history(
            channel=channel, oldest=oldest, limit=LOOKBACK_MESSAGES, include_all_metadata=True
        )
    return list(answer.get("messages") or [])
