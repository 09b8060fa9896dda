"""Slack's v0 request signature: `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{body}`."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    basestring = f"v0:{timestamp}:".encode() + raw
    digest = hmac.new(signing_secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(
    signing_secret: str, body: bytes | str, *, timestamp: int | str | None = None
) -> dict[str, str]:
    """The two headers Slack adds to every HTTP delivery, stamped now unless told."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(signing_secret, ts, body),
    }
