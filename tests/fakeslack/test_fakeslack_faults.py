"""Recorded calls and injected faults: rate limits, errors, 5xx, latency."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from fakeslack import FakeSlack

GENERAL = "C024BE91L"


def test_calls_are_recorded_with_decoded_params(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel=GENERAL, text="hello", blocks=[{"type": "divider"}])
    with pytest.raises(SlackApiError):
        client.conversations_create(name="Bad Name")
    post, create = slack.calls
    assert post.method == "chat.postMessage" and post.status == 200 and post.ok
    assert post.params == {"channel": GENERAL, "text": "hello", "blocks": [{"type": "divider"}]}
    assert post.token == "xoxb-test-token"
    assert post.started_at <= post.finished_at
    assert post.response["ts"] == slack.messages(GENERAL)[0]["ts"]
    assert create.params == {"name": "Bad Name"} and create.error == "invalid_name_specials"
    assert slack.calls_to("conversations.create") == [create]


def test_wait_for_call_blocks_until_the_call_happens(client: WebClient, slack: FakeSlack) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel=GENERAL, text="late"))
    timer.start()
    try:
        call = slack.wait_for_call(
            "chat.postMessage", timeout=3, where=lambda c: c.params.get("text") == "late"
        )
    finally:
        timer.join()
    assert call.response["message"]["text"] == "late"


def test_wait_for_call_counts_and_explains_timeouts(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel=GENERAL, text="one")
    client.chat_postMessage(channel=GENERAL, text="two")
    assert slack.wait_for_call("chat.postMessage", count=2).params["text"] == "two"
    with pytest.raises(AssertionError) as info:
        slack.wait_for_call("views.open", timeout=0.05)
    assert "chat.postMessage" in str(info.value) and "views.open" in str(info.value)


def test_rate_limit_answers_429_with_retry_after(client: WebClient, slack: FakeSlack) -> None:
    slack.faults.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel=GENERAL, text="x")
    response = info.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert {k.lower(): v for k, v in response.headers.items()}["retry-after"] == "7"
    # The fault is used up; the call is recorded with its status and left no message.
    assert slack.calls_to("chat.postMessage")[0].status == 429
    assert slack.messages(GENERAL) == []
    assert client.chat_postMessage(channel=GENERAL, text="x")["ok"]


def test_retry_handler_gets_through_a_rate_limit(slack: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-test-token",
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    slack.faults.rate_limit("conversations.create", times=1, retry_after=0)
    channel = client.conversations_create(name="inc-retry")["channel"]
    assert [c.status for c in slack.calls_to("conversations.create")] == [429, 200]
    assert slack.channel_by_name("inc-retry")["id"] == channel["id"]


def test_error_fault_with_extra_fields_does_not_change_state(
    client: WebClient, slack: FakeSlack
) -> None:
    slack.faults.error(
        "conversations.create",
        "missing_scope",
        times=2,
        extra={"needed": "groups:write", "provided": "chat:write"},
    )
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.conversations_create(name="inc-private", is_private=True)
        assert info.value.response.data == {
            "ok": False,
            "error": "missing_scope",
            "needed": "groups:write",
            "provided": "chat:write",
        }
    assert slack.channel_by_name("inc-private") is None
    assert client.conversations_create(name="inc-private", is_private=True)["ok"]


def test_server_error_and_wildcard_faults(client: WebClient, slack: FakeSlack) -> None:
    slack.faults.server_error("*", status=503)
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U024BE7LH")
    assert info.value.response.status_code == 503
    assert client.users_info(user="U024BE7LH")["ok"]


def test_latency_is_per_method_and_does_not_block_other_calls(
    client: WebClient, slack: FakeSlack
) -> None:
    slack.faults.latency("conversations.create", 0.5)
    other = WebClient(token="xoxb-test-token", base_url=slack.api_url)
    slow = threading.Thread(target=lambda: client.conversations_create(name="inc-slow"))
    slow.start()
    time.sleep(0.1)
    other.auth_test()
    slow.join()
    slow_call = slack.wait_for_call("conversations.create")
    fast_call = slack.wait_for_call("auth.test")
    assert slow_call.duration >= 0.5
    # auth.test ran while conversations.create was still sleeping.
    assert fast_call.finished_at < slow_call.finished_at and fast_call.duration < 0.2
    slack.faults.clear()
    client.conversations_create(name="inc-fast")
    assert slack.calls_to("conversations.create")[-1].duration < 0.2


def test_reset_restores_the_seeded_workspace(client: WebClient, slack: FakeSlack) -> None:
    client.conversations_create(name="inc-gone")
    client.conversations_join(channel="C07INCIDNTS")
    slack.faults.error("auth.test", "fatal_error")
    slack.reset()
    assert slack.calls == [] and slack.channel_by_name("inc-gone") is None
    assert "U06HBQK1R2S" not in slack.channels["C07INCIDNTS"]["members"]
    assert client.auth_test()["ok"]


def test_latency_with_jitter_lets_calls_land_out_of_order(slack: FakeSlack) -> None:
    """Slack's latency varies: of calls sent one after another, a later one may land first."""
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    slack.faults.latency("auth.test", 0.01, jitter=0.3)
    threads = [threading.Thread(target=client.auth_test) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    durations = [c.duration for c in slack.calls_to("auth.test")]
    assert len(durations) == 12 and max(durations) - min(durations) > 0.05
    slack.faults.latency("auth.test", 0)
    assert slack.faults.delay_for("auth.test") == 0
