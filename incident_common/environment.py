"""Reading the environment: the one error a bad variable raises, and the settings both
programs read the same way."""

from __future__ import annotations

from collections.abc import Mapping

LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    """A variable is missing or malformed; the message names it."""


def log_format_from_env(env: Mapping[str, str]) -> str:
    """LOG_FORMAT: `text` (the default) or `json`."""
    value = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if value not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be 'text' or 'json', not {value!r}")
    return value
