"""Block Kit and view limits, checked the way Slack checks them: each problem becomes one
`[ERROR] … [json-pointer:…]` line of `response_metadata.messages` (`invalid_blocks` for
messages, `invalid_arguments` for views; `view_too_large` past 250 kB).

Lengths count the string as a JSON client sends it (slack_sdk and Bolt escape non-ASCII as
\\uXXXX, so "é" counts 6): Slack measures the text it received, not what it means.
Numbers are from docs.slack.dev/reference/block-kit (blocks/*, block-elements/*,
composition-objects/*) and docs.slack.dev/reference/views (modal fields).
"""

from __future__ import annotations

import json
from typing import Any

from fakeslack.errors import ApiError

MESSAGE_BLOCKS_MAX = 50  # reference/block-kit/blocks: "up to 50 blocks in each message"
VIEW_BLOCKS_MAX = 100  # "up to 100 blocks in modals or Home tabs"
VIEW_BYTES_MAX = 250_000  # reference/views: view_too_large past 250 kB
TEXT_MAX = 3000  # composition-objects/text-object: text, 1..3000
SECTION_FIELDS_MAX, FIELD_MAX = 10, 2000  # blocks/section-block: fields ≤ 10, each ≤ 2000
HEADER_MAX = 150  # blocks/header-block: plain_text ≤ 150
CONTEXT_ELEMENTS_MAX = 10  # blocks/context-block
ACTIONS_ELEMENTS_MAX = 25  # blocks/actions-block
MARKDOWN_MAX = 12_000  # blocks/markdown-block
LABEL_MAX = HINT_MAX = 2000  # blocks/input-block: label and hint ≤ 2000
ID_MAX = 255  # block_id, action_id, callback_id, external_id
IMAGE_URL_MAX = URL_MAX = 3000
ALT_TEXT_MAX = IMAGE_TITLE_MAX = 2000  # blocks/image-block
BUTTON_TEXT_MAX, BUTTON_VALUE_MAX = 75, 2000  # block-elements/button-element
PLACEHOLDER_MAX = 150  # select menus and inputs
OPTIONS_MAX = 100  # static_select / multi_static_select: options and option_groups ≤ 100
OPTION_TEXT_MAX, OPTION_VALUE_MAX, OPTION_DESCRIPTION_MAX = 75, 150, 75  # option-object
GROUP_LABEL_MAX = 75  # option-group-object
CHOICES_MAX = 10  # radio_buttons and checkboxes: ≤ 10 options
OVERFLOW_MIN, OVERFLOW_MAX = 2, 5  # overflow-menu-element
INPUT_LENGTH_MAX = 3000  # plain_text_input: min_length 0..3000, max_length 1..3000
# composition-objects/confirmation-dialog-object
CONFIRM_TITLE_MAX, CONFIRM_TEXT_MAX, CONFIRM_BUTTON_MAX = 100, 300, 30
# reference/views: title, submit and close ≤ 24; private_metadata ≤ 3000
VIEW_TITLE_MAX = 24
METADATA_MAX = 3000

_SELECTS = {
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
}


