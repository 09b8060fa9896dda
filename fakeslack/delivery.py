"""The outcome of one delivery to the app (`Delivery`), and the HTTP transport: Slack's body
encodings, signing and retry headers, POSTed with the stdlib from the calling thread.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from fakeslack.signing import signed_headers

KINDS = ("events_api", "slash_commands", "interactive")
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass
class Delivery:
    """What happened to one payload: HTTP fields for `via="http"`, ack fields for sockets."""

    kind: str | None = None
    via: str | None = None
    payload: dict[str, Any] | None = None
    status: int | None = None
    body: Any = None
    headers: dict[str, str] | None = None
    elapsed: float | None = None
    acked: bool | None = None
    ack_payload: dict[str, Any] | None = None
    envelope_id: str | None = None
    retry_attempt: int | None = None
    error: str | None = None
    # The answer came after Slack's deadline: Slack counted the delivery as failed and
    # ignored what the app said (the fake still waited, to record it).
    late: bool = False

    @classmethod
    def skipped(cls, kind: str, reason: str) -> Delivery:
        """Nothing was sent: Slack would not deliver this (not subscribed, not a member…)."""
        return cls(kind=kind, via=None, error=reason)

    @property
    def delivered(self) -> bool:
        return self.via is not None

    @property
    def ok(self) -> bool:
        if self.late:
            return False
        if self.via == "socket":
            return bool(self.acked)
        return self.status is not None and 200 <= self.status < 300

    @property
    def response(self) -> dict[str, Any] | None:
        """The app's answer as a dict: the ack payload, or a JSON HTTP body."""
        if self.via == "socket":
            return self.ack_payload
        return self.body if isinstance(self.body, dict) else None


def encode(kind: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    """Body bytes and content type exactly as Slack sends each kind over HTTP."""
    if kind == "slash_commands":
        fields = {k: _form_value(v) for k, v in payload.items()}
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if kind == "interactive":
        body = urllib.parse.urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
        return body.encode(), "application/x-www-form-urlencoded"
    if kind == "events_api":
        return json.dumps(payload).encode(), "application/json"
    raise ValueError(f"unknown delivery kind {kind!r}; expected one of {KINDS}")


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def build_headers(
    signing_secret: str,
    body: bytes,
    content_type: str,
    *,
    timestamp: int | str | None = None,
    signature: str | None = None,
    retry_num: int = 0,
    retry_reason: str = "",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    headers = {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "Accept": "application/json,*/*",
    }
    signed = signed_headers(signing_secret, body, timestamp=timestamp)
    if timestamp != "":
        headers["X-Slack-Request-Timestamp"] = signed["X-Slack-Request-Timestamp"]
    if signature is None:
        headers["X-Slack-Signature"] = signed["X-Slack-Signature"]
    elif signature != "":
        headers["X-Slack-Signature"] = signature
    if retry_num > 0:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    headers.update(extra or {})
    return headers


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    kind: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Delivery:
    """POST and report; a timeout or refused connection is a failed delivery, not an error."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"http_target must be an http(s) URL, got {url!r}")
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    started = time.monotonic()
    result = Delivery(kind=kind, via="http", payload=payload)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        result.status = response.status
        result.headers = dict(response.getheaders())
        result.body = _parse_body(raw, response.getheader("Content-Type", ""))
    except TimeoutError:
        result.error = "http_timeout"
    except ConnectionError:
        result.error = "connection_failed"
    finally:
        conn.close()
        result.elapsed = time.monotonic() - started
    return result


def judge_deadline(result: Delivery, deadline: float) -> None:
    """Slack gives up after `deadline` seconds: a later answer is late and not applied.

    What a failure is called: `operation_timeout` is what the person sees for a command
    or an interaction; the Events API retries with reason `http_timeout`.
    """
    timed_out = result.error == "http_timeout"
    if result.status is not None and (result.elapsed or 0.0) > deadline:
        result.late = True
        timed_out = True
    if timed_out:
        result.error = "http_timeout" if result.kind == "events_api" else "operation_timeout"


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
