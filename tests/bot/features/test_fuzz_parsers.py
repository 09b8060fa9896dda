"""Property-based fuzzing of everything that reads Slack input: the pure parsers directly, then
arbitrary commands, events, actions and submissions through the running bot (signed HTTP).

Invariants: parsers return or raise ValueError; the bot never answers 5xx and logs no
error; the database never holds half a change (an incident without its status history).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import lifecycle, mrkdwn
from bot.features import declare, followups, reminders, timeline_shortcut, update_modal
from bot.slack import blocks, command_text
from fakeslack import FakeSlack
from models import AuditEntry, Incident, StatusChange, TimelineEvent
from testkit.harness import ALICE, BOB, BOT_USER, GENERAL, RunningBot
from tests.bot.flows import declare as declare_incident

FAST = settings(max_examples=200, deadline=None)
E2E = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
mentions = st.builds(
    lambda user, label: f"<@{user}{'|' + label if label else ''}>",
    st.sampled_from([ALICE, BOB, BOT_USER, "U", "W0", "u1"]),
    st.text(max_size=5),
)
slack_text = st.lists(
    st.text(max_size=12)
    | mentions
    | st.sampled_from(
        [
            "status",
            "severity",
            "lead",
            "resolve",
            "reopen",
            "note",
            "update",
            "list",
            "help",
            "new",
            "title",
            "summary",
            "impact",
            "sev1",
            "critical",
            " ",
            "\n",
            "\t",
            "\u00a0",
            "\u2028",
        ]
    ),
    max_size=6,
).map(" ".join)


# -- (a) pure parsers ----------------------------------------------------------------------


@FAST
@given(slack_text | st.text())
def test_command_text_never_raises(text: str) -> None:
    words = command_text.parse(text)
    assert words.name == words.name.lower() and " " not in words.name
    assert (words.name == "") == (text.strip() == "")
    stripped = command_text.after_bot_mention(text, "U06HBQK1R2S")
    assert stripped is None or len(stripped) < len(text)
    named = command_text.first_person(text)
    assert named.user_id is None or (f"<@{named.user_id}" in text and len(named.rest) <= len(text))
    assert named.typed_name is None or f"@{named.typed_name}" in text
    assert isinstance(mrkdwn.readable(text), str)


@FAST
@given(slack_text | st.text())
def test_severity_and_status_parsers_only_raise_value_error(text: str) -> None:
    try:
        assert lifecycle.parse_severity(text) in (1, 2, 3, 4)
    except ValueError as error:
        assert "Severity is one of" in str(error)
    try:
        assert lifecycle.parse_status(text) == text.strip().lower()
    except ValueError as error:
        assert "Status is one of" in str(error)


def _element() -> st.SearchStrategy[Any]:
    option = st.fixed_dictionaries({}, optional={"value": json_values, "text": json_values})
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["plain_text_input", "static_select", "users_select", "x"]),
            "value": json_values,
            "selected_option": option | json_values,
            "selected_options": st.lists(option | json_values, max_size=3) | json_values,
            "selected_user": json_values,
        },
    )


def _state(block_ids: list[str]) -> st.SearchStrategy[Any]:
    action = st.dictionaries(
        st.sampled_from(["value", "other"]) | st.text(max_size=5),
        _element() | json_values,
        max_size=2,
    )
    return st.dictionaries(
        st.sampled_from(block_ids) | st.text(max_size=5),
        action | json_values,
        max_size=len(block_ids) + 1,
    )


def _metadata() -> st.SearchStrategy[Any]:
    import json

    shaped = st.fixed_dictionaries(
        {},
        optional={
            "incident": json_values | st.integers(1, 3).map(str),
            "origin": json_values,
            "source": json_values,
        },
    )
    return st.none() | st.text(max_size=40) | (json_values | shaped).map(json.dumps)


def _views(block_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "private_metadata": _metadata(),
            "state": st.fixed_dictionaries({}, optional={"values": _state(block_ids) | json_values})
            | json_values,
        },
    )


DECLARE_BLOCKS = [
    declare.TITLE,
    declare.SUMMARY,
    declare.IMPACT,
    declare.SEVERITY,
    declare.LEAD,
    declare.PRIVATE,
]
UPDATE_BLOCKS = [
    update_modal.STATUS,
    update_modal.SEVERITY,
    update_modal.LEAD,
    update_modal.SUMMARY,
    update_modal.IMPACT,
    update_modal.MESSAGE,
]


@FAST
@given(_views(DECLARE_BLOCKS))
def test_declare_parse_returns_a_clean_form(view: dict[str, Any]) -> None:
    form = declare.parse(view)
    assert isinstance(form.title, str) and form.title == form.title.strip()
    assert isinstance(form.summary, str) and isinstance(form.impact, str)
    assert form.severity in (None, 1, 2, 3, 4)
    assert form.lead_id is None or isinstance(form.lead_id, str)
    assert form.origin_channel is None or isinstance(form.origin_channel, str)


@FAST
@given(_views(UPDATE_BLOCKS))
def test_update_parse_returns_a_clean_form_or_value_error(view: dict[str, Any]) -> None:
    try:
        form = update_modal.parse(view)
    except ValueError:
        return
    assert isinstance(form.number, int)
    assert form.status is None or form.status in lifecycle.STATUSES
    assert form.severity in (None, 1, 2, 3, 4) or isinstance(form.severity, int)
    # None: the field was not in the form, and leaves the stored text as it is.
    assert all(text is None or isinstance(text, str) for text in (form.summary, form.impact))
    assert isinstance(form.message, str)


# -- (b) end to end, through the running bot in HTTP mode ------------------------------------

pytestmark_e2e = pytest.mark.parametrize("mode", ["http"])
# Payloads built from random text name triggers, channels and people Slack never issued.
FUZZED_REFERENCES = pytest.mark.refusals(
    "invalid_trigger_id", "channel_not_found", "user_not_in_channel", "not_in_channel"
)


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING)
    return caplog


def _incident_channel(slack: FakeSlack, database) -> str:
    declare_incident(slack, "Fuzzing target")
    with database.connection_context():
        return str(Incident.get().channel_id)


def _assert_no_partial_writes(database) -> None:
    with database.connection_context():
        for incident in Incident.select():
            history = list(
                StatusChange.select()
                .where(StatusChange.incident == incident)
                .order_by(StatusChange.id)
            )
            assert history, f"incident {incident.id} has no status history"
            assert history[-1].status == incident.status, incident.id
            assert (
                TimelineEvent.select()
                .where(TimelineEvent.incident == incident, TimelineEvent.kind == "declared")
                .exists()
            )
            assert AuditEntry.select().where(AuditEntry.incident == incident).exists()


def _assert_answered(delivery: Any, errors: pytest.LogCaptureFixture) -> None:
    assert delivery.error is None and delivery.status is not None, delivery
    assert delivery.status < 500, delivery
    # A Slack API error in a lazy listener (e.g. an ephemeral to a channel the user is not
    # in) is Slack answering, not input breaking the bot: not counted here.
    failures = [
        r
        for r in errors.records
        if r.levelno >= logging.ERROR
        and "The request to the Slack API failed" not in r.getMessage()
    ]
    errors.clear()
    assert failures == [], [r.getMessage() for r in failures]


def _response_url(slack: FakeSlack) -> str:
    """A live response_url on the fake Slack (Slack sends one with every action)."""
    return slack._hooks.issue("actions", GENERAL, ALICE)


def _channels(incident_channel: str) -> st.SearchStrategy[Any]:
    return st.sampled_from([incident_channel, GENERAL]) | json_values


@pytestmark_e2e
@FUZZED_REFERENCES
def test_arbitrary_slash_command_text(slack: FakeSlack, bot: RunningBot, database, errors) -> None:
    channel = _incident_channel(slack, database)

    @E2E
    @given(text=slack_text | st.text(max_size=200), where=st.sampled_from([channel, GENERAL]))
    def run(text: str, where: str) -> None:
        _assert_answered(slack.slash_command(text, channel=where, via="http"), errors)
        _assert_no_partial_writes(database)

    run()


@pytestmark_e2e
@FUZZED_REFERENCES
def test_arbitrary_events(slack: FakeSlack, bot: RunningBot, database, errors) -> None:
    channel = _incident_channel(slack, database)
    channels = st.sampled_from([channel, GENERAL]) | st.text(max_size=12)
    users = st.sampled_from([ALICE, BOB]) | st.text(max_size=12)
    message = st.fixed_dictionaries(
        {},
        optional={
            "type": st.just("message") | st.text(max_size=20),
            "user": users,
            "ts": st.sampled_from(["1700000000.000100"]) | st.text(max_size=20),
            "text": slack_text | st.text(max_size=20),
            "files": st.lists(
                st.dictionaries(st.sampled_from(["id", "name", "permalink"]), st.text(max_size=9)),
                max_size=2,
            ),
            "edited": st.dictionaries(st.sampled_from(["user", "ts"]), st.text(max_size=9)),
            "thread_ts": st.text(max_size=20),
        },
    )
    item = st.fixed_dictionaries(
        {},
        optional={
            "type": st.just("message") | st.text(max_size=20),
            "channel": channels,
            "message": message,
        },
    )
    event = st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "pin_added",
                    "pin_removed",
                    "app_mention",
                    "reaction_added",
                    "reaction_removed",
                    "message",
                    "member_joined_channel",
                ]
            )
        },
        optional={
            "user": users,
            "channel": channels,
            "channel_id": channels,
            "item": item,
            "text": slack_text | st.text(max_size=20),
            "ts": st.text(max_size=20),
            "event_ts": st.text(max_size=20),
            "subtype": st.sampled_from(["message_changed", "message_deleted", "bot_message"])
            | st.text(max_size=20),
            "message": message,
            "previous_message": message,
            "reaction": st.sampled_from(["pushpin", "memo", "+1"]) | st.text(max_size=20),
            "deleted_ts": st.text(max_size=20),
            "item_user": users,
            "inviter": users,
            "hidden": st.booleans(),
            "bot_id": st.text(max_size=9),
        },
    )

    @E2E
    @given(event=event, event_id=st.text(min_size=1, max_size=12))
    def run(event: dict[str, Any], event_id: str) -> None:
        wrapper = {
            "type": "event_callback",
            "team_id": "T024BE7LD",
            "event_id": event_id,
            "event_time": 1700000000,
            "event": event,
        }
        _assert_answered(slack.deliver("events_api", wrapper, via="http"), errors)
        _assert_no_partial_writes(database)

    run()


@pytestmark_e2e
@FUZZED_REFERENCES
def test_arbitrary_block_actions(slack: FakeSlack, bot: RunningBot, database, errors) -> None:
    channel = _incident_channel(slack, database)
    action = st.fixed_dictionaries(
        {
            "action_id": st.sampled_from(
                [
                    blocks.JOIN,
                    blocks.UPDATE,
                    blocks.RESOLVE,
                    followups.DONE,
                    reminders.SNOOZE_ACTION,
                    reminders.DISMISS_ACTION,
                ]
            )
        },
        optional={
            "value": st.sampled_from(["1", "2", "0", "-1", "99999999999999999999"]) | json_values,
            "block_id": json_values,
            "type": json_values,
            "action_ts": json_values,
            "selected_option": json_values,
        },
    )
    payload = st.fixed_dictionaries(
        {
            "type": st.just("block_actions"),
            "user": st.just({"id": ALICE}),
            "actions": st.lists(action, min_size=1, max_size=2),
            "trigger_id": st.text(max_size=10),
        },
        optional={
            # Slack's types, our channels; the values inside are what varies.
            "channel": st.fixed_dictionaries({"id": st.sampled_from([channel, GENERAL])}),
            "container": st.fixed_dictionaries(
                {
                    "channel_id": st.sampled_from([channel, GENERAL]),
                    "message_ts": st.text(max_size=12),
                }
            ),
            "message": st.fixed_dictionaries(
                {},
                optional={
                    "ts": st.text(max_size=12),
                    "text": st.text(max_size=20),
                    "blocks": st.just([]),
                },
            ),
            "response_url": st.builds(lambda: _response_url(slack)),
            "team": st.just({"id": "T024BE7LD"}),
        },
    )

    @E2E
    @given(payload=payload)
    def run(payload: dict[str, Any]) -> None:
        _assert_answered(slack.deliver("interactive", payload, via="http"), errors)
        _assert_no_partial_writes(database)

    run()


@pytestmark_e2e
@FUZZED_REFERENCES
def test_arbitrary_view_submissions_and_shortcuts(
    slack: FakeSlack, bot: RunningBot, database, errors
) -> None:
    _incident_channel(slack, database)
    submission = st.fixed_dictionaries(
        {
            "type": st.just("view_submission"),
            "user": st.just({"id": ALICE}),
            "view": st.builds(
                lambda base, view_id, callback: {
                    **base,
                    "id": view_id,
                    "type": "modal",
                    "callback_id": callback,
                    "state": base.get("state")
                    if isinstance(base.get("state"), dict)
                    and isinstance(base["state"].get("values"), dict)
                    else {"values": {}},
                },
                _views(DECLARE_BLOCKS + UPDATE_BLOCKS),
                st.text(alphabet="ABCDEFGHIJ0123456789", min_size=1, max_size=10),
                st.sampled_from([declare.CALLBACK_ID, update_modal.CALLBACK_ID]),
            ),
        },
        optional={"trigger_id": st.text(max_size=10), "team": st.just({"id": "T024BE7LD"})},
    )
    shortcut = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["message_action", "shortcut"]),
            "user": st.just({"id": ALICE}),
            "callback_id": st.sampled_from([declare.SHORTCUT_ID, timeline_shortcut.CALLBACK_ID]),
            "trigger_id": st.text(max_size=10),
            # Slack always sends one with a message shortcut
            "response_url": st.builds(lambda: _response_url(slack)),
        },
        optional={
            "message": st.fixed_dictionaries(
                {},
                optional={
                    "ts": st.text(max_size=12),
                    "text": slack_text,
                    "user": st.sampled_from([ALICE, BOB]),
                },
            ),
            "channel": st.fixed_dictionaries({"id": st.sampled_from([GENERAL])}),
        },
    )

    @E2E
    @given(payload=submission | shortcut)
    def run(payload: dict[str, Any]) -> None:
        _assert_answered(slack.deliver("interactive", payload, via="http"), errors)
        _assert_no_partial_writes(database)

    run()


@FAST
@given(st.text(), st.integers(min_value=1, max_value=4000))
def test_shown_text_always_fits_its_limit(text: str, limit: int) -> None:
    """What the bot shows of people's text never exceeds the limit Slack counts, emoji
    and the entities of escaping included, and never leaves a raw <, > or &."""
    out = blocks.shown(text, limit)
    assert blocks.slack_len(out) <= limit
    assert "<" not in out and ">" not in out
    assert blocks.slack_len(blocks.clip(text, limit)) <= limit
