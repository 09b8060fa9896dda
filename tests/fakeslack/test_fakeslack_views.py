"""Trigger ids, views.open/update/push, and people submitting or clicking in modals."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import FakeSlack

ALICE, BOB = "U024BE7LH", "U061F7AUR"


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


def declare_view(**overrides: Any) -> dict[str, Any]:
    """The incident form from the samples: text, select, users, text, checkboxes."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "incident_declare",
        "private_metadata": json.dumps({"channel_id": "C024BE91L"}),
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "What is happening?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": "checkout slow",
                },
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [option("SEV1", "sev1"), option("SEV2", "sev2")],
                },
            },
            {
                "type": "input",
                "block_id": "lead",
                "optional": True,
                "label": {"type": "plain_text", "text": "Incident lead"},
                "element": {"type": "users_select", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "summary",
                "optional": True,
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
            {
                "type": "input",
                "block_id": "private",
                "optional": True,
                "label": {"type": "plain_text", "text": "Visibility"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [option("Private incident channel", "private")],
                },
            },
            {
                "type": "input",
                "block_id": "channel",
                "optional": True,
                "label": {"type": "plain_text", "text": "Where"},
                "element": {"type": "conversations_select", "action_id": "value"},
            },
            {
                "type": "actions",
                "block_id": "more",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "add_note",
                        "text": {"type": "plain_text", "text": "Add note"},
                    }
                ],
            },
        ],
    }
    view.update(overrides)
    return view


def open_view(slack: FakeSlack, client: WebClient, **overrides: Any) -> dict[str, Any]:
    trigger_id = slack.issue_trigger_id(ALICE)
    return dict(client.views_open(trigger_id=trigger_id, view=declare_view(**overrides))["view"])


def error_of(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    return info.value.response


# -- views.open and triggers ---------------------------------------------------------------


def test_views_open_returns_and_stores_the_view(slack: FakeSlack, client: WebClient) -> None:
    view = open_view(slack, client)
    assert view["id"].startswith("V") and len(view["id"]) == 11
    assert view["state"] == {"values": {}} and view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None and view["hash"]
    assert (view["team_id"], view["app_id"], view["bot_id"]) == (
        "T024BE7LD",
        "A06HC3K9ZQP",
        "B06HC3KA4TT",
    )
    assert view["blocks"][0]["block_id"] == "title"
    assert slack.views[view["id"]] == view
    assert slack.wait_for_view("incident_declare") == view


def test_trigger_ids_are_single_use_and_expire(slack: FakeSlack, client: WebClient) -> None:
    trigger_id = slack.issue_trigger_id()
    client.views_open(trigger_id=trigger_id, view=declare_view())
    assert (
        error_of(client.views_open, trigger_id=trigger_id, view=declare_view())["error"]
        == "exchanged_trigger_id"
    )
    assert (
        error_of(client.views_open, trigger_id="123.456.abc", view=declare_view())["error"]
        == "invalid_trigger_id"
    )
    slack.trigger_ttl = 0.05
    stale = slack.issue_trigger_id()
    time.sleep(0.1)
    assert (
        error_of(client.views_open, trigger_id=stale, view=declare_view())["error"]
        == "expired_trigger_id"
    )


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"title": {"type": "plain_text", "text": "x" * 25}}, "/view/title/text"),
        ({"submit": None}, "/view"),
        ({"private_metadata": "x" * 3001}, "/view/private_metadata"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
    ],
)
def test_views_open_validates_modal_limits(
    slack: FakeSlack, client: WebClient, overrides: dict[str, Any], pointer: str
) -> None:
    trigger_id = slack.issue_trigger_id()
    response = error_of(client.views_open, trigger_id=trigger_id, view=declare_view(**overrides))
    assert response["error"] == "invalid_arguments"
    assert any(f"[json-pointer:{pointer}]" in m for m in response["response_metadata"]["messages"])
    # A rejected view does not use up the trigger.
    assert client.views_open(trigger_id=trigger_id, view=declare_view())["ok"]


def test_views_update_and_hash_conflict(slack: FakeSlack, client: WebClient) -> None:
    view = open_view(slack, client, external_id="incident-42")
    new = declare_view(title={"type": "plain_text", "text": "Edit incident"})
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=new)["view"]
    assert updated["id"] == view["id"] and updated["title"]["text"] == "Edit incident"
    assert (
        error_of(client.views_update, view_id=view["id"], hash=view["hash"], view=new)["error"]
        == "hash_conflict"
    )
    by_external = client.views_update(external_id="incident-42", view=declare_view())["view"]
    assert by_external["id"] == view["id"]
    assert (
        error_of(client.views_update, view_id="V0000000000", view=declare_view())["error"]
        == "not_found"
    )


def test_views_push_stacks_on_the_modal_the_trigger_came_from(
    slack: FakeSlack, client: WebClient
) -> None:
    root = open_view(slack, client)
    trigger_id = slack.issue_trigger_id(view_id=root["id"])
    pushed = client.views_push(
        trigger_id=trigger_id, view=declare_view(callback_id="incident_note")
    )["view"]
    assert pushed["previous_view_id"] == root["id"] and pushed["root_view_id"] == root["id"]
    assert slack.wait_for_view() == pushed