def sent_len(value: str) -> int:
    """Characters of `value` as Slack counts them once it has read the JSON: UTF-16 code
    units, the length of a JavaScript string (an emoji beyond the Basic Multilingual Plane
    counts two). The docs give every limit in characters without saying which; this is the
    stricter reading that a Cyrillic or accented text still passes letter for letter.

    A string that is itself JSON with \\u escapes (private_metadata built with json.dumps)
    counts those escapes, as Slack sees them: six characters per escaped letter."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le")) // 2


class Checker:
    """Collects Slack-style error lines while walking blocks."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.block_ids: set[str] = set()

    def error(self, text: str, pointer: str) -> None:
        self.messages.append(f"[ERROR] {text} [json-pointer:{pointer}]")

    def length(self, value: Any, pointer: str, maximum: int, minimum: int = 0) -> None:
        if not isinstance(value, str):
            return
        size = sent_len(value)
        if size > maximum:
            self.error(f"must be less than {maximum + 1} characters", pointer)
        elif size < minimum:
            self.error(f"must be at least {minimum} characters", pointer)

    def count(self, items: Any, pointer: str, maximum: int, minimum: int = 0) -> list[Any]:
        if not isinstance(items, list):
            return []
        if len(items) > maximum:
            self.error(f"no more than {maximum} items allowed", pointer)
        elif len(items) < minimum:
            self.error(f"at least {minimum} items required", pointer)
        return items

    def text(
        self,
        obj: Any,
        pointer: str,
        maximum: int = TEXT_MAX,
        *,
        plain_only: bool = False,
        required: bool = False,
    ) -> None:
        if obj is None:
            if required:
                field = pointer.rsplit("/", 1)
                self.error(f"missing required field: {field[1]}", field[0] or "/")
            return
        if not isinstance(obj, dict):
            self.error("must be an object", pointer)
            return
        kind = obj.get("type")
        if plain_only and kind != "plain_text":
            self.error("must be one of: plain_text", f"{pointer}/type")
        elif kind not in ("plain_text", "mrkdwn"):
            self.error("must be one of: plain_text, mrkdwn", f"{pointer}/type")
        self.length(obj.get("text"), f"{pointer}/text", min(maximum, TEXT_MAX), 1)

    def block_id(self, block: dict[str, Any], pointer: str) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        self.length(block_id, f"{pointer}/block_id", ID_MAX)
        if block_id in self.block_ids:
            self.error("block_id must be unique", f"{pointer}/block_id")
        self.block_ids.add(block_id)

    # -- composition objects ---------------------------------------------------------------

    def confirm(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            return
        self.text(obj.get("title"), f"{pointer}/title", CONFIRM_TITLE_MAX, plain_only=True)
        self.text(obj.get("text"), f"{pointer}/text", CONFIRM_TEXT_MAX)
        for key in ("confirm", "deny"):
            self.text(obj.get(key), f"{pointer}/{key}", CONFIRM_BUTTON_MAX, plain_only=True)

    def option(self, obj: Any, pointer: str) -> None:
        if not isinstance(obj, dict):
            return
        # option-object: "maximum length for the text in this field is 75 characters"
        self.text(obj.get("text"), f"{pointer}/text", OPTION_TEXT_MAX)
        self.length(obj.get("value"), f"{pointer}/value", OPTION_VALUE_MAX)
        self.text(obj.get("description"), f"{pointer}/description", OPTION_DESCRIPTION_MAX)
        self.length(obj.get("url"), f"{pointer}/url", URL_MAX)

    def options(
        self, element: dict[str, Any], pointer: str, maximum: int, minimum: int = 0
    ) -> None:
        for i, option in enumerate(
            self.count(element.get("options"), f"{pointer}/options", maximum, minimum)
        ):
            self.option(option, f"{pointer}/options/{i}")
        for g, group in enumerate(
            self.count(element.get("option_groups"), f"{pointer}/option_groups", maximum)
        ):
            if not isinstance(group, dict):
                continue
            gp = f"{pointer}/option_groups/{g}"
            self.text(group.get("label"), f"{gp}/label", GROUP_LABEL_MAX, plain_only=True)
            for i, option in enumerate(self.count(group.get("options"), f"{gp}/options", 100)):
                self.option(option, f"{gp}/options/{i}")
        if "initial_option" in element:
            self.option(element["initial_option"], f"{pointer}/initial_option")

    # -- elements ----------------------------------------------------------------------------

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, dict):
            self.error("must be an object", pointer)
            return
        kind = element.get("type")
        if "action_id" in element:
            self.length(element["action_id"], f"{pointer}/action_id", ID_MAX)
        if "confirm" in element:
            self.confirm(element["confirm"], f"{pointer}/confirm")
        if "placeholder" in element:
            self.text(element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_MAX)
        if kind == "button":
            self.text(
                element.get("text"),
                f"{pointer}/text",
                BUTTON_TEXT_MAX,
                plain_only=True,
                required=True,
            )
            self.length(element.get("value"), f"{pointer}/value", BUTTON_VALUE_MAX)
            self.length(element.get("url"), f"{pointer}/url", URL_MAX)
        elif kind in _SELECTS:
            if kind in ("static_select", "multi_static_select"):
                self.options(element, pointer, OPTIONS_MAX)
        elif kind in ("radio_buttons", "checkboxes"):
            self.options(element, pointer, CHOICES_MAX)
        elif kind == "overflow":
            self.options(element, pointer, OVERFLOW_MAX, OVERFLOW_MIN)
        elif kind == "plain_text_input":
            self.plain_text_input(element, pointer)
        elif kind == "image":
            self.length(element.get("image_url"), f"{pointer}/image_url", IMAGE_URL_MAX)
            self.length(element.get("alt_text"), f"{pointer}/alt_text", ALT_TEXT_MAX)

    def plain_text_input(self, element: dict[str, Any], pointer: str) -> None:
        top = INPUT_LENGTH_MAX
        min_length, max_length = element.get("min_length"), element.get("max_length")
        if isinstance(max_length, int):
            if not 1 <= max_length <= INPUT_LENGTH_MAX:
                self.error(f"must be between 1 and {INPUT_LENGTH_MAX}", f"{pointer}/max_length")
            else:
                top = max_length
        if isinstance(min_length, int) and not 0 <= min_length <= INPUT_LENGTH_MAX:
            self.error(f"must be between 0 and {INPUT_LENGTH_MAX}", f"{pointer}/min_length")
        # Not stated on the element page; Slack refuses a prefilled value the user could not
        # have typed, with the same length message as any other field (widely observed).
        self.length(element.get("initial_value"), f"{pointer}/initial_value", top)

    # -- blocks ------------------------------------------------------------------------------

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.error("must be an object", pointer)
            return
        self.block_id(block, pointer)
        kind = block.get("type")
        if kind == "section":
            if block.get("text") is None and not block.get("fields"):
                self.error("must provide either text or fields", pointer)
            self.text(block.get("text"), f"{pointer}/text")
            for i, field in enumerate(
                self.count(block.get("fields"), f"{pointer}/fields", SECTION_FIELDS_MAX)
            ):
                self.text(field, f"{pointer}/fields/{i}", FIELD_MAX)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text(
                block.get("text"), f"{pointer}/text", HEADER_MAX, plain_only=True, required=True
            )
        elif kind == "context":
            for i, element in enumerate(
                self.count(block.get("elements"), f"{pointer}/elements", CONTEXT_ELEMENTS_MAX, 1)
            ):
                if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
                    self.text(element, f"{pointer}/elements/{i}")
                else:
                    self.element(element, f"{pointer}/elements/{i}")
        elif kind == "actions":
            for i, element in enumerate(
                self.count(block.get("elements"), f"{pointer}/elements", ACTIONS_ELEMENTS_MAX, 1)
            ):
                self.element(element, f"{pointer}/elements/{i}")
        elif kind == "input":
            self.text(
                block.get("label"), f"{pointer}/label", LABEL_MAX, plain_only=True, required=True
            )
            self.text(block.get("hint"), f"{pointer}/hint", HINT_MAX, plain_only=True)
            if block.get("element") is None:
                self.error("missing required field: element", pointer)
            else:
                self.element(block["element"], f"{pointer}/element")
        elif kind == "image":
            self.length(block.get("image_url"), f"{pointer}/image_url", IMAGE_URL_MAX)
            self.length(block.get("alt_text"), f"{pointer}/alt_text", ALT_TEXT_MAX)
            self.text(block.get("title"), f"{pointer}/title", IMAGE_TITLE_MAX, plain_only=True)
        elif kind == "markdown":
            self.length(block.get("text"), f"{pointer}/text", MARKDOWN_MAX, 1)
        elif kind is None:
            self.error("missing required field: type", pointer)

    def blocks(self, blocks: Any, pointer: str, maximum: int) -> None:
        if not isinstance(blocks, list):
            self.error("must be an array", pointer)
            return
        for i, block in enumerate(self.count(blocks, pointer, maximum)):
            self.block(block, f"{pointer}/{i}")


