"""Structured logging: JSON lines in production, readable text locally, secrets scrubbed."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys

# Slack tokens and anything that looks like a password in a URL never reach a log line,
# whoever logs them (our code, Bolt, slack_sdk at DEBUG, psycopg2 errors).
_SECRET_PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)@"),
)
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


# Every pattern above needs one of these; a line with none of them (nearly every line) is
# spared the regular expressions.
_SECRET_MARKS = ("xox", "xapp-", "://")


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    if any(mark in text for mark in _SECRET_MARKS):
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(
                lambda m: "***" if m.lastindex is None else f"{m.group(1)}:***@", text
            )
    return text


class _Scrubbing(logging.Formatter):
    secrets: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        return scrub(self._format(record), self.secrets)

    def _format(self, record: logging.LogRecord) -> str:
        raise NotImplementedError


class JsonFormatter(_Scrubbing):
    """One JSON object per line, with any `extra=` fields (incident, event_id…) kept."""

    def _format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(_Scrubbing):
    def _format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        )
        base = (
            f"{self.formatTime(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        )
        text = f"{base} [{extras}]" if extras else base
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(
    fmt: str = "text", *, level: int = logging.INFO, secrets: tuple[str, ...] = ()
) -> None:
    """Send every logger's output to stderr in the chosen format, scrubbing `secrets`."""
    formatter: _Scrubbing = JsonFormatter() if fmt == "json" else TextFormatter()
    formatter.secrets = tuple(s for s in secrets if s)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
