"""What every Web API handler receives: the backend it acts on and its decoded parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakeslack.manifest import AppManifest
from fakeslack.modals import ModalStore
from fakeslack.state import Workspace


@dataclass
class Backend:
    ws: Workspace
    modals: ModalStore
    # apps.connections.open needs the socket side to mint a single-use ticket URL.
    issue_socket_url: Callable[[], str]
    # What the app was granted, and what the workspace's admins allow it.
    manifest: AppManifest = field(default_factory=AppManifest.permissive)
    create_channels: bool = True


class Params:
    """Arguments as slack_sdk sends them: JSON values, or form strings ("1", "a,b")."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else str(value)

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes")
        return bool(value)

    def items(self, name: str) -> list[str]:
        value = self.data.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        return [part.strip() for part in str(value).split(",") if part.strip()]

    def number(self, name: str, default: int) -> int:
        try:
            return int(self.data.get(name, default))
        except (TypeError, ValueError):
            return default

    def raw(self, name: str) -> Any:
        return self.data.get(name)


Handler = Callable[[Backend, Params], dict[str, Any]]
