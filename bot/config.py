"""Settings from the environment, read once and validated at start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlparse

from bot.domain.numbers import whole_number
from bot.domain.reminder_settings import ReminderSettings
from incident_common.environment import (
    ConfigError,
    database_url,
    log_format_from_env,
    without_password,
)

DEFAULT_DATABASE_URL = "sqlite:///incidents.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Mode(StrEnum):
    """How Slack reaches the bot: over a WebSocket it opens, or by HTTP requests to it."""

    SOCKET = "socket"
    HTTP = "http"


_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Settings:
    mode: Mode
    database_url: str
    bot_token: str
    app_token: str
    signing_secret: str
    slack_api_url: str
    incidents_channel: str | None
    viewer_base_url: str | None
    log_format: str = "text"
    # The reaction that puts a message on the timeline (name without colons).
    timeline_reaction: str = "pushpin"
    # Days after resolution to archive the incident channel; None: never.
    archive_after_days: int | None = None
    # Posted in INCIDENTS_CHANNEL for a private incident; None: nothing at all.
    private_placeholder: str | None = None
    reminders: ReminderSettings = field(default_factory=ReminderSettings)

    def __repr__(self) -> str:
        # Settings end up in tracebacks and debug logs; never let the secrets go with them.
        return (
            f"Settings(mode={self.mode!r}, database={without_password(self.database_url)!r}, "
            f"slack_api_url={self.slack_api_url!r}, incidents_channel={self.incidents_channel!r}, "
            f"viewer_base_url={self.viewer_base_url!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, mode: str = Mode.SOCKET) -> Settings:
        """Build settings for `mode`; raise ConfigError naming the first bad variable."""
        if mode not in tuple(Mode):
            raise ConfigError(f"unknown mode {mode!r}; use one of {', '.join(Mode)}")

        def get(name: str) -> str:
            return env.get(name, "").strip()

        bot_token = get("SLACK_BOT_TOKEN")
        _require_prefix("SLACK_BOT_TOKEN", bot_token, "xoxb-")
        app_token = get("SLACK_APP_TOKEN")
        if mode == Mode.SOCKET:
            _require_prefix("SLACK_APP_TOKEN", app_token, "xapp-", why="in socket mode")
        signing_secret = get("SLACK_SIGNING_SECRET")
        if mode == Mode.HTTP and not signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is required in http mode")

        incidents_channel = incidents_channel_from_env(env)
        return cls(
            mode=Mode(mode),
            database_url=database_url_from_env(env),
            bot_token=bot_token,
            app_token=app_token,
            signing_secret=signing_secret,
            slack_api_url=_http_url(
                "SLACK_API_URL", get("SLACK_API_URL") or DEFAULT_SLACK_API_URL, trailing_slash=True
            ),
            incidents_channel=incidents_channel,
            viewer_base_url=_optional_http_url("VIEWER_BASE_URL", get("VIEWER_BASE_URL")),
            log_format=log_format_from_env(env),
            timeline_reaction=_reaction_name(get("TIMELINE_REACTION") or "pushpin"),
            archive_after_days=_optional_days("ARCHIVE_AFTER_DAYS", get("ARCHIVE_AFTER_DAYS")),
            private_placeholder=get("PRIVATE_INCIDENT_PLACEHOLDER") or None,
            reminders=ReminderSettings.from_env(env),
        )


def database_url_from_env(env: Mapping[str, str]) -> str:
    return database_url("DATABASE_URL", env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)


def _require_prefix(name: str, value: str, prefix: str, why: str = "") -> None:
    if not value:
        raise ConfigError(f"{name} is required{' ' + why if why else ''}")
    if not value.startswith(prefix):
        # Say which kind of token it looks like, never the token itself.
        raise ConfigError(f"{name} must be a token starting with {prefix!r}")


def _http_url(name: str, value: str, *, trailing_slash: bool = False) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    if trailing_slash and not value.endswith("/"):
        value += "/"
    return value


def _optional_http_url(name: str, value: str) -> str | None:
    if not value:
        return None
    return _http_url(name, value).rstrip("/")


def _reaction_name(value: str) -> str:
    name = value.strip(":")
    if not re.fullmatch(r"[a-z0-9_+'-]+", name):
        raise ConfigError(f"TIMELINE_REACTION must be an emoji name such as pushpin, not {value!r}")
    return name


def _optional_days(name: str, value: str) -> int | None:
    if not value:
        return None
    days = whole_number(value, digits=6)
    if days is None or days < 1:
        raise ConfigError(f"{name} must be a whole number of days (1 or more), not {value!r}")
    return days


def incidents_channel_from_env(env: Mapping[str, str]) -> str | None:
    """INCIDENTS_CHANNEL, a channel's id; ConfigError for a name or anything else."""
    channel = env.get("INCIDENTS_CHANNEL", "").strip() or None
    if channel and not _CHANNEL_ID.match(channel):
        raise ConfigError(
            f"INCIDENTS_CHANNEL must be a channel ID such as C024BE91L, not a name ({channel!r})"
        )
    return channel
