"""Listener modules, one per feature; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.features import declare, pins


def register_all(app: App, deps: Deps) -> None:
    for feature in (declare, pins):
        feature.register(app, deps)
