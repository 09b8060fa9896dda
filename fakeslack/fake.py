"""`FakeSlack`, the public face of the fake: lifecycle, delivery to the app, Socket Mode
control, recorded calls and inspection. Human-side actions come from `HumanActions`."""

from __future__ import annotations

import asyncio
import copy
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from fakeslack import state
from fakeslack.actions import HumanActions
from fakeslack.calls import Call, CallLog
from fakeslack.delivery import KINDS, Delivery, build_headers, encode, judge_deadline, post
from fakeslack.faults import Faults
from fakeslack.hooks import ResponseUrls
from fakeslack.ids import IdFactory
from fakeslack.manifest import AppManifest, resolve
from fakeslack.methods import Backend
from fakeslack.modals import ModalStore
from fakeslack.mrkdwn import mentions_in
from fakeslack.ratelimits import RateLimit
from fakeslack.server import ServerThread
from fakeslack.socketmode import SocketHub
from fakeslack.state import BOT_USER_ID, VERIFICATION_TOKEN, Workspace
from fakeslack.webapi import WebApi

# Room for the loop hop on top of a delivery's own timeout.
_CALL_MARGIN = 5.0


class FakeSlack(HumanActions):
    """A local Slack for one app: Web API + Socket Mode on 127.0.0.1, HTTP deliveries out."""

    # The seeded workspace's ids, for tests to name things without magic strings.
    TEAM_ID = state.TEAM_ID
    APP_ID = state.APP_ID
    BOT_USER_ID = state.BOT_USER_ID
    BOT_ID = state.BOT_ID
    ALICE, BOB, CAROL = state.ALICE, state.BOB, state.CAROL
    GENERAL, INCIDENTS = state.GENERAL_ID, state.INCIDENTS_ID

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        signing_secret: str = "test-signing-secret",
        manifest: AppManifest | str | os.PathLike[str] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.http_target: str | None = None
        lock = threading.RLock()
        ids = IdFactory()
        self._ws = Workspace(ids, lock)
        self._modals = ModalStore(ids, lock)
        self.faults = Faults()
        self._calls = CallLog()
        self._hooks = ResponseUrls(self._ws, self._calls)
        self._hub = SocketHub()
        backend = Backend(self._ws, self._modals, self._hub.issue_url)
        self._backend = backend
        self._webapi = WebApi(
            backend, self.faults, self._calls, bot_token=bot_token, app_token=app_token
        )
        self._server = ServerThread(self._build_app)
        self._deliveries: list[Delivery] = []
        self.use_manifest(manifest)

    # -- lifecycle -------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._webapi.handle)
        app.router.add_get("/link/", self._hub.handle_link)
        app.router.add_post("/commands/{team}/{hook}/{secret}", self._hooks.handle)
        app.router.add_post("/actions/{team}/{hook}/{secret}", self._hooks.handle)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _close_sockets(self, app: web.Application) -> None:
        await self._hub.close()

    def start(self) -> FakeSlack:
        """Listen on a free port (idempotent); returns self."""
        if not self._server.running:
            port = self._server.start()
            self._hub.url_base = f"ws://127.0.0.1:{port}"
            self._hooks.base = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Close sockets, stop the loop and its thread; safe to call twice."""
        self._server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the seeded workspace; drops calls, faults, views, pending envelopes.

        Settings (http_target, socket_ack_timeout, trigger_ttl) and open Socket Mode
        connections are kept.
        """
        self._ws.seed()
        self._modals.reset()
        self._hooks.reset()
        self.faults.clear()
        self._calls.clear()
        self._webapi.connections_open.refill()
        with self._ws.lock:
            self._deliveries.clear()
        if self._server.running:
            self._server.call(self._hub.reset(), timeout=_CALL_MARGIN)

    # -- the app's configuration -----------------------------------------------------------

    def use_manifest(self, manifest: AppManifest | str | os.PathLike[str] | None) -> AppManifest:
        """Enforce this manifest (an AppManifest, a path to Slack's manifest YAML, or None
        for the permissive one) from now on; kept across reset(). Returns it."""
        resolved = resolve(manifest)
        self._webapi.manifest = resolved
        return resolved

    @property
    def manifest(self) -> AppManifest:
        return self._webapi.manifest

    def workspace_policy(self, *, create_channels: bool | None = None) -> None:
        """What the workspace's admins allow apps; `create_channels=False` makes
        conversations.create answer restricted_action. Kept across reset()."""
        if create_channels is not None:
            self._backend.create_channels = create_channels

    mentions_in = staticmethod(mentions_in)

    @property
    def _manifest(self) -> AppManifest:
        return self._webapi.manifest

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def api_url(self) -> str:
        """Base URL for `WebClient(base_url=...)`."""
        return f"http://127.0.0.1:{self._server.port}/api/"

    @property
    def deadline(self) -> float:
        """Seconds Slack waits for an HTTP answer or a Socket Mode ack (3 s); later ones
        count as failed, and unacked events are redelivered after it."""
        return self._hub.ack_timeout

    @deadline.setter
    def deadline(self, seconds: float) -> None:
        self._hub.ack_timeout = float(seconds)

    @property
    def socket_ack_timeout(self) -> float:
        """The same as `deadline` (kept for existing callers)."""
        return self._hub.ack_timeout

    @socket_ack_timeout.setter
    def socket_ack_timeout(self, seconds: float) -> None:
        self._hub.ack_timeout = float(seconds)

    @property
    def event_retry_delays(self) -> tuple[float, ...]:
        """Seconds Slack waits before each redelivery of an unacknowledged Socket Mode event,
        after the ack deadline passed: (0, 60, 300), Slack's schedule."""
        return self._hub.retry_delays

    @event_retry_delays.setter
    def event_retry_delays(self, delays: tuple[float, ...]) -> None:
        # For tests of the redelivery itself, which cannot wait six minutes; reset() puts
        # Slack's schedule back.
        self._hub.retry_delays = tuple(float(d) for d in delays)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every Delivery made (not the skipped ones), oldest first; cleared by reset()."""
        with self._ws.lock:
            return list(self._deliveries)

    @property
    def connections_open_limit(self) -> RateLimit | None:
        """apps.connections.open's budget (Tier 1: 1 a minute, bursts of 5); past it the
        fake answers 429 + Retry-After. None: unlimited. The budget refills on reset()."""
        return self._webapi.connections_open.limit

    @connections_open_limit.setter
    def connections_open_limit(self, limit: RateLimit | None) -> None:
        self._webapi.connections_open.set_limit(limit)

    @property
    def socket_ping_interval(self) -> float | None:
        """Seconds between server pings on Socket Mode connections (None: never)."""
        return self._hub.ping_interval

    @socket_ping_interval.setter
    def socket_ping_interval(self, seconds: float | None) -> None:
        self._hub.ping_interval = seconds

    @property
    def trigger_ttl(self) -> float:
        """How long a trigger_id stays usable (Slack: 3 s)."""
        return self._modals.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self._modals.trigger_ttl = float(seconds)

    # -- workspace set-up ------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        is_bot: bool = False,
        *,
        tz: str = "Europe/London",
        email: str | None = None,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a person: a multi-channel guest (`is_restricted`), a single-channel guest
        (`is_ultra_restricted`), a deactivated account (`deleted`), or someone from another
        organisation over Slack Connect (`team_id` other than the workspace's)."""
        user = self._ws.add_user(
            user_id,
            name,
            real_name=real_name,
            display_name=display_name,
            is_bot=is_bot,
            tz=tz,
            email=email,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            deleted=deleted,
            team_id=team_id or self.TEAM_ID,
        )
        return copy.deepcopy(user)

    def add_channel(
        self,
        name: str,
        *,
        channel_id: str | None = None,
        is_private: bool = False,
        members: Iterable[str] = (),
        archived: bool = False,
        creator: str | None = None,
        ext_shared: bool = False,
    ) -> str:
        """Add a channel as if made earlier (by a person, unless `creator` says); its id.

        A channel with a member from another team is shared over Slack Connect.
        """
        return self._ws.add_channel(
            name,
            channel_id=channel_id,
            is_private=is_private,
            members=members,
            archived=archived,
            creator=creator,
            ext_shared=ext_shared,
        ).id

    def add_dm(self, user: str, other: str) -> str:
        """A DM between two people (not the bot); its id."""
        return self._ws.add_dm(user, other).id

    def issue_trigger_id(self, user: str = ALICE, *, view_id: str | None = None) -> str:
        """A fresh trigger_id without delivering anything (for direct views.open tests)."""
        return self._modals.issue_trigger(user, view_id=view_id)

    # -- delivery to the app ---------------------------------------------------------------

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_num: int = 0,
        retry_reason: str = "",
        via: str | None = None,
        timeout: float = 5.0,
        on_send: Callable[[], None] | None = None,
    ) -> Delivery:
        """Send one payload the way Slack would, over Socket Mode or signed HTTP.

        Slack gives the app `deadline` seconds (3); an answer after that is recorded but
        marked `late` and not ok. The fake waits up to `timeout` for it. `on_send` runs as
        the payload goes out.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown delivery kind {kind!r}; expected one of {KINDS}")
        route = self._route(via)
        if route == "socket":
            reason = retry_reason or ("timeout" if retry_num else "")
            coro = self._hub.deliver(
                kind,
                payload,
                retry_attempt=retry_num,
                retry_reason=reason,
                timeout=timeout,
                on_send=on_send,
            )
            result = self._server.call(coro, timeout + _CALL_MARGIN)
        else:
            assert self.http_target is not None
            body, content_type = encode(kind, payload)
            headers = build_headers(
                self.signing_secret,
                body,
                content_type,
                retry_num=retry_num,
                retry_reason=retry_reason,
            )
            if on_send is not None:
                on_send()
            result = post(
                self.http_target, body, headers, timeout=timeout, kind=kind, payload=payload
            )
            judge_deadline(result, self.deadline)
        with self._ws.lock:
            self._deliveries.append(result)
        return result

    def deliver_many(
        self,
        kind: str,
        payloads: list[dict[str, Any]],
        *,
        in_flight: int = 16,
        timeout: float = 5.0,
    ) -> list[Delivery]:
        """Send every payload over Socket Mode with up to `in_flight` envelopes awaiting their
        acks at once, as Slack keeps several in flight; the results in the payloads' order.

        All on the server's loop: a load of thousands costs the sender no thread hand-off per
        envelope, so a benchmark measures the app rather than its load generator.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown delivery kind {kind!r}; expected one of {KINDS}")
        if in_flight < 1:
            raise ValueError("in_flight must be at least 1")

        async def run() -> list[Delivery]:
            slots = asyncio.Semaphore(in_flight)

            async def one(payload: dict[str, Any]) -> Delivery:
                async with slots:
                    return await self._hub.deliver(
                        kind, payload, retry_attempt=0, retry_reason="", timeout=timeout
                    )

            done = list(await asyncio.gather(*(one(p) for p in payloads)))
            with self._ws.lock:
                self._deliveries.extend(done)
            return done

        rounds = -(-len(payloads) // in_flight)
        return self._server.call(run(), timeout * rounds + _CALL_MARGIN)

    def _route(self, via: str | None) -> str:
        if via == "socket":
            return via
        if via == "http" or (via is None and self._hub.count() == 0):
            if self.http_target is None:
                raise RuntimeError(
                    "nowhere to deliver: no Socket Mode connection is open and http_target is None"
                )
            return "http"
        if via is None:
            return "socket"
        raise ValueError(f"via must be 'socket', 'http' or None, not {via!r}")

    def post_signed(
        self,
        body: bytes | str,
        *,
        content_type: str,
        timestamp: int | str | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """POST raw bytes to http_target; signature None = sign, "" = omit the header."""
        if self.http_target is None:
            raise RuntimeError("http_target is None")
        raw = body.encode("utf-8") if isinstance(body, str) else body
        headers = build_headers(
            self.signing_secret,
            raw,
            content_type,
            timestamp=timestamp,
            signature=signature,
            extra=extra_headers,
        )
        return post(self.http_target, raw, headers, timeout=timeout)

    def ssl_check(self, *, timeout: float = 5.0) -> Delivery:
        """POST Slack's certificate check to http_target: a form body `ssl_check=1&token=…`
        (docs interactivity/slash-commands), signed like every request from Slack."""
        body = urllib.parse.urlencode({"ssl_check": "1", "token": VERIFICATION_TOKEN})
        return self.post_signed(
            body, content_type="application/x-www-form-urlencoded", timeout=timeout
        )

    # -- Socket Mode control ---------------------------------------------------------------

    def disconnect(
        self, reason: str = "refresh_requested", *, connection: str | None = None
    ) -> int:
        """Send a `disconnect` frame to one connection (by id) or all; returns how many."""
        return self._server.call(self._hub.disconnect(reason, connection), _CALL_MARGIN)

    def socket_connections(self) -> int:
        return self._hub.count()

    def socket_connection_ids(self) -> list[str]:
        return self._hub.connection_ids()

    def wait_for_socket_connections(self, n: int, timeout: float = 5.0) -> bool:
        """Block until exactly `n` connections are open; AssertionError on timeout."""
        return self._hub.wait_for_count(n, timeout)

    @property
    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope sent over Socket Mode (with its connection_id), oldest first."""
        return copy.deepcopy(self._hub.sent)

    @property
    def socket_frames_received(self) -> list[dict[str, Any]]:
        """Every JSON frame the app sent (acks), oldest first."""
        return copy.deepcopy(self._hub.received)

    # -- recorded calls --------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self._calls.all()

    @property
    def refusals(self) -> list[Call]:
        """Web API calls, response_url posts and acks the fake refused by Slack's own rules
        (invalid_blocks, missing_scope, not_in_channel…; injected faults are not here),
        oldest first; cleared by reset()."""
        return self._calls.refusals()

    def calls_to(self, method: str) -> list[Call]:
        return self._calls.to(method)

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until no Web API request is being answered (see CallLog.settle)."""
        return self._calls.settle(timeout)

    def wait_for_call(
        self,
        method: str,
        *,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
        count: int = 1,
    ) -> Call:
        return self._calls.wait_for(method, timeout=timeout, where=where, count=count)

    # -- inspection ------------------------------------------------------------------------

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        with self._ws.lock:
            return copy.deepcopy(self._ws.users)

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        with self._ws.lock:
            return {cid: chan.snapshot() for cid, chan in self._ws.channels.items()}

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        with self._ws.lock:
            chan = self._ws.channel_by_name(name)
            return chan.snapshot() if chan else None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._ws.lock:
            return copy.deepcopy(self._channel(channel).messages)

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        with self._ws.lock:
            return copy.deepcopy(self._ws.ephemerals)

    def dms(self, user: str) -> list[dict[str, Any]]:
        """Messages the bot sent in its DM with `user`."""
        with self._ws.lock:
            for chan in self._ws.channels.values():
                if chan.im_user == user:
                    return [copy.deepcopy(m) for m in chan.messages if m.get("user") == BOT_USER_ID]
            return []

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Views currently open (a submitted-and-closed view disappears)."""
        return self._modals.open_views()

    @property
    def view_errors(self) -> dict[str, dict[str, Any]]:
        """view_id -> the `errors` of the last `response_action: errors` ack."""
        return self._modals.errors()

    def wait_for_view(self, callback_id: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The newest open view (with that callback_id); AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            view = self._modals.newest(callback_id)
            if view is not None:
                return view
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        wanted = f" with callback_id {callback_id!r}" if callback_id else ""
        raise AssertionError(
            f"no open view{wanted} within {timeout}s; open views: {sorted(self.views)}"
        )
