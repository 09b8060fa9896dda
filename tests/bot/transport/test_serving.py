"""Serving Slack: in HTTP mode every request's signature is checked and health follows the
database; in Socket Mode the connection survives disconnect frames and redelivers safely."""

from __future__ import annotations

import json
import time

import pytest
from freezegun import freeze_time

from bot.features.deps import Deps
from bot.slack.client import make_client
from bot.transport.app import build_app
from bot.transport.serving import create_http_app
from fakeslack import FakeSlack
from models import Incident, TimelineEvent, init_database
from testkit.harness import ALICE, BOB, RunningBot, settings_for
from tests.bot.flows import declare

# Slack's worked example from "Verifying requests from Slack".
EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EXAMPLE_TIMESTAMP = "1531420618"
EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
EXAMPLE_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


@pytest.mark.parametrize("mode", ["http"])
def test_bad_signatures_get_401_and_change_nothing(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Signed only")
    with database.connection_context():
        incident = Incident.get()
    ts = slack.post_message(incident.channel_id, BOB, "pin me if you can")
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev0FORGED01",
            "team_id": "T024BE7LD",
            "event": {
                "type": "pin_added",
                "user": ALICE,
                "channel_id": incident.channel_id,
                "item": {
                    "type": "message",
                    "channel": incident.channel_id,
                    "message": {
                        "type": "message",
                        "user": BOB,
                        "ts": ts,
                        "text": "pin me if you can",
                    },
                },
            },
        }
    )
    calls_before = len(slack.calls)
    attempts = [
        {"signature": "v0=" + "0" * 64},  # wrong
        {"signature": ""},  # missing signature
        {"timestamp": str(int(time.time()) - 301)},  # stale: signed, but 5 min + 1 s old
        {"signature": "", "timestamp": ""},  # no headers at all
    ]
    for attempt in attempts:
        answer = slack.post_signed(body, content_type="application/json", **attempt)
        assert answer.status == 401, attempt
    command = (
        "command=%2Fincident&text=forged&user_id=U024BE7LH&channel_id=C024BE91L&trigger_id=1.2.3"
    )
    answer = slack.post_signed(
        command, content_type="application/x-www-form-urlencoded", signature="v0=" + "1" * 64
    )
    assert answer.status == 401
    assert slack.calls[calls_before:] == []
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 0
    # The same event, properly signed, goes through.
    assert slack.post_signed(body, content_type="application/json").status == 200
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 1


def test_slacks_documented_signature_example_verifies(
    slack: FakeSlack, database, database_url: str
) -> None:
    settings = settings_for(
        slack, "http", database_url, env={"SLACK_SIGNING_SECRET": EXAMPLE_SECRET}
    )
    deps = Deps.create(settings)
    web = create_http_app(
        build_app(settings, make_client(settings.bot_token, settings.slack_api_url), deps)
    )
    body = EXAMPLE_BODY
    good = {
        "X-Slack-Request-Timestamp": EXAMPLE_TIMESTAMP,
        "X-Slack-Signature": EXAMPLE_SIGNATURE,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    try:
        client = web.test_client()
        with freeze_time("2018-07-12 18:36:58", tz_offset=0):  # = 1531420618
            assert time.time() == int(EXAMPLE_TIMESTAMP)
            accepted = client.post("/slack/events", data=body, headers=good)
            tampered = client.post(
                "/slack/events", data=body.replace("text=", "text=x"), headers=good
            )
        with freeze_time("2018-07-12 18:42:00", tz_offset=0):  # five minutes and two seconds on
            stale = client.post("/slack/events", data=body, headers=good)
    finally:
        deps.close()
    # Verified: it reaches Bolt's routing, which has no listener for /webhook-collect.
    assert accepted.status_code == 404
    assert tampered.status_code == 401
    assert stale.status_code == 401


def test_healthz_follows_the_database(slack: FakeSlack, database, database_url: str) -> None:
    settings = settings_for(slack, "http", database_url)
    deps = Deps.create(settings)
    web = create_http_app(
        build_app(settings, make_client(settings.bot_token, settings.slack_api_url), deps)
    )
    try:
        for path in ("/healthz", "/readyz", "/livez"):
            assert web.test_client().get(path).status_code == 200, path
        init_database("postgresql://nobody@127.0.0.1:1/nothing")
        for path in ("/healthz", "/readyz"):
            answer = web.test_client().get(path)
            assert answer.status_code == 503
            assert answer.get_json() == {"status": "database unavailable"}
        assert web.test_client().get("/livez").status_code == 200
    finally:
        init_database(database_url)
        deps.close()


@pytest.mark.parametrize("mode", ["http"])
def test_a_command_whose_text_says_payload_is_read_as_the_command_it_is(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    declare(slack, "Uploads failing")
    with database.connection_context():
        incident = Incident.get()
    delivery = slack.slash_command(
        "note payload size doubled at 10:02", channel=incident.channel_id
    )
    assert delivery.status == 200, delivery
    assert "Added to the timeline" in json.dumps(delivery.body)
    with database.connection_context():
        notes = [e.text for e in TimelineEvent.select().where(TimelineEvent.kind == "note")]
    assert notes == ["payload size doubled at 10:02"]
    # And what follows the ack (Bolt runs it on a copy of the request) reads it right too.
    assert slack.slash_command("summary payload API returns 500", channel=incident.channel_id).ok
    slack.wait_for_call(
        "chat.update",
        where=lambda c: "payload API returns 500" in json.dumps(c.params.get("blocks")),
        timeout=10,
    )


@pytest.mark.parametrize("mode", ["http"])
def test_slacks_ssl_check_is_answered_200_and_does_nothing(
    slack: FakeSlack, bot: RunningBot, database
) -> None:
    calls_before = len(slack.calls)
    # Slack's certificate probe of the command URL: a form with ssl_check=1 and a token.
    answer = slack.post_signed(
        "ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO",
        content_type="application/x-www-form-urlencoded",
        signature="",
        timestamp="",
    )
    assert answer.status == 200
    assert slack.calls[calls_before:] == []


# Socket Mode: the connection survives Slack's disconnect frames and redelivers safely.
@pytest.mark.parametrize("mode", ["socket"])
@pytest.mark.parametrize("reason", ["warning", "refresh_requested", "link_disabled"])
def test_disconnect_frame_reconnects_and_keeps_working(
    slack: FakeSlack, bot: RunningBot, database, reason: str
) -> None:
    opened = len(slack.calls_to("apps.connections.open"))
    slack.disconnect(reason)
    slack.wait_for_call("apps.connections.open", count=opened + 1, timeout=5)
    slack.wait_for_socket_connections(1)
    declare(slack, f"After {reason}")
    with database.connection_context():
        assert Incident.select().count() == 1


@pytest.mark.parametrize("mode", ["socket"])
def test_redelivered_envelope_is_stored_once(slack: FakeSlack, bot: RunningBot, database) -> None:
    declare(slack, "Redelivery")
    with database.connection_context():
        incident = Incident.get()
    ts = slack.post_message(incident.channel_id, BOB, "spike at 13:05")
    first = slack.pin(incident.channel_id, ts, ALICE)
    assert first.ok
    again = slack.deliver("events_api", first.payload, retry_num=1, retry_reason="timeout")
    assert again.ok
    with database.connection_context():
        assert TimelineEvent.select().where(TimelineEvent.kind == "pin").count() == 1
