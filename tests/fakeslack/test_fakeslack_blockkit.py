"""Block Kit and view limits as Slack counts them, message text limits, and the record of
refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from fakeslack import FakeSlack
from fakeslack.blockkit import message_problems, sent_len, view_problems

GENERAL, ALICE = "C024BE91L", "U024BE7LH"


def section(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": "section", "text": {"type": kind, "text": text}}


def modal(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": "Declare"},
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "v"},
            }
        ],
    }
    view.update(overrides)
    return view


def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        call()
    return dict(raised.value.response.data)


def test_section_text_is_counted_as_sent(slack: FakeSlack, client: WebClient) -> None:
    assert client.chat_postMessage(channel=GENERAL, text="t", blocks=[section("x" * 3000)])["ok"]
    body = refused(
        lambda: client.chat_postMessage(channel=GENERAL, text="t", blocks=[section("x" * 3001)])
    )
    assert body["error"] == "invalid_blocks"
    assert body["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    # Counted in characters of the decoded text, whatever the language: 3,000 "é" fit; an
    # emoji beyond the Basic Multilingual Plane counts two, as in a JavaScript string.
    assert sent_len("é" * 1000) == 1000 and sent_len("🔥") == 2
    assert client.chat_postMessage(channel=GENERAL, text="t", blocks=[section("é" * 3000)])["ok"]
    assert (
        refused(
            lambda: client.chat_postMessage(
                channel=GENERAL, text="t", blocks=[section("🔥" * 1501)]
            )
        )["error"]
        == "invalid_blocks"
    )
    # JSON text carrying \\u escapes (metadata made with json.dumps) counts the escapes.
    assert sent_len(json.dumps("é" * 500)) == 3002
    assert [c.error for c in slack.refusals] == ["invalid_blocks", "invalid_blocks"]


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (section(""), "/blocks/0/text/text"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}, "/blocks/0/fields"),
        (
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
            "/blocks/0/fields/0/text",
        ),
        (
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
            "/blocks/0/text/text",
        ),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}, "/blocks/0/text/type"),
        (
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
            "/blocks/0/elements",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b"},
                        "action_id": f"a{i}",
                    }
                    for i in range(26)
                ],
            },
            "/blocks/0/elements",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b" * 76},
                        "action_id": "a",
                    }
                ],
            },
            "/blocks/0/elements/0/text/text",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b"},
                        "value": "v" * 2001,
                    }
                ],
            },
            "/blocks/0/elements/0/value",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b"},
                        "confirm": {
                            "title": {"type": "plain_text", "text": "t" * 101},
                            "text": {"type": "plain_text", "text": "sure?"},
                            "confirm": {"type": "plain_text", "text": "Yes"},
                            "deny": {"type": "plain_text", "text": "No"},
                        },
                    }
                ],
            },
            "/blocks/0/elements/0/confirm/title/text",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o"}, "value": str(i)}
                            for i in range(101)
                        ],
                    }
                ],
            },
            "/blocks/0/elements/0/options",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o" * 76}, "value": "1"}
                        ],
                    }
                ],
            },
            "/blocks/0/elements/0/options/0/text/text",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}
                        ],
                    }
                ],
            },
            "/blocks/0/elements/0/options/0/value",
        ),
        ({"type": "divider", "block_id": "b" * 256}, "/blocks/0/block_id"),
    ],
)
def test_message_block_limits(block: dict[str, Any], pointer: str) -> None:
    problems = message_problems([block])
    assert any(p.endswith(f"[json-pointer:{pointer}]") for p in problems), problems


def test_block_ids_are_unique_and_messages_hold_50_blocks() -> None:
    twice = [{"type": "divider", "block_id": "same"}] * 2
    assert message_problems(twice) == [
        "[ERROR] block_id must be unique [json-pointer:/blocks/1/block_id]"
    ]
    assert message_problems([{"type": "divider"}] * 51) == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"close": {"type": "plain_text", "text": "c" * 25}}, "/view/close/text"),
        ({"callback_id": "c" * 256}, "/view/callback_id"),
        ({"private_metadata": json.dumps(["é" * 500])}, "/view/private_metadata"),
    ],
)
def test_view_limits(overrides: dict[str, Any], pointer: str) -> None:
    problems = view_problems(modal(**overrides))
    assert any(p.endswith(f"[json-pointer:{pointer}]") for p in problems), problems


def test_text_input_lengths() -> None:
    def field(**element: Any) -> dict[str, Any]:
        return modal(
            blocks=[
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "l" * 2001},
                    "hint": {"type": "plain_text", "text": "h"},
                    "element": {"type": "plain_text_input", "action_id": "v", **element},
                }
            ]
        )

    assert view_problems(field()) == [
        "[ERROR] must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]"
    ]
    problems = view_problems(field(max_length=10, initial_value="x" * 11, min_length=3001))
    assert (
        "[ERROR] must be less than 11 characters "
        "[json-pointer:/view/blocks/0/element/initial_value]" in problems
    )
    assert any("/element/min_length]" in p for p in problems)
    assert any("/element/max_length]" in p for p in view_problems(field(max_length=0)))
    assert any("initial_value" in p for p in view_problems(field(initial_value="x" * 3001)))
    placeholder = {"type": "plain_text", "text": "p" * 151}
    assert any(
        "/element/placeholder/text]" in p for p in view_problems(field(placeholder=placeholder))
    )


def test_views_open_refuses_big_views(slack: FakeSlack, client: WebClient) -> None:
    body = refused(
        lambda: client.views_open(
            trigger_id=slack.issue_trigger_id(), view=modal(private_metadata="x" * 3001)
        )
    )
    assert body["error"] == "invalid_arguments"
    huge = modal(blocks=[section("x" * 2900) for _ in range(90)])
    assert (
        refused(lambda: client.views_open(trigger_id=slack.issue_trigger_id(), view=huge))["error"]
        == "view_too_large"
    )


def test_message_text_limits(slack: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=GENERAL, text="x" * 40_005)
    assert len(posted["message"]["text"]) == 40_000  # Slack truncates, it does not refuse
    assert (
        refused(lambda: client.chat_update(channel=GENERAL, ts=posted["ts"], text="y" * 4001))[
            "error"
        ]
        == "msg_too_long"
    )
    assert client.chat_update(channel=GENERAL, ts=posted["ts"], text="y" * 4000)["ok"]
    assert (
        refused(lambda: client.chat_postEphemeral(channel=GENERAL, user=ALICE, text="z" * 40_001))[
            "error"
        ]
        == "msg_too_long"
    )


def test_response_url_and_ack_blocks_are_checked(slack: FakeSlack, receiver: Any) -> None:
    receiver.respond = lambda _r: (200, {"text": "t", "blocks": [section("x" * 3001)]})
    delivery = slack.slash_command("status")
    assert delivery.error == "invalid_blocks" and slack.ephemerals == []
    [ack] = slack.refusals
    assert ack.method == "slash_commands.ack" and ack.error == "invalid_blocks"
    hook = WebhookClient(receiver.requests[-1].form()["response_url"])
    assert hook.send(text="t", blocks=[section("x" * 3001)]).status_code == 400
    assert slack.refusals[-1].method == "response_url"
    assert hook.send(text="fine").status_code == 200


def test_faults_are_not_refusals(slack: FakeSlack, client: WebClient) -> None:
    slack.faults.error("chat.postMessage", "fatal_error")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=GENERAL, text="x")
    assert slack.refusals == []
    slack.reset()
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert [c.error for c in slack.refusals] == ["channel_not_found"]
    slack.reset()
    assert slack.refusals == []
