"""The gate in front of Bolt in HTTP mode: size limit, signature, then a well-formed body.

Bolt parses a body while building its request, before its own signature check, so garbage
would answer 500 whoever sent it. Here nothing is parsed before the signature is checked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; refuse anything above
REPLAY_WINDOW_SECONDS = 300  # Slack's five minutes; exactly 300 s still passes, as in slack_sdk
MAX_DEPTH = 32  # Slack's deepest payloads (views in block_actions) stay well under this


class Refused(Exception):
    """The request is answered `status` with `{"error": reason}` and never reaches Bolt."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    text: str  # the body, decoded; Bolt parses it again, as it always does
    body: dict[str, Any]


_CHUNK_BYTES = 64 * 1024


def read_limited(content_length: int | None, read: Callable[[int], bytes]) -> bytes:
    """The raw body, refused (413) when declared or found to be over the limit (chunked).

    Reads what was declared, or 64 KiB at a time when nothing was: asking the WSGI stream for
    the whole limit at once makes it allocate (and shift) a 1 MiB buffer on every request.
    """
    if content_length is not None and content_length > MAX_BODY_BYTES:
        raise Refused(413, "request body too large")
    limit = MAX_BODY_BYTES + 1 if content_length is None else content_length
    step = _CHUNK_BYTES if content_length is None else content_length
    chunks: list[bytes] = []
    received = 0
    while received < limit:
        chunk = read(min(limit - received, step))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > MAX_BODY_BYTES:
        raise Refused(413, "request body too large")
    return b"".join(chunks)


