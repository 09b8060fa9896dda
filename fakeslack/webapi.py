"""The Web API endpoint: decode a request, check the token, apply faults, run the handler,
record the call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiohttp import web

from fakeslack import scopes
from fakeslack.calls import Call, CallLog
from fakeslack.errors import ApiError
from fakeslack.faults import Faults
from fakeslack.manifest import AppManifest
from fakeslack.methods import METHODS, Backend, Params
from fakeslack.ratelimits import CONNECTIONS_OPEN, Budget
from fakeslack.state import Channel, Workspace

log = logging.getLogger(__name__)

# Arguments that carry JSON; in form bodies slack_sdk sends them as JSON strings.
JSON_ARGS = ("blocks", "attachments", "view", "metadata")
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
_LIST_TYPES = {
    "public_channel": scopes.PUBLIC,
    "private_channel": scopes.PRIVATE,
    "im": scopes.IM,
    "mpim": scopes.MPIM,
}


def channel_kind(chan: Channel) -> str:
    if chan.is_im:
        return scopes.IM
    return scopes.PRIVATE if chan.is_private else scopes.PUBLIC


def conversation_kinds(ws: Workspace, method: str, params: Params) -> list[str | None]:
    """Which kinds of conversation a call touches, for the per-kind scope check.

    None means "not known" (no channel argument, or one the bot cannot see): any scope of
    the method then does, and the handler answers channel_not_found if it must.
    """
    if method == "conversations.create":
        return [scopes.PRIVATE if params.flag("is_private") else scopes.PUBLIC]
    if method == "conversations.list":
        return [_LIST_TYPES.get(t) for t in (params.items("types") or ["public_channel"])]
    ref = params.text("channel_id" if method == "bookmarks.add" else "channel")
    if not ref:
        return [None]
    if method == "chat.postMessage" and ref[0] in "UW" and ws.user(ref) is not None:
        return [scopes.IM]
    chan = ws.channels.get(ref) or ws.channel_by_name(ref)
    if chan is None or not chan.bot_can_see():
        return [None]
    return [channel_kind(chan)]


async def read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            raw = await request.read()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                raise ApiError("invalid_json") from exc
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in JSON_ARGS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # left as a string so the handler reports invalid_arguments/blocks
    return params


class OverBudget(Exception):
    """The fake's own rate limit for a method was spent (answered 429 + Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


async def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the socket without a response: the client sees the server disconnect."""
    if request.transport is not None:
        request.transport.close()
    # Nothing can be written any more; hand aiohttp an empty, already-closed response.
    response = web.StreamResponse(status=200)
    response.force_close()
    return response


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


class WebApi:
    """Serves POST/GET /api/<method> against the backend."""

    def __init__(
        self,
        backend: Backend,
        faults: Faults,
        calls: CallLog,
        *,
        bot_token: str,
        app_token: str,
    ) -> None:
        self.backend = backend
        self.faults = faults
        self.calls = calls
        self.bot_token = bot_token
        self.app_token = app_token
        self.connections_open = Budget(CONNECTIONS_OPEN)

    @property
    def manifest(self) -> AppManifest:
        return self.backend.manifest

    @manifest.setter
    def manifest(self, manifest: AppManifest) -> None:
        self.backend.manifest = manifest

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.calls.begin()
        try:
            return await self._handle(request)
        finally:
            self.calls.end()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        started = time.time()
        token = bearer(request)
        params: dict[str, Any] = {}
        refused = False
        try:
            params = await read_params(request)
            # The legacy `token` argument still works when no header is sent.
            form_token = params.pop("token", None)
            token = token or (form_token if isinstance(form_token, str) else None)
            status, body, headers = await self._answer(method, params, token)
        except ApiError as exc:
            status, body, headers = 200, exc.body(), {}
            refused = True
        except OverBudget as exc:
            status, body = 429, {"ok": False, "error": "ratelimited"}
            headers = {"Retry-After": str(exc.retry_after)}
            refused = True
        except Exception:
            log.exception("fakeslack: handler for %s crashed", method)
            status, body, headers = 500, {"ok": False, "error": "fakeslack_internal_error"}, {}
        call = Call(method, params, token, started, time.time(), status, body)
        if status == 200 and self.faults.take_lost(method):
            # The call took effect; now the caller never hears of it.
            self.calls.record(call)
            return await _drop_connection(request)
        self.calls.record(call, refused=refused)
        return web.json_response(body, status=status, headers=headers)

    async def _answer(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        delay = self.faults.delay_for(method)
        if delay:
            await asyncio.sleep(delay)
        handler = METHODS.get(method)
        if handler is None:
            raise ApiError("unknown_method")
        self._authenticate(method, token)
        fault = self.faults.take(method)
        if fault is not None:
            return fault.status, dict(fault.body), dict(fault.headers)
        if method == "apps.connections.open":
            wait = self.connections_open.take()
            if wait is not None:
                raise OverBudget(wait)
        with self.backend.ws.lock:
            decoded = Params(params)
            self._check_scopes(method, decoded)
            return 200, handler(self.backend, decoded), {}

    def _check_scopes(self, method: str, params: Params) -> None:
        granted = self.manifest.bot_scopes
        for kind in conversation_kinds(self.backend.ws, method, params):
            scopes.check(method, kind, granted)

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise ApiError("not_authed")
        expected = self.app_token if method in APP_TOKEN_METHODS else self.bot_token
        if token == expected:
            return
        if token in (self.app_token, self.bot_token):
            # A real token of the other kind: Slack names the mismatch.
            raise ApiError("not_allowed_token_type")
        raise ApiError("invalid_auth")
