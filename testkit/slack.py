"""The fake Slack as replicas see it: each thread's HTTP deliveries aimed at its own
replica, signed deliveries to a chosen URL, pin payloads."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fakeslack import FakeSlack
from fakeslack import payloads as slack_payloads
from fakeslack.delivery import Delivery, build_headers, encode, post
from fakeslack.socketmode import Envelope
from fakeslack.state import permalink
from testkit.harness import (
    ALICE,
    APP_TOKEN,
    BOB,
    BOT_TOKEN,
    SIGNING_SECRET,
)


class ReplicaSlack(FakeSlack):
    """FakeSlack whose HTTP deliveries go to the target set for the calling thread, so
    concurrent threads can each talk to their own replica (FakeSlack has one target)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._shared_target: str | None = None
        super().__init__(bot_token=BOT_TOKEN, app_token=APP_TOKEN, signing_secret=SIGNING_SECRET)

    @property  # type: ignore[override]
    def http_target(self) -> str | None:
        return getattr(self._local, "target", None) or self._shared_target

    @http_target.setter
    def http_target(self, value: str | None) -> None:
        self._shared_target = value

    @contextlib.contextmanager
    def via(self, url: str) -> Iterator[None]:
        """HTTP deliveries made by this thread go to `url` meanwhile."""
        previous = getattr(self._local, "target", None)
        self._local.target = url
        try:
            yield
        finally:
            self._local.target = previous

    def deliver_on(
        self, connection_id: str, kind: str, payload: dict[str, Any], timeout: float = 10.0
    ) -> bool:
        """Send one envelope on one Socket Mode connection (no redelivery); True if acked.

        FakeSlack spreads envelopes round-robin; the two-replica test needs each copy of an
        event on a chosen connection, so this reaches into the hub's (private) send.
        """
        hub = self._hub

        async def send() -> bool:
            envelope = Envelope(kind, payload, asyncio.get_running_loop().create_future())
            await hub._send(hub._conns[connection_id], envelope, 0, "")
            try:
                await asyncio.wait_for(asyncio.shield(envelope.settled), timeout)
            except TimeoutError:
                return False
            return True

        return self._server.call(send(), timeout + 5)

    def route_sockets_through(self, port: int | None) -> None:
        """Hand out Socket Mode URLs on `port` (a proxy in front of this fake); None: direct."""
        self._hub.url_base = f"ws://127.0.0.1:{port or self.port}"


def post_signed_to(
    url: str, kind: str, payload: dict[str, Any], *, retry_num: int = 0, timeout: float = 10.0
) -> Delivery:
    """A delivery as Slack makes it (encoded, signed, retry headers) to a given replica."""
    body, content_type = encode(kind, payload)
    headers = build_headers(SIGNING_SECRET, body, content_type, retry_num=retry_num)
    return post(url, body, headers, timeout=timeout, kind=kind, payload=payload)


def pin_added(
    channel: str,
    ts: str,
    text: str,
    *,
    author: str = BOB,
    pinner: str = ALICE,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The `event_callback` Slack sends when `pinner` pins message `ts` in `channel`."""
    message = {
        "type": "message",
        "user": author,
        "text": text,
        "ts": ts,
        "permalink": permalink(channel, ts),
    }
    item = {
        "type": "message",
        "created": int(time.time()),
        "created_by": pinner,
        "channel": channel,
        "message": message,
    }
    event = slack_payloads.pin_event("pin_added", item=item, user=pinner, pin_count=1, event_ts=ts)
    return slack_payloads.event_callback(
        event,
        event_id=event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        event_time=int(time.time()),
    )