def is_signed(secret: str, raw: bytes, headers: dict[str, str], now: float) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes of `now`.

    Not slack_sdk's SignatureVerifier: it decodes the body as UTF-8 (so a signed body that is
    not UTF-8 cannot be told from a forged one) and int()s any timestamp header (so "abc"
    raises). Bolt still runs SignatureVerifier afterwards, on bodies that passed this.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    timestamp = lower.get("x-slack-request-timestamp", "")
    signature = lower.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature):
        return False
    if abs(now - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def media_type(content_type: str | None) -> str:
    """'application/json; charset=utf-8' → 'application/json'."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_ssl_check(raw: bytes, content_type: str | None) -> bool:
    """Slack's certificate probe of a slash command's URL: a form with ssl_check=1. It asks
    for nothing but a 200, so it is answered before (and without) any signature check."""
    if media_type(content_type) != FORM or len(raw) > 1024 or b"ssl_check=1" not in raw:
        return False
    try:
        fields = dict(parse_qsl(raw.decode("ascii"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("ssl_check") == "1" and "command" not in fields and "payload" not in fields


def parse(text: str, content_type: str | None) -> Any:
    """The body by its declared content type: JSON for events; a form for slash commands,
    whose one `payload` field holds the JSON of an interactive payload.

    Not Bolt's parse_body: it decides a form is interactive when the word "payload" appears
    anywhere in it, so `/incident note payload size doubled` read as an empty body.
    """
    kind = media_type(content_type)
    if kind == JSON:
        return json.loads(text)
    if kind != FORM:
        raise Refused(415, "unsupported content type")
    fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    if "payload" in fields and "command" not in fields:
        return json.loads(fields["payload"])
    return fields


def check(secret: str, raw: bytes, headers: dict[str, str], content_type: str | None) -> Checked:
    """401 unless signed within the replay window; then 400 unless a well-formed payload."""
    if not is_signed(secret, raw, headers, time.time()):
        raise Refused(401, "invalid request")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    try:
        body = parse(text, content_type)
    except (ValueError, RecursionError):
        raise Refused(400, "malformed body") from None
    if not isinstance(body, dict):
        raise Refused(400, "body is not an object")
    if _depth(body) > MAX_DEPTH:
        raise Refused(400, "body nested too deeply")
    problem = shape_problem(body)
    if problem:
        raise Refused(400, problem)
    return Checked(text, body)


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _is_str(body: dict[str, Any], key: str) -> bool:
    return isinstance(body.get(key), str)


def _dict(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    return value if isinstance(value, dict) else None


# A check of one part of a payload: what is wrong with it, or None. Given the payload's kind
# for the message.
Check = Callable[[dict[str, Any], str], "str | None"]


def _needs(key: str, problem: str) -> Check:
    return lambda body, kind: None if _is_str(body, key) else problem.format(kind=kind, key=key)


def _team_and_enterprise(body: dict[str, Any], kind: str) -> str | None:
    for key in ("team", "enterprise"):  # Bolt reads these as an id or an object with one
        if key in body and body[key] is not None and not isinstance(body[key], str | dict):
            return f"malformed {key}"
    return None


def _authorizations(body: dict[str, Any], kind: str) -> str | None:
    found = body.get("authorizations")
    if found is None or (isinstance(found, list) and all(isinstance(a, dict) for a in found)):
        return None
    return "malformed authorizations"


def _event(body: dict[str, Any], kind: str) -> str | None:
    event = _dict(body, "event")
    return None if event is not None and _is_str(event, "type") else f"{kind} without an event type"


def _user(body: dict[str, Any], kind: str) -> str | None:
    user = _dict(body, "user")
    return None if user is not None and _is_str(user, "id") else f"{kind} without a user"


def _trigger(body: dict[str, Any], kind: str) -> str | None:
    return (
        "malformed trigger_id" if "trigger_id" in body and not _is_str(body, "trigger_id") else None
    )


def _actions(body: dict[str, Any], kind: str) -> str | None:
    actions = body.get("actions")
    if (
        isinstance(actions, list)
        and actions
        and all(isinstance(a, dict) and _is_str(a, "action_id") for a in actions)
    ):
        return None
    return f"{kind} without actions"


def _view(body: dict[str, Any], kind: str) -> str | None:
    view = _dict(body, "view")
    if view is None or not all(_is_str(view, k) for k in ("id", "type", "callback_id")):
        return f"{kind} without a view"
    if "private_metadata" in view and not _is_str(view, "private_metadata"):
        return "malformed private_metadata"
    return None


def _state(body: dict[str, Any], kind: str) -> str | None:
    state = _dict(_dict(body, "view") or {}, "state")
    return (
        None
        if state is not None and _dict(state, "values") is not None
        else f"{kind} without state values"
    )


_INTERACTIVE = (_user, _trigger)
_CALLBACK_ID = _needs("callback_id", "{kind} without a {key}")
# What Slack always sends, by the payload's kind: listeners may rely on these and must treat
# everything else they read as optional. Every typed payload is checked by _TYPED first.
_SLASH: tuple[Check, ...] = tuple(
    _needs(key, "slash command without {key}") for key in ("command", "user_id", "trigger_id")
)
_TYPED: tuple[Check, ...] = (_team_and_enterprise, _authorizations)
_BY_KIND: dict[str, tuple[Check, ...]] = {
    "url_verification": (_needs("challenge", "{kind} without {key}"),),
    "event_callback": (_event,),
    "block_actions": (*_INTERACTIVE, _actions),
    "view_submission": (*_INTERACTIVE, _view, _state),
    "view_closed": (*_INTERACTIVE, _view),
    "shortcut": (*_INTERACTIVE, _CALLBACK_ID),
    "message_action": (*_INTERACTIVE, _CALLBACK_ID),
    "block_suggestion": _INTERACTIVE,
}


def shape_problem(body: dict[str, Any]) -> str | None:
    """What a payload lacks of the fields Slack always sends for its kind (None: nothing)."""
    slash = "command" in body  # form fields, all strings; everything else is typed JSON
    kind = "command" if slash else body.get("type")
    if not isinstance(kind, str):
        return "payload without a type"
    checks = _SLASH if slash else _TYPED + _BY_KIND.get(kind, ())
    return next((p for p in (check(body, kind) for check in checks) if p is not None), None)


def error_body(reason: str) -> str:
    return json.dumps({"error": reason})
