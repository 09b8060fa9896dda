"""Socket Mode: single-use tickets, WebSocket connections, envelopes, acks, redelivery and
disconnect frames. Coroutines run on the server loop; counters are readable from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from fakeslack.delivery import Delivery
from fakeslack.state import APP_ID

log = logging.getLogger(__name__)

HOST_NAME = "applink-7fc4fdbb64-4x5lb"
MAX_RETRIES = 3
# Slack's schedule for an event that was not acknowledged: "nearly immediately", then after
# one minute, then after five (Events API, "Error handling"); the three retries.
RETRY_DELAYS = (0.0, 60.0, 300.0)


@dataclass
class Connection:
    id: str
    ws: web.WebSocketResponse
    opened_at: float
    # Set once told to disconnect: new envelopes prefer the replacement connection.
    draining: bool = False


@dataclass
class Envelope:
    """One delivery across its attempts; the first ack of any attempt settles it."""

    kind: str
    payload: dict[str, Any]
    settled: asyncio.Future[tuple[str, Any, int]]
    attempts: list[tuple[str, int]] = field(default_factory=list)
    # envelope_id -> loop time it was sent / acked, to judge the ack against the deadline
    sent_at: dict[str, float] = field(default_factory=dict)
    acked_at: float | None = None
    # Called once, when the first attempt goes out (a trigger_id's clock starts then).
    on_send: Callable[[], None] | None = None


def unanswered(kind: str) -> str:
    """What a missed deadline is called: the person sees `operation_timeout` for commands
    and interactions; Socket Mode redeliveries of events say `timeout`."""
    return "timeout" if kind == "events_api" else "operation_timeout"


class SocketHub:
    def __init__(self) -> None:
        self.ack_timeout = 3.0
        self.retry_delays: tuple[float, ...] = RETRY_DELAYS
        self.url_base = ""
        # Server pings wake the builtin client's blocking recv (3 s timeout), so closing a
        # client takes about a second instead of three. No pong is required of it.
        self.ping_interval: float | None = 0.5
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._conns: dict[str, Connection] = {}
        self._pending: dict[str, Envelope] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rr = 0
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []

    # -- tickets and connections ---------------------------------------------------------

    def issue_url(self) -> str:
        ticket = str(uuid.uuid4())
        with self._cond:
            self._tickets.add(ticket)
        return f"{self.url_base}/link/?ticket={ticket}&app_id={APP_ID}"

    def count(self) -> int:
        with self._cond:
            return len(self._conns)

    def connection_ids(self) -> list[str]:
        with self._cond:
            return list(self._conns)

    def wait_for_count(self, n: int, timeout: float) -> bool:
        with self._cond:
            if self._cond.wait_for(lambda: len(self._conns) == n, timeout):
                return True
            have = len(self._conns)
        raise AssertionError(
            f"expected {n} Socket Mode connection(s) within {timeout}s, have {have}"
        )

    async def handle_link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._cond:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            return web.Response(status=401, text="invalid or used ticket")
        # A short close timeout keeps shutdown quick when a client never answers the close.
        ws = web.WebSocketResponse(timeout=1.0, autoping=True)
        await ws.prepare(request)
        conn = Connection(str(uuid.uuid4()), ws, time.time())
        with self._cond:
            num = len(self._conns) + 1
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": num,
                        "debug_info": {
                            "host": HOST_NAME,
                            "build_number": 118,
                            "approximate_connection_time": 18060,
                        },
                        "connection_info": {"app_id": APP_ID},
                    }
                )
            )
        except (ConnectionError, RuntimeError):
            return ws  # the client left during the handshake; nothing to register
        with self._cond:
            self._conns[conn.id] = conn
            self._cond.notify_all()
        pinger = asyncio.get_running_loop().create_task(self._keepalive(ws))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
            with self._cond:
                self._conns.pop(conn.id, None)
                self._cond.notify_all()
        return ws

    async def _keepalive(self, ws: web.WebSocketResponse) -> None:
        while self.ping_interval and not ws.closed:
            await asyncio.sleep(self.ping_interval)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.ping(b"fakeslack")

    def _on_text(self, conn: Connection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            log.warning("fakeslack: non-JSON frame on %s: %r", conn.id, text[:200])
            return
        if not isinstance(frame, dict):
            return
        self.received.append(frame)
        envelope = self._pending.get(frame.get("envelope_id", ""))
        if envelope is None or envelope.settled.done():
            return
        attempt = dict(envelope.attempts).get(frame["envelope_id"], 0)
        envelope.acked_at = asyncio.get_running_loop().time()
        envelope.settled.set_result((frame["envelope_id"], frame.get("payload"), attempt))

    def _pick(self) -> Connection | None:
        with self._cond:
            conns = list(self._conns.values())
        live = [c for c in conns if not c.draining] or conns
        if not live:
            return None
        self._rr += 1
        return live[self._rr % len(live)]

    async def _wait_for_connection(self, deadline: float) -> Connection | None:
        loop = asyncio.get_running_loop()
        while True:
            conn = self._pick()
            if conn is not None or loop.time() >= deadline:
                return conn
            await asyncio.sleep(0.02)

    # -- envelopes -----------------------------------------------------------------------

    async def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int,
        retry_reason: str,
        timeout: float,
        on_send: Callable[[], None] | None = None,
    ) -> Delivery:
        """Send until acked (events are redelivered after `ack_timeout`); an ack that comes
        after the deadline of the attempt it answers is `late`: Slack has given up on it."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        envelope = Envelope(kind, payload, loop.create_future(), on_send=on_send)
        task = loop.create_task(
            self._send_attempts(envelope, retry_attempt, retry_reason, start + timeout)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            envelope_id, ack_payload, attempt = await asyncio.wait_for(
                asyncio.shield(envelope.settled), timeout
            )
        except TimeoutError:
            last_id, last_attempt = envelope.attempts[-1] if envelope.attempts else (None, None)
            return Delivery(
                kind=kind,
                via="socket",
                payload=payload,
                acked=False,
                envelope_id=last_id,
                retry_attempt=last_attempt,
                elapsed=loop.time() - start,
                error=unanswered(kind) if envelope.attempts else "no_connection",
            )
        took = (envelope.acked_at or loop.time()) - envelope.sent_at.get(envelope_id, start)
        late = took > self.ack_timeout
        return Delivery(
            kind=kind,
            via="socket",
            payload=payload,
            acked=True,
            ack_payload=ack_payload if isinstance(ack_payload, dict) else None,
            envelope_id=envelope_id,
            retry_attempt=attempt,
            elapsed=loop.time() - start,
            late=late,
            error=unanswered(kind) if late else None,
        )

    async def _send_attempts(
        self, envelope: Envelope, attempt: int, reason: str, first_deadline: float
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = first_deadline
        while True:
            conn = await self._wait_for_connection(deadline)
            if conn is not None:
                await self._send(conn, envelope, attempt, reason)
            # Only events are redelivered; commands and actions just fail for the user.
            if envelope.kind != "events_api" or attempt >= MAX_RETRIES:
                return
            try:
                await asyncio.wait_for(asyncio.shield(envelope.settled), self.ack_timeout)
                return
            except TimeoutError:
                pass
            # Not acknowledged in time: the next attempt waits its turn in Slack's schedule
            # (an ack of an earlier attempt still settles the envelope meanwhile).
            wait = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
            if wait > 0:
                try:
                    await asyncio.wait_for(asyncio.shield(envelope.settled), wait)
                    return
                except TimeoutError:
                    pass
            attempt, reason = attempt + 1, "timeout"
            deadline = loop.time() + self.ack_timeout

    async def _send(self, conn: Connection, envelope: Envelope, attempt: int, reason: str) -> None:
        envelope_id = str(uuid.uuid4())
        frame: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": envelope.payload,
            "type": envelope.kind,
            "accepts_response_payload": envelope.kind != "events_api",
        }
        if envelope.kind == "events_api":
            frame.update({"retry_attempt": attempt, "retry_reason": reason})
        self._pending[envelope_id] = envelope
        if not envelope.attempts and envelope.on_send is not None:
            envelope.on_send()
        envelope.attempts.append((envelope_id, attempt))
        envelope.sent_at[envelope_id] = asyncio.get_running_loop().time()
        self.sent.append({"connection_id": conn.id, **frame})
        try:
            await conn.ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError) as exc:
            # The client went away mid-send; to Slack that is just an unacked envelope.
            log.info("fakeslack: envelope %s not sent on %s: %s", envelope_id, conn.id, exc)

    async def disconnect(self, reason: str, connection_id: str | None) -> int:
        with self._cond:
            if connection_id is not None:
                if connection_id not in self._conns:
                    raise KeyError(f"no Socket Mode connection {connection_id!r}")
                targets = [self._conns[connection_id]]
            else:
                targets = list(self._conns.values())
        frame = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST_NAME}}
        )
        for conn in targets:
            conn.draining = True
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(frame)
        return len(targets)

    # -- lifecycle -----------------------------------------------------------------------

    async def reset(self) -> None:
        self.retry_delays = RETRY_DELAYS
        await self._cancel_tasks()
        self._pending.clear()
        self.sent.clear()
        self.received.clear()

    async def close(self) -> None:
        await self._cancel_tasks()
        with self._cond:
            conns = list(self._conns.values())
        for conn in conns:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
