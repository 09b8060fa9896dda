"""Listener modules, one per feature; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.features import announcement, commands, declare, followups, pins, reminders, update_modal


def register_all(app: App, deps: Deps) -> None:
    for feature in (commands, declare, update_modal, announcement, followups, pins, reminders):
        feature.register(app, deps)