def message_problems(blocks: Any) -> list[str]:
    checker = Checker()
    checker.blocks(blocks, "/blocks", MESSAGE_BLOCKS_MAX)
    return checker.messages


def check_message_blocks(blocks: Any) -> None:
    """Raise `invalid_blocks` as chat.postMessage/update/postEphemeral answer it."""
    problems = message_problems(blocks)
    if problems:
        raise ApiError("invalid_blocks", response_metadata={"messages": problems})


def view_problems(view: dict[str, Any], *, require_modal: bool = True) -> list[str]:
    checker = Checker()
    if require_modal and view.get("type") != "modal":
        checker.error("must be one of: modal", "/view/type")
    title = view.get("title")
    if not isinstance(title, dict) or not title.get("text"):
        checker.error("missing required field: title", "/view/title")
    else:
        checker.text(title, "/view/title", VIEW_TITLE_MAX, plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            checker.text(view[key], f"/view/{key}", VIEW_TITLE_MAX, plain_only=True)
    blocks = view.get("blocks")
    if blocks is None:
        checker.error("missing required field: blocks", "/view/blocks")
    else:
        checker.blocks(blocks, "/view/blocks", VIEW_BLOCKS_MAX)
    checker.length(view.get("private_metadata"), "/view/private_metadata", METADATA_MAX)
    checker.length(view.get("callback_id"), "/view/callback_id", ID_MAX)
    checker.length(view.get("external_id"), "/view/external_id", ID_MAX)
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if has_input and not view.get("submit"):
        checker.error("must provide a submit property when using input blocks", "/view")
    return checker.messages


def check_view(view: Any, *, require_modal: bool = True) -> dict[str, Any]:
    """Raise what views.open/update/push answer for a bad view; returns the view."""
    if not isinstance(view, dict):
        raise ApiError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    if len(json.dumps(view).encode()) > VIEW_BYTES_MAX:
        raise ApiError("view_too_large")
    problems = view_problems(view, require_modal=require_modal)
    if problems:
        raise ApiError("invalid_arguments", response_metadata={"messages": problems})
    return view