# -- submitting ----------------------------------------------------------------------------


def test_submit_view_translates_values_by_element_type(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    view = open_view(slack, client)
    delivery = slack.submit_view(
        view["id"],
        {
            "title": "Checkout latency",
            "severity": "sev2",
            "lead": BOB,
            "private": ["private"],
            "channel": "C024BE91L",
        },
    )
    assert delivery.ok
    payload = json.loads(receiver.requests[0].form()["payload"])
    assert payload["type"] == "view_submission"
    assert payload["user"] == {
        "id": ALICE,
        "username": "alice",
        "name": "alice",
        "team_id": "T024BE7LD",
    }
    submitted = payload["view"]
    assert submitted["id"] == view["id"] and submitted["callback_id"] == "incident_declare"
    assert submitted["private_metadata"] == view["private_metadata"]
    values = submitted["state"]["values"]
    assert values == {
        "title": {"value": {"type": "plain_text_input", "value": "Checkout latency"}},
        "severity": {
            "value": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "SEV2", "emoji": True},
                    "value": "sev2",
                },
            }
        },
        "lead": {"value": {"type": "users_select", "selected_user": BOB}},
        "summary": {"value": {"type": "plain_text_input", "value": None}},
        "private": {
            "value": {
                "type": "checkboxes",
                "selected_options": [
                    {
                        "text": {
                            "type": "plain_text",
                            "text": "Private incident channel",
                            "emoji": True,
                        },
                        "value": "private",
                    }
                ],
            }
        },
        "channel": {
            "value": {"type": "conversations_select", "selected_conversation": "C024BE91L"}
        },
    }
    # An empty ack closes the modal.
    assert view["id"] not in slack.views


def test_submit_view_rejects_unknown_blocks_and_options(
    slack: FakeSlack, client: WebClient
) -> None:
    view = open_view(slack, client)
    with pytest.raises(ValueError, match="no input blocks"):
        slack.submit_view(view["id"], {"nope": "x"})
    with pytest.raises(ValueError, match="no option 'sev9'"):
        slack.submit_view(view["id"], {"severity": "sev9"})


def test_response_actions_errors_update_and_clear(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    view = open_view(slack, client)
    receiver.respond = lambda req: (
        200,
        {"response_action": "errors", "errors": {"title": "Please describe it"}},
    )
    assert slack.submit_view(view["id"], {"title": None}).ok
    assert view["id"] in slack.views
    assert slack.view_errors == {view["id"]: {"title": "Please describe it"}}

    replacement = declare_view(
        callback_id="incident_confirm", title={"type": "plain_text", "text": "Confirm"}
    )
    receiver.respond = lambda req: (200, {"response_action": "update", "view": replacement})
    slack.submit_view(view["id"], {"title": "ok"})
    assert slack.views[view["id"]]["callback_id"] == "incident_confirm"
    assert slack.view_errors == {}

    trigger_id = slack.issue_trigger_id(view_id=view["id"])
    client.views_push(trigger_id=trigger_id, view=declare_view(callback_id="incident_note"))
    receiver.respond = lambda req: (200, {"response_action": "clear"})
    slack.submit_view(slack.wait_for_view("incident_note")["id"], {})
    assert slack.views == {}


def test_response_action_push_then_close_returns_to_the_modal_below(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    view = open_view(slack, client)
    receiver.respond = lambda req: (
        200,
        {"response_action": "push", "view": declare_view(callback_id="incident_confirm")},
    )
    slack.submit_view(view["id"], {"title": "x"})
    pushed = slack.wait_for_view("incident_confirm")
    assert pushed["previous_view_id"] == view["id"] and view["id"] in slack.views
    receiver.respond = lambda req: (200, "")
    slack.submit_view(pushed["id"], {})
    assert set(slack.views) == {view["id"]}


def test_failed_submission_keeps_the_modal_open(
    slack: FakeSlack, client: WebClient, receiver: Any
) -> None:
    view = open_view(slack, client)
    receiver.respond = lambda req: (500, "boom")
    assert not slack.submit_view(view["id"], {"title": "x"}).ok
    assert view["id"] in slack.views


def test_click_inside_a_modal(slack: FakeSlack, client: WebClient, receiver: Any) -> None:
    view = open_view(slack, client)
    assert slack.click("add_note", view_id=view["id"]).ok
    payload = json.loads(receiver.requests[0].form()["payload"])
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["view"]["id"] == view["id"]
    assert payload["actions"][0]["action_id"] == "add_note"
    # Its trigger_id can push onto this modal.
    client.views_push(
        trigger_id=payload["trigger_id"], view=declare_view(callback_id="incident_note")
    )
    assert slack.wait_for_view("incident_note")["previous_view_id"] == view["id"]


def test_wait_for_view_times_out_with_a_listing(slack: FakeSlack) -> None:
    with pytest.raises(AssertionError, match="no open view with callback_id 'x'"):
        slack.wait_for_view("x", timeout=0.05)
