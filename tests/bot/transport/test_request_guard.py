"""HTTP mode against hostile requests: size limit, signatures whatever the headers, replays,
and signed bodies that are not what Slack sends. All through the running bot's real port."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from fakeslack import FakeSlack
from fakeslack.signing import sign
from models import AuditEntry, Delivery, Incident, StatusChange, TimelineEvent
from testkit.harness import ALICE, GENERAL, SIGNING_SECRET, RunningBot

pytestmark = pytest.mark.parametrize("mode", ["http"])

MIB = 1024 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

COMMAND = urllib.parse.urlencode(
    {
        "command": "/incident",
        "text": "list",
        "user_id": ALICE,
        "channel_id": GENERAL,
        "trigger_id": "1.2.3",
        "team_id": "T024BE7LD",
    }
)
EVENT = json.dumps(
    {
        "type": "event_callback",
        "event_id": "Ev0HOSTILE1",
        "team_id": "T024BE7LD",
        "event": {"type": "app_mention", "user": ALICE, "channel": GENERAL, "text": "help"},
    }
)

# Bodies that must never be parsed unless signed.
GARBAGE: list[tuple[str, bytes, str]] = [
    ("malformed json", b'{"type": "event_callback", ', JSON),
    ("not utf-8", b'{"type": "\xff\xfe\xc3\x28"}', JSON),
    ("deep json", b'{"a":' * 5000 + b"1" + b"}" * 5000, JSON),
    ("json array", b"[1, 2, 3]", JSON),
    ("form with bad payload", b"payload=%7Bnot+json", FORM),
    # Slack's ssl_check probe is answered unsigned, but only when it is nothing else.
    ("ssl check carrying a command", b"ssl_check=1&" + COMMAND.encode(), FORM),
    ("ssl check carrying a payload", b"ssl_check=1&payload=%7B%22type%22%3A%22x%22%7D", FORM),
    ("url verification", b'{"type":"url_verification","challenge":"c"}', JSON),
    ("a real command", COMMAND.encode(), FORM),
    ("binary", bytes(range(256)), "application/octet-stream"),
    ("empty", b"", FORM),
]


def _now() -> int:
    return int(time.time())


def _header_variants(body: bytes) -> list[tuple[str, dict[str, str | None]]]:
    """(name, {"timestamp":…, "signature":…, extra…}) where the signature cannot be valid."""
    now = _now()
    good = sign(SIGNING_SECRET, now, body)
    return [
        ("no headers", {"timestamp": "", "signature": ""}),
        ("no signature", {"signature": ""}),
        ("no timestamp", {"timestamp": "", "signature": good}),
        ("zeros", {"signature": "v0=" + "0" * 64}),
        ("other secret", {"signature": sign("not-the-secret", now, body)}),
        ("other body", {"signature": sign(SIGNING_SECRET, now, body + b" ")}),
        ("other timestamp", {"timestamp": str(now - 1), "signature": good}),
        ("v1 scheme", {"signature": "v1=" + good[3:]}),
        ("upper-case hex", {"signature": "v0=" + good[3:].upper()}),
        ("truncated", {"signature": good[:-2]}),
        ("padded", {"signature": good + "00"}),
        ("two signatures", {"signature": f"{good}, {good}"}),
        ("text timestamp", {"timestamp": "yesterday", "signature": good}),
        ("float timestamp", {"timestamp": f"{now}.5", "signature": good}),
        ("negative timestamp", {"timestamp": "-1", "signature": good}),
        ("huge timestamp", {"timestamp": "9" * 40, "signature": good}),
        ("stale", {"timestamp": str(now - 301)}),
        ("from the future", {"timestamp": str(now + 330)}),  # margin: the clock moves on
        (
            "signature in a lookalike header",
            {"signature": "", "X-Slack-Signature-": good, "X-Slack-Sig": good},
        ),
        ("ssl check header", {"signature": "", "X-Slack-SSL-Check": "1"}),
        (
            "retry headers",
            {"signature": "", "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        ),
        (
            "forwarded",
            {"signature": "", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"},
        ),
    ]


def _post(slack: FakeSlack, body: bytes, content_type: str, variant: dict[str, str | None]):
    options = dict(variant)
    timestamp, signature = options.pop("timestamp", None), options.pop("signature", None)
    extra = {k: v for k, v in options.items() if v is not None}
    return slack.post_signed(
        body,
        content_type=content_type,
        timestamp=timestamp,
        signature=signature,
        extra_headers=extra,
    )


def _row_counts(database) -> dict[str, int]:
    with database.connection_context():
        return {
            model.__name__: model.select().count()
            for model in (Incident, StatusChange, TimelineEvent, AuditEntry, Delivery)
        }


def test_unsigned_requests_get_401_whatever_the_body_and_headers(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    calls_before, rows_before = len(slack.calls), _row_counts(database)
    answers = {}
    for name, body, content_type in GARBAGE:
        for variant_name, variant in _header_variants(body):
            answer = _post(slack, body, content_type, variant)
            answers[(name, variant_name)] = answer.status
            assert answer.body == {"error": "invalid request"}, (name, variant_name, answer)
    assert {k: v for k, v in answers.items() if v != 401} == {}
    assert slack.calls[calls_before:] == []
    assert _row_counts(database) == rows_before


def test_signed_but_malformed_bodies_get_400(slack: FakeSlack, bot: RunningBot, database) -> None:
    rows_before = _row_counts(database)
    malformed = [
        (b'{"type": "event_callback", ', JSON),
        (b"{'type': 'event_callback'}", JSON),
        ('{"type": "event_callback", "x": "\udcff"}'.encode("utf-8", "surrogatepass"), JSON),
        (b'{"type": "\xff\xfe"}', JSON),
        (b"payload=%FF%FE", FORM),  # percent-decoded to bytes that are not UTF-8
        (b"\xc3\x28=1", FORM),
        (b'{"a":' * 40 + b"1" + b"}" * 40, JSON),  # deeper than any Slack payload
        (b"[" * 100_000 + b"]" * 100_000, JSON),  # deep enough to break a recursive parser
        (b'{"type":"event_callback","event":' + b"[" * 50_000 + b"]" * 50_000 + b"}", JSON),
        (b"[]", JSON),
        (b'"a string"', JSON),
        (b"null", JSON),
        (b"123", JSON),
        (b"payload=%5B%5D", FORM),  # payload=[]
        (b"payload=not+json", FORM),
        (b"payload=" + urllib.parse.quote(b'{"a":' * 60 + b"1" + b"}" * 60).encode(), FORM),
        (b"", FORM),
        (b"{}", JSON),
        (b"token=x&team_id=T1", FORM),  # a form without command or payload
        (b'{"type": "event_callback"}', JSON),  # no event
        (b'{"type": "event_callback", "event": "pin_added"}', JSON),
        (b'{"type": "event_callback", "event": {"type": 7}}', JSON),
        (b'{"type": 5}', JSON),
        (b'{"type": "event_callback", "authorizations": "x", "event": {"type": "x"}}', JSON),
        (b'{"type": "event_callback", "enterprise": 5, "event": {"type": "x"}}', JSON),
        (b"command=%2Fincident&text=list", FORM),  # no user, no trigger
        (_form_payload({"type": "block_actions", "user": {"id": ALICE}}), FORM),
        (_form_payload({"type": "block_actions", "user": {"id": ALICE}, "actions": [7]}), FORM),
        (_form_payload({"type": "block_actions", "actions": [{"action_id": "x"}]}), FORM),
        (_form_payload({"type": "view_submission", "user": {"id": ALICE}, "view": {}}), FORM),
        (_form_payload({"type": "view_submission", "user": "U1", "view": {}}), FORM),
        (
            _form_payload(
                {
                    "type": "view_submission",
                    "user": {"id": ALICE},
                    "view": {"id": "V1", "type": "modal", "callback_id": "incident_declare"},
                }
            ),
            FORM,
        ),
        (
            _form_payload(
                {"type": "shortcut", "user": {"id": ALICE}, "trigger_id": 5, "callback_id": "x"}
            ),
            FORM,
        ),
    ]
    statuses = {}
    for body, content_type in malformed:
        answer = slack.post_signed(body, content_type=content_type)
        statuses[body[:60]] = answer.status
        assert isinstance(answer.body, dict) and "error" in answer.body, answer
    assert {k: v for k, v in statuses.items() if v != 400} == {}
    assert _row_counts(database) == rows_before


def _form_payload(payload: object) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def test_bodies_over_one_mib_are_refused_before_parsing(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    padding = " " * (MIB + 1 - len(EVENT))  # JSON whitespace: a valid, signed, huge body
    huge = (EVENT[:-1] + padding + "}").encode()
    assert len(huge) == MIB + 1
    assert slack.post_signed(huge, content_type=JSON).status == 413
    # Unsigned garbage declared huge: refused on its Content-Length, unparsed. (waitress
    # buffers a whole body before the app runs, so it is sent in full.)
    assert _declared_length(slack, 3 * MIB).status == 413
    # Chunked: no length is declared; the body read is counted.
    assert _chunked(slack, huge).status == 413
    # At the limit it is read, verified and handled.
    at_limit = (EVENT[:-1] + padding[1:] + "}").encode()
    assert len(at_limit) == MIB
    assert slack.post_signed(at_limit, content_type=JSON).status == 200
    assert _chunked(slack, EVENT.encode()).status == 200


def _connection(slack: FakeSlack) -> tuple[http.client.HTTPConnection, str]:
    assert slack.http_target is not None
    parts = urllib.parse.urlsplit(slack.http_target)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10), parts.path


def _declared_length(slack: FakeSlack, length: int) -> http.client.HTTPResponse:
    conn, path = _connection(slack)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", JSON)
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        conn.send(b"{" * length)
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def _chunked(slack: FakeSlack, body: bytes) -> http.client.HTTPResponse:
    conn, path = _connection(slack)
    ts = str(_now())

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    try:
        conn.request(
            "POST",
            path,
            body=chunks(),
            headers={
                "Content-Type": JSON,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
            },
            encode_chunked=True,
        )
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def test_a_valid_request_replayed_after_five_minutes_is_refused(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    body = COMMAND.encode()
    now = _now()
    # The same bytes and headers as captured 299 s ago still pass; 301 s ago they do not.
    fresh = slack.post_signed(body, content_type=FORM, timestamp=now - 299)
    assert fresh.status == 200, fresh
    for age in (301, 3600, 86_400 * 365):
        old = slack.post_signed(body, content_type=FORM, timestamp=now - age)
        assert old.status == 401, age
    future = slack.post_signed(body, content_type=FORM, timestamp=now + 330)
    assert future.status == 401


def test_well_formed_signed_requests_still_work(slack: FakeSlack, bot: RunningBot) -> None:
    challenge = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV"})
    answer = slack.post_signed(challenge, content_type=JSON)
    assert (answer.status, answer.body) == (200, {"challenge": "3eZbrw1aBm2rZgRNFdxV"})
    headers = {name.lower(): value for name, value in answer.headers.items()}
    assert headers["content-type"].startswith("application/json")
    # The length of the body as sent (Bolt's JSON spacing, whichever it uses).
    assert int(headers["content-length"]) in {
        len(json.dumps(answer.body)),
        len(json.dumps(answer.body, separators=(",", ":"))),
    }
    # Slack's content type with a charset, and header names in any case.
    answer = slack.post_signed(
        EVENT,
        content_type="application/json; charset=utf-8",
        extra_headers={"x-slack-retry-num": "0"},
    )
    assert answer.status == 200
    listed = slack.post_signed(COMMAND, content_type=FORM)
    assert listed.status == 200 and "incident" in json.dumps(listed.body).lower()
    # Anything but a POST goes on to Flask, which has no such route.
    assert slack.http_target is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(slack.http_target, timeout=5)
    refused.value.close()
    assert refused.value.code in (404, 405)
