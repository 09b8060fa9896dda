"""Listener modules, one per feature; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.features import (
    announcement,
    commands,
    declare,
    followups,
    message_changes,
    pins,
    reactions,
    reminders,
    timeline_shortcut,
    update_modal,
    welcome,
)


def register_all(app: App, deps: Deps) -> None:
    for feature in (
        commands, declare, update_modal, announcement, followups, pins, reminders,
        reactions, timeline_shortcut, welcome,
        message_changes,
    ):
        feature.register(app, deps)
