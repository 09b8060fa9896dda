"""The exception Web API handlers raise to answer `{"ok": false, "error": ...}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Slack Web API error; `extra` fields are merged into the response body."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}
