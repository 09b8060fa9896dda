"""The viewer's settings, read once from the environment and validated at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.db import SUPPORTED_SCHEMES

DEFAULT_DATABASE_URL = "sqlite:///incidents.db"
DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class ConfigError(ValueError):
    """A variable is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = DEFAULT_TIMEZONE
    slack_workspace_url: str | None = None
    show_private: bool = False
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        # Validate here as well as in from_env, so settings built in code (tests, embedding)
        # fail as early and as clearly as settings read from the environment.
        _check_database_url("DATABASE_URL", self.database_url)
        _check_timezone("VIEWER_TIMEZONE", self.timezone)
        if self.slack_workspace_url is not None:
            _check_http_url("SLACK_WORKSPACE_URL", self.slack_workspace_url)
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")

    def __repr__(self) -> str:
        # The database URL may carry a password; keep it out of logs and tracebacks.
        parsed = urlparse(self.database_url)
        shown = parsed._replace(netloc=parsed.hostname or "").geturl()
        return (
            f"Settings(database_url={shown!r}, timezone={self.timezone!r}, "
            f"slack_workspace_url={self.slack_workspace_url!r}, "
            f"show_private={self.show_private!r})"
        )

    __str__ = __repr__

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from `env`; raise ConfigError naming the first bad variable."""

        def get(name: str) -> str:
            return env.get(name, "").strip()

        workspace = get("SLACK_WORKSPACE_URL").rstrip("/") or None
        return cls(
            database_url=_check_database_url(
                "DATABASE_URL", get("DATABASE_URL") or DEFAULT_DATABASE_URL
            ),
            timezone=_check_timezone("VIEWER_TIMEZONE", get("VIEWER_TIMEZONE") or DEFAULT_TIMEZONE),
            slack_workspace_url=(
                _check_http_url("SLACK_WORKSPACE_URL", workspace) if workspace else None
            ),
            show_private=_flag("VIEWER_SHOW_PRIVATE", get("VIEWER_SHOW_PRIVATE")),
        )


def _check_database_url(name: str, value: str) -> str:
    scheme = urlparse(value).scheme
    if scheme not in SUPPORTED_SCHEMES:
        raise ConfigError(
            f"{name} must start with postgresql:// or sqlite:///, not {scheme or 'nothing'!r}"
        )
    return value


def _check_timezone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"{name} is not a known time zone: {value!r}") from error
    return value


def _check_http_url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as https://acme.slack.com")
    return value


def _flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")
