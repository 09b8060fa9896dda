"""Bolt listeners, one module or package per feature; each exposes register(app, deps).
May import slack, config, domain, models; never jobs or transport."""

from __future__ import annotations

from slack_bolt import App

from bot.features import (
    announcement,
    channel_archive,
    channel_names,
    commands,
    declare,
    followup_form,
    followups,
    message_changes,
    pins,
    reactions,
    reminders,
    response_buttons,
    timeline_shortcut,
    update_modal,
    welcome,
)
from bot.features.deps import Deps

# Bolt tries listeners in the order they were registered, and building the arguments for
# each test costs tens of microseconds. First the command people wait on, then the events that
# come by the thousand in a busy incident (pins, reactions, every message), then the rest.
# message_changes must stay after any other feature listening to `message` events: its
# catch-all matches every message.
ORDER = (
    commands,
    pins,
    reactions,
    channel_names,  # listens to one kind of message: before message_changes' catch-all
    message_changes,
    welcome,
    declare,
    update_modal,
    announcement,
    followups,
    followup_form,
    reminders,
    timeline_shortcut,
    channel_archive,
    response_buttons,
)


def register_all(app: App, deps: Deps) -> None:
    for feature in ORDER:
        feature.register(app, deps)
