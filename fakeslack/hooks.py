"""`response_url`s for slash commands and actions, served locally so `respond()` works:
each POST is applied as Slack would (ephemeral, in_channel, replace/delete original) and
recorded in the call log as method "response_url"."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fakeslack.blockkit import message_problems
from fakeslack.calls import Call, CallLog
from fakeslack.state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, Workspace

MAX_USES = 5  # Slack: five responses per response_url


@dataclass
class Hook:
    channel_id: str
    user: str
    message_ts: str | None
    uses: int = 0
    # The ephemeral message the interaction came from: response_url may replace or delete
    # it (Slack: "replace_original" and "delete_original" work on ephemeral messages too).
    ephemeral_ts: str | None = None


class ResponseUrls:
    def __init__(self, ws: Workspace, calls: CallLog) -> None:
        self.ws = ws
        self.calls = calls
        self.base = ""
        self._hooks: dict[str, Hook] = {}

    def issue(
        self,
        kind: str,
        channel_id: str,
        user: str,
        message_ts: str | None = None,
        *,
        ephemeral_ts: str | None = None,
    ) -> str:
        path = f"/{kind}/{TEAM_ID}/{self.ws.ids.digits(13)}/{self.ws.ids.token(24)}"
        with self.ws.lock:
            self._hooks[path] = Hook(channel_id, user, message_ts, ephemeral_ts=ephemeral_ts)
        return self.base + path

    def reset(self) -> None:
        with self.ws.lock:
            self._hooks.clear()

    async def handle(self, request: web.Request) -> web.Response:
        started = time.time()
        raw = await request.read()
        try:
            if request.content_type == "application/json":
                body = json.loads(raw or b"{}")
            else:
                form = await request.post()
                body = json.loads(str(form.get("payload", "{}")))
        except ValueError:
            return self._answer(started, {}, 400, "invalid_payload")
        if not isinstance(body, dict):
            return self._answer(started, {}, 400, "invalid_payload")
        with self.ws.lock:
            hook = self._hooks.get(request.path)
            if hook is None:
                return self._answer(started, body, 404, "no_service")
            hook.uses += 1
            if hook.uses > MAX_USES:
                return self._answer(started, body, 404, "used_url")
            problems = message_problems(body["blocks"]) if body.get("blocks") else []
            if problems:
                # Webhooks answer errors as text; the messages say what Slack disliked.
                return self._answer(started, body, 400, "invalid_blocks", problems)
            self.apply(hook, body)
        return self._answer(started, body, 200, "ok")

    def _answer(
        self,
        started: float,
        body: dict[str, Any],
        status: int,
        text: str,
        problems: list[str] | None = None,
    ) -> web.Response:
        outcome: dict[str, Any] = {"ok": True} if status == 200 else {"ok": False, "error": text}
        if problems:
            outcome["response_metadata"] = {"messages": problems}
        call = Call("response_url", body, None, started, time.time(), status, outcome)
        self.calls.record(call, refused=status != 200)
        return web.Response(status=status, text=text)

    def apply(self, hook: Hook, body: dict[str, Any]) -> None:
        """Show a response the way Slack would: also used for a slash command's ack body."""
        chan = self.ws.channels.get(hook.channel_id)
        if chan is None:
            return
        if hook.ephemeral_ts and (body.get("replace_original") or body.get("delete_original")):
            self._apply_to_ephemeral(hook, body)
            return
        original = chan.message(hook.message_ts) if hook.message_ts else None
        if body.get("delete_original") and original is not None:
            chan.messages.remove(original)
            return
        if body.get("replace_original") and original is not None:
            for key in ("text", "blocks", "attachments"):
                if key in body:
                    original[key] = copy.deepcopy(body[key])
            return
        if body.get("response_type") == "in_channel":
            msg: dict[str, Any] = {
                "user": BOT_USER_ID,
                "type": "message",
                "ts": self.ws.ids.ts(),
                "bot_id": BOT_ID,
                "app_id": APP_ID,
                "text": body.get("text", ""),
                "team": TEAM_ID,
            }
            if body.get("blocks"):
                msg["blocks"] = copy.deepcopy(body["blocks"])
            self.ws.append_message(chan, msg, body.get("thread_ts"))
            return
        self.ws.ephemerals.append(
            {
                "channel": chan.id,
                "user": hook.user,
                "text": body.get("text", ""),
                "blocks": copy.deepcopy(body.get("blocks")),
                "ts": self.ws.ids.ts(),
                "thread_ts": body.get("thread_ts"),
            }
        )

    def _apply_to_ephemeral(self, hook: Hook, body: dict[str, Any]) -> None:
        for index, eph in enumerate(self.ws.ephemerals):
            if eph["ts"] == hook.ephemeral_ts and eph["user"] == hook.user:
                if body.get("delete_original"):
                    del self.ws.ephemerals[index]
                    return
                for key in ("text", "blocks"):
                    if key in body:
                        eph[key] = copy.deepcopy(body[key])
                return
