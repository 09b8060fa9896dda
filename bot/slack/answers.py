"""Reaching the person who asked: through the response_url Slack gave with their click,
command or shortcut (it works in any conversation, the bot's or not), else an ephemeral
message where they are, else a DM. Answering never fails the work it reports on."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack import blocks

log = logging.getLogger(__name__)

RESPONSE_URL_TIMEOUT = 10
# Slack's answers that mean "the bot cannot show an ephemeral message there".
NOT_THERE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "user_not_in_channel",
        "is_archived",
        "restricted_action",
        "cannot_dm_bot",
        "missing_scope",
    }
)


@dataclass(frozen=True)
class Where:
    """Where a person can be answered: any of these may be missing."""

    user: str
    response_url: str | None = None
    channel: str | None = None
    thread_ts: str | None = None

    @classmethod
    def of(cls, body: dict[str, Any]) -> Where:
        """From an interactive payload (a click, a shortcut) or a slash command."""
        user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
        channel = (
            body.get("channel_id")
            or (body.get("channel") or {}).get("id")
            or (body.get("container") or {}).get("channel_id")
        )
        url = body.get("response_url")
        if not url:
            urls = body.get("response_urls") or []
            url = urls[0].get("response_url") if urls and isinstance(urls[0], dict) else None
        return cls(str(user), url if isinstance(url, str) else None, channel)


def tell(client: WebClient, where: Where, text: str, body: blocks.Blocks | None = None) -> bool:
    """Show `text` to the person only; True when some way worked (each failure is logged)."""
    shown = body or blocks.notice(text)
    if where.response_url and _respond(where.response_url, text, shown, where.thread_ts):
        return True
    if where.channel and not where.channel.startswith("D"):
        try:
            client.chat_postEphemeral(
                channel=where.channel,
                user=where.user,
                text=text,
                blocks=shown,
                thread_ts=where.thread_ts,
            )
            return True
        except SlackApiError as error:
            code = error.response.get("error")
            if code not in NOT_THERE:
                log.warning("ephemeral answer failed", extra={"error": code})
        except OSError as error:
            # The answer was lost, not the message: it may well have been shown. A DM as well
            # would say it twice.
            log.warning("ephemeral answer lost", extra={"error": type(error).__name__})
            return True
    return dm(client, where.user, text, shown)


def dm(client: WebClient, user: str, text: str, body: blocks.Blocks | None = None) -> bool:
    """A message in the app's DM with `user`; False (logged) when Slack refuses."""
    try:
        client.chat_postMessage(channel=user, text=text, blocks=body or blocks.notice(text))
        return True
    except SlackApiError as error:
        log.warning("DM failed", extra={"error": error.response.get("error")})
    except OSError as error:
        log.warning("DM failed", extra={"error": type(error).__name__})
    return False


def _respond(url: str, text: str, body: blocks.Blocks, thread_ts: str | None) -> bool:
    message: dict[str, Any] = {
        "text": text,
        "blocks": body,
        "response_type": "ephemeral",
        "replace_original": False,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    try:
        answer = WebhookClient(url, timeout=RESPONSE_URL_TIMEOUT).send_dict(message)
    except OSError as error:
        log.warning("response_url failed", extra={"error": type(error).__name__})
        return False
    if answer.status_code != 200:
        # Slack says why in the body: expired_url, used_url, no_service…
        log.warning(
            "response_url refused",
            extra={"status": answer.status_code, "error": (answer.body or "")[:64]},
        )
        return False
    return True


def tell_failure(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The lazy half of a listener whose ack half stored why it failed in
    context["failed"] (a form Slack would not open, a refusal): the person is told."""
    if context.get("failed"):
        tell(client, Where.of(body), context["failed"])
