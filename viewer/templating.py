"""What templates may call: the settings, labels, and times shown in the viewer's zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app
from jinja2 import StrictUndefined

from viewer import filters as list_filters
from viewer import followups, milestones, mrkdwn, present
from viewer.config import Settings


def settings() -> Settings:
    return settings_of(current_app)


def settings_of(app: Flask) -> Settings:
    from viewer import SETTINGS_KEY

    return app.extensions[SETTINGS_KEY]


def plain_title(text: str | None, names: dict[str, str]) -> str:
    """A title as it reads: mentions as names (older and imported titles hold raw ids)."""
    return mrkdwn.to_plain(text or "", mrkdwn.Names(users=names))


def register(app: Flask) -> None:
    # A misspelt name in a template should fail the tests, not render as an empty string.
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        severity_label=present.severity_label,
        severity_class=present.severity_class,
        status_label=present.status_label,
        kind_label=present.kind_label,
        format_duration=present.format_duration,
        format_duration_short=present.format_duration_short,
        iso=present.iso,
        milestone_label=milestones.label,
        plain=plain_title,
        ticket_label=followups.ticket_label,
    )

    @app.context_processor
    def zone_helpers() -> dict[str, Any]:
        zone = settings().zone

        def when(moment: dt.datetime | None, with_date: bool = True) -> str:
            return present.format_time(moment, zone, with_date=with_date)

        def when_short(moment: dt.datetime) -> str:
            return present.format_short(moment, zone)

        return {
            "settings": settings(),
            "when": when,
            "when_short": when_short,
            "zone_name": settings().timezone,
            "filter_fields": list_filters.FIELDS,
        }
