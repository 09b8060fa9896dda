"""Reading the environment: the one error a bad variable raises, and the settings both
programs read the same way."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

LOG_FORMATS = ("text", "json")
DATABASE_SCHEMES = ("postgresql", "postgres", "sqlite")


class ConfigError(ValueError):
    """A variable is missing or malformed; the message names it."""


def log_format_from_env(env: Mapping[str, str]) -> str:
    """LOG_FORMAT: `text` (the default) or `json`."""
    value = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be 'text' or 'json', not {value!r}")
    return value


def without_password(url: str) -> str:
    """`url` fit to show or log: its password, if any, replaced by ***."""
    password = urlparse(url).password
    return url.replace(f":{password}@", ":***@", 1) if password else url


def database_url(name: str, url: str) -> str:
    """`url` if it names a database either program can open; else a ConfigError naming
    `name` (a variable or an option) and what is wrong, never the password."""
    parsed = urlparse(url)
    if parsed.scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"{name} must start with postgresql:// or sqlite:/// "
            f"(got scheme {parsed.scheme or 'none'!r})"
        )
    if parsed.scheme == "sqlite":
        if not parsed.path.strip("/"):
            raise ConfigError(
                f"{name}: a sqlite URL needs a file path, e.g. sqlite:///incidents.db"
            )
        return url
    try:
        parsed.port  # noqa: B018 - reading it is the check: out of range raises
    except ValueError as error:
        raise ConfigError(f"{name}: the port is not a number from 1 to 65535") from error
    if not parsed.hostname or not parsed.path.strip("/"):
        raise ConfigError(
            f"{name}: a postgresql URL needs a host and a database name, "
            "e.g. postgresql://user:pass@host:5432/incidents"
        )
    return url


# Minutes between updates by severity (REMINDER_UPDATE_MINUTES): the bot reminds when one is
# due, the viewer shows when the next one is.
DEFAULT_UPDATE_MINUTES: Mapping[int, int] = {1: 30, 2: 60}


def update_minutes(
    name: str, value: str, default: Mapping[int, int] = DEFAULT_UPDATE_MINUTES
) -> dict[int, int]:
    """'1=30,2=60' → {1: 30, 2: 60}; 'none' → no updates are asked for."""
    value = value.strip()
    if not value:
        return dict(default)
    if value.lower() in ("none", "off"):
        return {}
    minutes: dict[int, int] = {}
    for part in value.split(","):
        severity, _, length = part.strip().partition("=")
        severity, length = severity.strip().lower().removeprefix("sev"), length.strip()
        if severity not in ("1", "2", "3", "4") or not (
            length.isascii() and length.isdigit() and len(length) <= 9
        ):
            raise ConfigError(
                f"{name} must look like 1=30,2=60 (severity 1-4 = minutes), not {value!r}"
            )
        if int(severity) in minutes:
            raise ConfigError(f"{name} names severity {severity} twice")
        if int(length) > 0:
            minutes[int(severity)] = int(length)
    return minutes
