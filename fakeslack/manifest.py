"""The app manifest the fake enforces: granted bot scopes, subscribed bot events, slash
commands (with their `should_escape`), shortcuts and the transport. Read once from Slack's
manifest YAML; `AppManifest.permissive()` grants everything when no manifest is given."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from fakeslack.scopes import ALL_BOT_SCOPES

# Bot events the fake can deliver; the permissive manifest subscribes to all of them.
KNOWN_BOT_EVENTS = frozenset(
    {
        "app_mention",
        "channel_rename",
        "channel_unarchive",
        "group_rename",
        "group_unarchive",
        "member_joined_channel",
        "member_left_channel",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "pin_added",
        "pin_removed",
        "reaction_added",
        "reaction_removed",
    }
)


@dataclass(frozen=True)
class SlashCommand:
    command: str
    should_escape: bool


@dataclass(frozen=True)
class AppManifest:
    """What Slack knows of the app: scopes, events, commands, shortcuts, transport.

    `everything` marks the permissive manifest: any scope, event, command or shortcut.
    """

    bot_scopes: frozenset[str]
    bot_events: frozenset[str]
    socket_mode: bool = True
    commands: tuple[SlashCommand, ...] = ()
    shortcuts: frozenset[str] = frozenset()
    interactivity: bool = True
    name: str = "Incident Bot"
    everything: bool = field(default=False, compare=False)

    @classmethod
    def permissive(cls) -> AppManifest:
        """Every scope and event, escaping on, any command or shortcut (the default)."""
        return cls(
            bot_scopes=ALL_BOT_SCOPES,
            bot_events=KNOWN_BOT_EVENTS,
            socket_mode=True,
            commands=(SlashCommand("/incident", True),),
            everything=True,
        )

    @property
    def should_escape(self) -> bool:
        """`should_escape` of `/incident` (or of the only command there is)."""
        return self.should_escape_for("/incident")

    def should_escape_for(self, command: str) -> bool:
        for declared in self.commands:
            if declared.command == command:
                return declared.should_escape
        if self.everything:
            return True
        raise ValueError(f"the app manifest declares no slash command {command!r}")

    def has_command(self, command: str) -> bool:
        return self.everything or any(c.command == command for c in self.commands)

    def has_shortcut(self, callback_id: str) -> bool:
        return self.everything or callback_id in self.shortcuts

    def has_scope(self, scope: str) -> bool:
        return scope in self.bot_scopes

    def subscribes(self, event: str) -> bool:
        return event in self.bot_events


def _as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"manifest: {where} must be a list")
    return value


def from_dict(data: dict[str, Any]) -> AppManifest:
    """Build an AppManifest from a parsed manifest (YAML or JSON: the same schema)."""
    if not isinstance(data, dict):
        raise ValueError("manifest: the top level must be a mapping")
    features = data.get("features") or {}
    settings = data.get("settings") or {}
    oauth = (data.get("oauth_config") or {}).get("scopes") or {}
    subscriptions = settings.get("event_subscriptions") or {}
    commands = tuple(
        SlashCommand(str(c["command"]), bool(c.get("should_escape", False)))
        for c in _as_list(features.get("slash_commands"), "features.slash_commands")
    )
    shortcuts = frozenset(
        str(s["callback_id"])
        for s in _as_list(features.get("shortcuts"), "features.shortcuts")
        if isinstance(s, dict) and s.get("callback_id")
    )
    return AppManifest(
        bot_scopes=frozenset(str(s) for s in _as_list(oauth.get("bot"), "oauth_config.scopes.bot")),
        bot_events=frozenset(
            str(e)
            for e in _as_list(subscriptions.get("bot_events"), "event_subscriptions.bot_events")
        ),
        socket_mode=bool(settings.get("socket_mode_enabled", False)),
        commands=commands,
        shortcuts=shortcuts,
        interactivity=bool((settings.get("interactivity") or {}).get("is_enabled", False)),
        name=str((data.get("display_information") or {}).get("name") or ""),
    )


def load_manifest(path: str | os.PathLike[str]) -> AppManifest:
    """Read a manifest file (YAML, or JSON which YAML also reads)."""
    import yaml  # lazily: PyYAML comes with the dev extras, the fake runs without a manifest

    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return from_dict(data)


def resolve(manifest: AppManifest | str | os.PathLike[str] | None) -> AppManifest:
    if manifest is None:
        return AppManifest.permissive()
    if isinstance(manifest, AppManifest):
        return manifest
    return load_manifest(manifest)
