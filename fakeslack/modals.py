"""Trigger ids and modal views: issuing, validating, opening, updating, pushing, closing.
Shares the workspace lock, so a view is visible to tests as soon as views.open answers."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any

from fakeslack.blockkit import check_view
from fakeslack.errors import ApiError
from fakeslack.ids import IdFactory
from fakeslack.state import APP_ID, BOT_ID, TEAM_ID

TRIGGER_TTL = 3.0


@dataclass
class Trigger:
    user: str
    issued_at: float
    view_id: str | None = None
    used: bool = False


@dataclass
class ViewRecord:
    view: dict[str, Any]
    user: str
    seq: int
    is_open: bool = True
    errors: dict[str, Any] | None = None


def validate_view(view: Any, *, require_modal: bool = True) -> dict[str, Any]:
    """Check a view against Slack's limits (see blockkit); raises what views.* answer."""
    return check_view(view, require_modal=require_modal)


class ModalStore:
    """Trigger ids and every view the app opened, with the stack each belongs to."""

    def __init__(self, ids: IdFactory, lock: threading.RLock) -> None:
        self.ids = ids
        self.lock = lock
        self.trigger_ttl = TRIGGER_TTL
        self.triggers: dict[str, Trigger] = {}
        self.records: dict[str, ViewRecord] = {}
        self._seq = 0

    def reset(self) -> None:
        with self.lock:
            self.triggers.clear()
            self.records.clear()

    # -- triggers --------------------------------------------------------------------------

    def issue_trigger(self, user: str, view_id: str | None = None) -> str:
        trigger_id = self.ids.trigger_id()
        with self.lock:
            self.triggers[trigger_id] = Trigger(user, time.monotonic(), view_id)
        return trigger_id

    def stamp(self, trigger_id: str) -> None:
        """Start a trigger's clock now: Slack's 3 s run from the delivery that carries it."""
        with self.lock:
            trigger = self.triggers.get(trigger_id)
            if trigger is not None:
                trigger.issued_at = time.monotonic()

    def _check_trigger(self, trigger_id: str | None) -> Trigger:
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        return trigger

    # -- views -----------------------------------------------------------------------------

    def open(self, trigger_id: str | None, view: Any) -> dict[str, Any]:
        with self.lock:
            trigger = self._check_trigger(trigger_id)
            validate_view(view)
            trigger.used = True
            return self._store(view, trigger.user, root=None, previous=None)

    def push(self, trigger_id: str | None, view: Any) -> dict[str, Any]:
        with self.lock:
            trigger = self._check_trigger(trigger_id)
            validate_view(view)
            under = self.records.get(trigger.view_id or "")
            if under is not None and under.is_open:
                top = self._top_of(under.view["root_view_id"])
                trigger.used = True
                return self._store(
                    view, trigger.user, root=under.view["root_view_id"], previous=top
                )
            # No modal under this trigger: start a new stack (Slack's answer is undocumented).
            trigger.used = True
            return self._store(view, trigger.user, root=None, previous=None)

    def update(
        self, view_id: str | None, external_id: str | None, view_hash: str | None, view: Any
    ) -> dict[str, Any]:
        with self.lock:
            record = self._find(view_id, external_id)
            if view_hash and view_hash != record.view["hash"]:
                raise ApiError("hash_conflict")
            validate_view(view)
            return self._replace(record, view)

    def replace_from_ack(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """`response_action: update` swaps the content of the submitted view."""
        with self.lock:
            return self._replace(self.records[view_id], view)

    def push_from_ack(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            under = self.records[view_id]
            root = under.view["root_view_id"]
            return self._store(view, under.user, root=root, previous=self._top_of(root))

    def close(self, view_id: str) -> None:
        with self.lock:
            record = self.records.get(view_id)
            if record is not None:
                record.is_open = False

    def clear_stack(self, view_id: str) -> None:
        with self.lock:
            root = self.records[view_id].view["root_view_id"]
            for record in self.records.values():
                if record.view["root_view_id"] == root:
                    record.is_open = False

    def set_errors(self, view_id: str, errors: dict[str, Any] | None) -> None:
        with self.lock:
            self.records[view_id].errors = errors

    def _find(self, view_id: str | None, external_id: str | None) -> ViewRecord:
        if view_id:
            record = self.records.get(view_id)
        else:
            record = next(
                (
                    r
                    for r in self.records.values()
                    if external_id and r.view.get("external_id") == external_id
                ),
                None,
            )
        if record is None:
            raise ApiError("not_found")
        return record

    def _top_of(self, root_id: str) -> str:
        stack = [
            r for r in self.records.values() if r.view["root_view_id"] == root_id and r.is_open
        ]
        return max(stack, key=lambda r: r.seq).view["id"] if stack else root_id

    def _normalise_blocks(self, blocks: list[Any]) -> list[Any]:
        # Slack fills in ids the app left out; submissions are keyed by them.
        blocks = copy.deepcopy(blocks)
        for block in blocks:
            if not isinstance(block, dict):
                continue
            block.setdefault("block_id", self.ids.token(5))
            elements = [block["element"]] if isinstance(block.get("element"), dict) else []
            elements += [e for e in block.get("elements", []) if isinstance(e, dict)]
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                elements.append(accessory)
            for element in elements:
                if "type" in element and element["type"] not in ("plain_text", "mrkdwn"):
                    element.setdefault("action_id", self.ids.token(5))
        return blocks

    def _content(self, view: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": view.get("type", "modal"),
            "blocks": self._normalise_blocks(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "external_id": view.get("external_id", ""),
        }

    def _hash(self) -> str:
        return f"{int(time.time())}.{self.ids.token(8)}"

    def _store(
        self, view: dict[str, Any], user: str, *, root: str | None, previous: str | None
    ) -> dict[str, Any]:
        view_id = self.ids.prefixed("V")
        content = self._content(view)
        api_view = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": content.pop("type"),
            "blocks": content.pop("blocks"),
            "private_metadata": content.pop("private_metadata"),
            "callback_id": content.pop("callback_id"),
            "state": {"values": {}},
            "hash": self._hash(),
            "title": content.pop("title"),
            "clear_on_close": content.pop("clear_on_close"),
            "notify_on_close": content.pop("notify_on_close"),
            "close": content.pop("close"),
            "submit": content.pop("submit"),
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": APP_ID,
            "external_id": content.pop("external_id"),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self._seq += 1
        self.records[view_id] = ViewRecord(api_view, user, self._seq)
        return copy.deepcopy(api_view)

    def _replace(self, record: ViewRecord, view: dict[str, Any]) -> dict[str, Any]:
        content = self._content(view)
        if "external_id" not in view:
            # An update that does not mention external_id keeps the one it had.
            content.pop("external_id")
        record.view.update(content)
        record.view["hash"] = self._hash()
        record.view["state"] = {"values": {}}
        record.errors = None
        return copy.deepcopy(record.view)

    # -- inspection ------------------------------------------------------------------------

    def open_views(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {vid: copy.deepcopy(r.view) for vid, r in self.records.items() if r.is_open}

    def errors(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {vid: dict(r.errors) for vid, r in self.records.items() if r.errors}

    def newest(self, callback_id: str | None) -> dict[str, Any] | None:
        with self.lock:
            matching = [
                r
                for r in self.records.values()
                if r.is_open and (callback_id is None or r.view["callback_id"] == callback_id)
            ]
            if not matching:
                return None
            return copy.deepcopy(max(matching, key=lambda r: r.seq).view)

    def open_view(self, view_id: str) -> dict[str, Any]:
        """A copy of an open view; KeyError if it was never opened or is closed."""
        with self.lock:
            record = self.records.get(view_id)
            if record is None or not record.is_open:
                raise KeyError(f"view {view_id!r} is not open")
            return copy.deepcopy(record.view)
