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

from fakeslack.calls import Call, CallLog
from fakeslack.errors import ApiError
from fakeslack.faults import Faults
from fakeslack.methods import METHODS, Backend, Params

log = logging.getLogger(__name__)

# Arguments that carry JSON; in form bodies slack_sdk sends them as JSON strings.
JSON_ARGS = ("blocks", "attachments", "view", "metadata")
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


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

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        started = time.time()
        token = bearer(request)
        params: dict[str, Any] = {}
        try:
            params = await read_params(request)
            # The legacy `token` argument still works when no header is sent.
            form_token = params.pop("token", None)
            token = token or (form_token if isinstance(form_token, str) else None)
            status, body, headers = await self._answer(method, params, token)
        except ApiError as exc:
            status, body, headers = 200, exc.body(), {}
        except Exception:
            log.exception("fakeslack: handler for %s crashed", method)
            status, body, headers = 500, {"ok": False, "error": "fakeslack_internal_error"}, {}
        self.calls.record(Call(method, params, token, started, time.time(), status, body))
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
        with self.backend.ws.lock:
            return 200, handler(self.backend, Params(params)), {}

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
