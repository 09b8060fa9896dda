"""What people do in Slack, turned into state changes and deliveries to the app:
posting, pinning, reacting, editing, deleting, joining, slash commands, message shortcuts,
submitting modals, clicking, arbitrary events.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

from fakeslack import clock, payloads
from fakeslack.blockkit import message_problems
from fakeslack.calls import Call, CallLog
from fakeslack.composer import command_text, mentioned_users
from fakeslack.delivery import Delivery
from fakeslack.errors import ApiError
from fakeslack.hooks import Hook, ResponseUrls
from fakeslack.manifest import AppManifest
from fakeslack.modals import ModalStore, validate_view
from fakeslack.state import (
    ALICE,
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    GENERAL_ID,
    TEAM_ID,
    Channel,
    Workspace,
    validate_channel_name,
)
from fakeslack.subscriptions import message_subscription, why_not


class HumanActions:
    """Mixed into FakeSlack; relies on its workspace, modal store, hooks and `deliver`."""

    _ws: Workspace
    _modals: ModalStore
    _hooks: ResponseUrls
    _calls: CallLog

    @property
    def _manifest(self) -> AppManifest:
        raise NotImplementedError

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_num: int = 0,
        retry_reason: str = "",
        via: str | None = None,
        timeout: float = 5.0,
        on_send: Callable[[], None] | None = None,
    ) -> Delivery:
        raise NotImplementedError

    def _starts(self, trigger_id: str) -> Callable[[], None]:
        return lambda: self._modals.stamp(trigger_id)

    def _emit(
        self,
        subscription: str,
        chan: Channel | None,
        event: dict[str, Any],
        via: str | None,
        timeout: float,
    ) -> Delivery:
        """Deliver a human-caused event only where Slack would send it to this app."""
        reason = why_not(self._manifest, subscription, chan)
        if reason is not None:
            return Delivery.skipped("events_api", reason)
        return self.send_event(event, via=via, timeout=timeout)

    def _require_local(self, user: str, what: str) -> None:
        # Slack Connect: "slash commands and message actions are not shared" (docs
        # apis/channels-between-orgs), so people from other organisations cannot use them.
        if self._ws.team_of(user) != TEAM_ID:
            raise ValueError(f"{user} is from another organisation; Slack offers no {what} there")

    def _channel(self, ref: str) -> Channel:
        chan = self._ws.channels.get(ref) or self._ws.channel_by_name(ref)
        if chan is None:
            raise KeyError(f"no channel {ref!r} in the fake workspace")
        return chan

    # -- messages and pins -------------------------------------------------------------

    def post_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        files: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        raw: bool = False,
    ) -> str:
        """A person posts; stored only (no event is sent). Returns the message ts.

        `text` is what they typed: `@name`, `#channel`, `@here` and links become Slack's
        tokens and `&<>` are escaped, as the client does; `raw=True` stores it unchanged.
        """
        msg = self._ws.human_message(channel, user, text, files=files, thread_ts=thread_ts, raw=raw)
        return str(msg["ts"])

    def app_posted_earlier(
        self, channel: str, text: str, ts: str, blocks: list[dict[str, Any]] | None = None
    ) -> str:
        """A message this app posted before the test began (another deployment of the same
        app and bot token, say), at `ts`; stored only. Returns the ts."""
        chan = self._ws.require_channel(channel)
        msg: dict[str, Any] = {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": text,
            "team": TEAM_ID,
        }
        if blocks is not None:
            msg["blocks"] = blocks
        self._ws.append_message(chan, msg)
        return ts

    def pin(
        self,
        channel: str,
        ts: str,
        user: str = ALICE,
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Pin a message and deliver `pin_added`."""
        chan, event = self._pinned(channel, ts, user)
        return self._emit("pin_added", chan, event, via, timeout)

    def pin_event(self, channel: str, ts: str, user: str = ALICE) -> dict[str, Any]:
        """Pin a message in the workspace and return the `event_callback` Slack sends for
        it, undelivered: for tests that deliver it themselves (to a chosen replica, twice)."""
        _, event = self._pinned(channel, ts, user)
        return payloads.event_callback(
            event, event_id=self._ws.ids.event_id(), event_time=int(clock.now())
        )

    def _pinned(self, channel: str, ts: str, user: str) -> tuple[Channel, dict[str, Any]]:
        with self._ws.lock:
            chan = self._channel(channel)
            try:
                item = self._ws.add_pin(chan, ts, user)
            except ApiError as exc:
                raise ValueError(f"cannot pin {ts} in {chan.id}: {exc.error}") from None
            event = payloads.pin_event(
                "pin_added",
                item=item,
                user=user,
                pin_count=len(chan.pins),
                event_ts=self._ws.ids.ts(),
            )
        return chan, event

    def unpin(
        self,
        channel: str,
        ts: str,
        user: str = ALICE,
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Unpin a message and deliver `pin_removed`."""
        with self._ws.lock:
            chan = self._channel(channel)
            try:
                item = self._ws.remove_pin(chan, ts)
            except ApiError as exc:
                raise ValueError(f"cannot unpin {ts} in {chan.id}: {exc.error}") from None
            event = payloads.pin_event(
                "pin_removed",
                item=item,
                user=user,
                pin_count=len(chan.pins),
                event_ts=self._ws.ids.ts(),
            )
        return self._emit("pin_removed", chan, event, via, timeout)

    def say(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        files: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        raw: bool = False,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """A person posts and Slack tells the app: the `message` event (if subscribed), then
        `app_mention` when the text mentions the bot. Returns the last Delivery made.

        `text` is typed text (see `post_message`); `raw=True` sends it unchanged.
        """
        with self._ws.lock:
            chan = self._channel(channel)
            msg = self._ws.human_message(
                chan.id, user, text, files=files, thread_ts=thread_ts, raw=raw
            )
            events: list[tuple[str, dict[str, Any]]] = [
                (
                    message_subscription(chan),
                    payloads.message_event(
                        msg,
                        channel=chan.id,
                        channel_type=self._ws.channel_type(chan),
                        shared=chan.ext_shared,
                    ),
                )
            ]
            # No app_mention from DMs: there the message event is the whole story.
            if BOT_USER_ID in mentioned_users(msg["text"]) and not chan.is_im:
                events.append(
                    ("app_mention", payloads.app_mention_event(msg, chan.id, chan.ext_shared))
                )
            wanted = [(sub, ev) for sub, ev in events if why_not(self._manifest, sub, chan) is None]
            reasons = [why_not(self._manifest, sub, chan) for sub, _ in events]
        if not wanted:
            return Delivery.skipped("events_api", "; ".join(r for r in reasons if r))
        result = Delivery()
        for _, event in wanted:
            result = self.send_event(event, via=via, timeout=timeout)
        return result

    # -- reactions, edits, deletions ---------------------------------------------------------

    def react(
        self,
        channel: str,
        ts: str,
        user: str = ALICE,
        name: str = "pushpin",
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Add a reaction to a message and deliver `reaction_added`."""
        return self._reaction("reaction_added", channel, ts, user, name, via, timeout)

    def unreact(
        self,
        channel: str,
        ts: str,
        user: str = ALICE,
        name: str = "pushpin",
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Take one's reaction back and deliver `reaction_removed`."""
        return self._reaction("reaction_removed", channel, ts, user, name, via, timeout)

    def _reaction(
        self,
        kind: str,
        channel: str,
        ts: str,
        user: str,
        name: str,
        via: str | None,
        timeout: float,
    ) -> Delivery:
        name = name.strip(":")
        with self._ws.lock:
            chan = self._channel(channel)
            change = self._ws.add_reaction if kind == "reaction_added" else self._ws.remove_reaction
            try:
                msg = change(chan, ts, user, name)
            except ApiError as exc:
                raise ValueError(
                    f"cannot react :{name}: to {ts} in {chan.id}: {exc.error}"
                ) from None
            event = payloads.reaction_event(
                kind,
                user=user,
                reaction=name,
                channel=chan.id,
                message=msg,
                event_ts=self._ws.ids.ts(),
            )
        return self._emit(kind, chan, event, via, timeout)

    def edit_message(
        self,
        channel: str,
        ts: str,
        new_text: str,
        user: str | None = None,
        *,
        raw: bool = False,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """The author edits a message; deliver `message_changed` (message + previous_message).

        `user` defaults to the author; anyone else is refused, as Slack refuses them.
        `new_text` is typed text (see `post_message`).
        """
        with self._ws.lock:
            chan = self._channel(channel)
            msg = chan.message(ts)
            editor = user or (msg or {}).get("user") or ""
            try:
                before, after, edit_ts = self._ws.edit_message(chan, ts, new_text, editor, raw=raw)
            except ApiError as exc:
                raise ValueError(f"cannot edit {ts} in {chan.id}: {exc.error}") from None
            event = payloads.message_changed_event(
                channel=chan.id,
                channel_type=self._ws.channel_type(chan),
                before=before,
                after=after,
                event_ts=edit_ts,
            )
        return self._emit(message_subscription(chan), chan, event, via, timeout)

    def delete_message(
        self,
        channel: str,
        ts: str,
        user: str | None = None,
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Delete a message and deliver `message_deleted`.

        A thread parent with replies becomes a tombstone instead, which Slack reports as a
        `message_changed` whose message has subtype `tombstone`. `user` (who deletes) is not
        in Slack's event; it is checked only to exist.
        """
        with self._ws.lock:
            chan = self._channel(channel)
            if user is not None and self._ws.user(user) is None:
                raise ValueError(f"no user {user!r} in the fake workspace")
            try:
                before, tombstone = self._ws.delete_message(chan, ts)
            except ApiError as exc:
                raise ValueError(f"cannot delete {ts} in {chan.id}: {exc.error}") from None
            kind = self._ws.channel_type(chan)
            event_ts = self._ws.ids.ts()
            if tombstone is not None:
                event = payloads.message_changed_event(
                    channel=chan.id,
                    channel_type=kind,
                    before=before,
                    after=tombstone,
                    event_ts=event_ts,
                )
            else:
                event = payloads.message_deleted_event(
                    channel=chan.id, channel_type=kind, before=before, event_ts=event_ts
                )
        return self._emit(message_subscription(chan), chan, event, via, timeout)

    # -- people ------------------------------------------------------------------------------

    def join(
        self,
        channel: str,
        user: str,
        *,
        inviter: str | None = None,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """A person joins (or is invited by `inviter`); deliver `member_joined_channel`.

        Slack also posts a `channel_join` message, delivered after it to an app subscribed
        to the channel's `message.*` event. Returns the `member_joined_channel` Delivery.
        """
        with self._ws.lock:
            chan = self._channel(channel)
            try:
                joined = self._ws.join(chan, user, inviter)
            except ApiError as exc:
                raise ValueError(f"{user} cannot join {chan.id}: {exc.error}") from None
            event = payloads.member_joined_event(
                user=user, channel=chan, inviter=inviter, event_ts=joined["ts"]
            )
            message = payloads.message_event(
                joined, channel=chan.id, channel_type=self._ws.channel_type(chan)
            )
        result = self._emit("member_joined_channel", chan, event, via, timeout)
        self._emit(message_subscription(chan), chan, message, via, timeout)
        return result

    def rename_channel(
        self,
        channel: str,
        user: str,
        new_name: str,
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """A person renames a channel: `channel_rename` (`group_rename` for a private one)
        goes to a subscribed app, then the `channel_name` message to one on message.*.
        Later slash commands carry the new `channel_name`."""
        with self._ws.lock:
            chan = self._channel(channel)
            try:
                validate_channel_name(new_name)
                self._ws.check_name_free(new_name, except_id=chan.id)
            except ApiError as exc:
                raise ValueError(f"cannot rename {chan.id} to {new_name!r}: {exc.error}") from None
            old = chan.name
            chan.previous_names.insert(0, old)
            chan.name = new_name
            msg: dict[str, Any] = {
                "type": "message",
                "subtype": "channel_name",
                "ts": self._ws.ids.ts(),
                "user": user,
                "old_name": old,
                "name": new_name,
                "text": f'<@{user}> has renamed the channel from "{old}" to "{new_name}"',
                "team": self._ws.team_of(user),
            }
            self._ws.append_message(chan, msg)
            kind = "group_rename" if chan.is_private else "channel_rename"
            event = payloads.rename_event(kind, chan, event_ts=msg["ts"])
            message = payloads.message_event(
                msg, channel=chan.id, channel_type=self._ws.channel_type(chan)
            )
        result = self._emit(kind, chan, event, via, timeout)
        self._emit(message_subscription(chan), chan, message, via, timeout)
        return result

    def unarchive_channel(
        self,
        channel: str,
        user: str = ALICE,
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """A person unarchives a channel in Slack (an app cannot: conversations.unarchive
        refuses bot tokens): `channel_unarchive` for a public channel (sent to the whole
        workspace), `group_unarchive` for a private one (to its members), each with the
        channel and who did it (docs events/channel_unarchive, events/group_unarchive; the
        user as Slack's own type definitions give it). A public channel comes back with the
        person who unarchived it as its member (Slack does not restore former members); the
        app, taken out at the archive, is in neither until someone adds it."""
        with self._ws.lock:
            chan = self._channel(channel)
            if not chan.is_archived:
                raise ValueError(f"{chan.id} is not archived")
            chan.is_archived = False
            if not chan.is_private:
                chan.members = {user}
            else:
                chan.members.add(user)
            kind = "group_unarchive" if chan.is_private else "channel_unarchive"
            # Who did it: `user` for a public channel (the docs' example), `actor_id` for a
            # private one (Slack's own type definitions, @slack/types GroupUnarchiveEvent).
            who = "actor_id" if chan.is_private else "user"
            event: dict[str, Any] = {
                "type": kind,
                "channel": chan.id,
                who: user,
                "event_ts": self._ws.ids.ts(),
            }
        return self._emit(kind, chan, event, via, timeout)

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int = 0,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Wrap an inner event in `event_callback` and deliver it."""
        event = copy.deepcopy(event)
        if "type" not in event:
            raise ValueError("an event needs a 'type'")
        event.setdefault("event_ts", self._ws.ids.ts())
        channel_id = payloads.event_channel(event)
        with self._ws.lock:
            chan = self._ws.channels.get(channel_id or "")
            shared = bool(chan and chan.ext_shared)
        wrapper = payloads.event_callback(
            event,
            event_id=event_id or self._ws.ids.event_id(),
            event_time=int(clock.now()),
            ext_shared=shared,
        )
        return self.deliver("events_api", wrapper, retry_num=retry_num, via=via, timeout=timeout)

    # -- slash commands --------------------------------------------------------------------

    def slash_command(
        self,
        text: str = "",
        *,
        user: str = ALICE,
        channel: str = GENERAL_ID,
        command: str = "/incident",
        raw: bool = False,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Type `/command text`: fresh trigger_id and response_url, then deliver.

        `text` is what the person typed; it is sent the way the manifest's `should_escape`
        makes Slack send it. `raw=True` puts `text` on the wire unchanged.
        """
        manifest = self._manifest
        if not manifest.has_command(command):
            raise ValueError(f"the app manifest declares no slash command {command!r}")
        self._require_local(user, "slash commands")
        chan = self._channel(channel)
        with self._ws.lock:
            sent = (
                text
                if raw
                else command_text(
                    self._ws, text, user, should_escape=manifest.should_escape_for(command)
                )
            )
        trigger_id = self._modals.issue_trigger(user)
        response_url = self._hooks.issue("commands", chan.id, user)
        payload = payloads.slash_command(
            self._ws,
            text=sent,
            user=user,
            channel=chan,
            command=command,
            trigger_id=trigger_id,
            response_url=response_url,
        )
        result = self.deliver(
            "slash_commands", payload, via=via, timeout=timeout, on_send=self._starts(trigger_id)
        )
        answer = result.response
        if result.ok and answer and (answer.get("text") or answer.get("blocks")):
            problems = message_problems(answer["blocks"]) if answer.get("blocks") else []
            if problems:
                # Slack shows the person an error instead of a message it cannot render.
                result.error = "invalid_blocks"
                self._refuse_ack("slash_commands", answer, "invalid_blocks", problems)
                return result
            # An ack carrying a message is shown to the user, like a response_url post.
            with self._ws.lock:
                self._hooks.apply(Hook(chan.id, user, None), answer)
        return result

    def _refuse_ack(self, kind: str, answer: dict[str, Any], error: str, problems: Any) -> None:
        now = time.time()
        body: dict[str, Any] = {"ok": False, "error": error}
        if problems:
            body["response_metadata"] = {"messages": problems}
        self._calls.refuse(Call(f"{kind}.ack", answer, None, now, now, 200, body))

    # -- shortcuts ---------------------------------------------------------------------------

    def message_shortcut(
        self,
        callback_id: str,
        channel: str,
        ts: str,
        user: str = ALICE,
        *,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Pick a message shortcut from a message's menu: fresh trigger_id and response_url."""
        if not self._manifest.has_shortcut(callback_id):
            raise ValueError(f"the app manifest declares no shortcut {callback_id!r}")
        self._require_local(user, "shortcuts")
        with self._ws.lock:
            chan = self._channel(channel)
            try:
                msg = copy.deepcopy(self._ws.require_message(chan, ts))
            except ApiError:
                raise ValueError(f"no message {ts} in {chan.id}") from None
        trigger_id = self._modals.issue_trigger(user)
        response_url = self._hooks.issue("actions", chan.id, user, None)
        payload = payloads.message_action(
            self._ws,
            callback_id=callback_id,
            user=user,
            channel=chan,
            message=msg,
            trigger_id=trigger_id,
            response_url=response_url,
        )
        return self.deliver(
            "interactive", payload, via=via, timeout=timeout, on_send=self._starts(trigger_id)
        )

    # -- modals ----------------------------------------------------------------------------

    def submit_view(
        self,
        view_id: str,
        values: dict[str, Any],
        *,
        user: str = ALICE,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Press Submit on an open modal with `values` (block_id -> plain value)."""
        view = self._modals.open_view(view_id)
        trigger_id = self._modals.issue_trigger(user, view_id=view_id)
        payload = payloads.view_submission(self._ws, view, values, user=user, trigger_id=trigger_id)
        result = self.deliver(
            "interactive", payload, via=via, timeout=timeout, on_send=self._starts(trigger_id)
        )
        if result.ok:
            self._apply_view_answer(view_id, result)
        return result

    def _apply_view_answer(self, view_id: str, result: Delivery) -> None:
        answer = result.response or {}
        action = answer.get("response_action")
        try:
            if action == "errors":
                self._modals.set_errors(view_id, dict(answer.get("errors") or {}))
            elif action in ("update", "push"):
                view = validate_view(answer.get("view"))
                if action == "update":
                    self._modals.replace_from_ack(view_id, view)
                else:
                    self._modals.push_from_ack(view_id, view)
            elif action == "clear":
                self._modals.clear_stack(view_id)
            else:
                self._modals.set_errors(view_id, None)
                self._modals.close(view_id)
        except ApiError as exc:
            # Slack keeps the modal open and tells the user the app answered badly.
            result.error = f"invalid response_action view: {exc.extra or exc.error}"
            messages = (exc.extra.get("response_metadata") or {}).get("messages")
            self._refuse_ack("view_submission", answer, exc.error, messages)

    # -- block actions ---------------------------------------------------------------------

    def click(
        self,
        action_id: str,
        *,
        value: Any = None,
        user: str = ALICE,
        channel: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        via: str | None = None,
        timeout: float = 5.0,
    ) -> Delivery:
        """Use an interactive element (button, select…) in a message or an open modal.

        Without `message_ts` the newest message (in `channel`, if given) holding the
        action is used; `value` overrides a button's value or picks a select option.
        """
        if view_id is not None:
            view = self._modals.open_view(view_id)
            found = payloads.find_element(view.get("blocks", []), action_id)
            if found is None:
                raise LookupError(f"no element {action_id!r} in view {view_id}")
            trigger_id = self._modals.issue_trigger(user, view_id=view_id)
            payload = payloads.block_actions(
                self._ws,
                user=user,
                trigger_id=trigger_id,
                view=view,
                actions=[payloads.action(*found, value)],
            )
            return self.deliver(
                "interactive", payload, via=via, timeout=timeout, on_send=self._starts(trigger_id)
            )
        with self._ws.lock:
            chan, msg, is_ephemeral = self._message_with(action_id, channel, message_ts, user)
            found = payloads.find_element(msg.get("blocks") or [], action_id)
            assert found is not None
            block, element = copy.deepcopy(found)
            msg = copy.deepcopy(msg)
        trigger_id = self._modals.issue_trigger(user)
        response_url = self._hooks.issue(
            "actions",
            chan.id,
            user,
            None if is_ephemeral else msg["ts"],
            ephemeral_ts=msg["ts"] if is_ephemeral else None,
        )
        payload = payloads.block_actions(
            self._ws,
            user=user,
            trigger_id=trigger_id,
            channel=chan,
            message=msg,
            is_ephemeral=is_ephemeral,
            response_url=response_url,
            actions=[payloads.action(block, element, value)],
        )
        return self.deliver(
            "interactive", payload, via=via, timeout=timeout, on_send=self._starts(trigger_id)
        )

    def _message_with(
        self, action_id: str, channel: str | None, message_ts: str | None, user: str
    ) -> tuple[Channel, dict[str, Any], bool]:
        chans: Iterable[Channel] = (
            [self._channel(channel)] if channel else list(self._ws.channels.values())
        )
        candidates: list[tuple[str, Channel, dict[str, Any], bool]] = []
        for chan in chans:
            for msg in chan.messages:
                candidates.append((msg["ts"], chan, msg, False))
        for eph in self._ws.ephemerals:
            if eph["user"] != user:
                continue  # an ephemeral message is seen, and clicked, by its one reader only
            if channel is None or eph["channel"] == self._channel(channel).id:
                candidates.append((eph["ts"], self._ws.channels[eph["channel"]], eph, True))
        for _, chan, msg, is_ephemeral in sorted(candidates, key=lambda c: c[0], reverse=True):
            if message_ts is not None and msg["ts"] != message_ts:
                continue
            if payloads.find_element(msg.get("blocks") or [], action_id) is not None:
                return chan, msg, is_ephemeral
        where = f" in {channel}" if channel else ""
        raise LookupError(
            f"no message{where} with an element {action_id!r}"
            + (f" at ts {message_ts}" if message_ts else "")
        )
