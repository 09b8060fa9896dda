"""The Slack app manifests ask for exactly what the code uses: every Web API method's scope,
every event and shortcut it listens to, and nothing more.

What the code uses is read from the source itself (its syntax tree), not from a list kept
by hand, so a new `client.<method>(…)` or `app.event(…)` fails this test until the
manifests (and so the README's set-up) follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
MANIFESTS = [ROOT / "deploy" / "slack" / f"manifest.{mode}.yaml" for mode in ("socket", "http")]

# Bot-token scopes each Web API method needs (public channels; private ones add groups:*).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "bookmarks.add": {"bookmarks:write"},
    "chat.getPermalink": set(),
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.archive": {"channels:manage", "groups:write"},
    "conversations.create": {"channels:manage", "groups:write"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.invite": {"channels:manage", "groups:write"},
    "conversations.join": {"channels:join"},
    "conversations.list": {"channels:read", "groups:read"},
    "conversations.members": {"channels:read", "groups:read"},
    "conversations.rename": {"channels:manage", "groups:write"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.setTopic": {"channels:manage", "groups:write"},
    "pins.list": {"pins:read"},
    "reactions.get": {"reactions:read"},
    "users.info": {"users:read"},
    "views.open": set(),
    "views.update": set(),
}
# Events and the scopes that let the app receive them.
EVENT_SCOPES: dict[str, set[str]] = {
    "app_mention": {"app_mentions:read"},
    "channel_rename": {"channels:read"},
    "group_rename": {"groups:read"},
    "channel_unarchive": {"channels:read"},
    "group_unarchive": {"groups:read"},
    "member_joined_channel": {"channels:read", "groups:read"},
    "member_left_channel": {"channels:read", "groups:read"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "pin_added": {"pins:read"},
    "pin_removed": {"pins:read"},
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
}
# Scopes no method or event above implies, with the reason they are asked for.
EXTRA_SCOPES = {
    "commands": "the /incident slash command",
    "chat:write.public": "announcing in INCIDENTS_CHANNEL without joining it",
    "users:read.email": "users.info with e-mail, to match viewer sign-ins to Slack users",
}


def _modules() -> dict[str, ast.Module]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): ast.parse(path.read_text())
        for path in BOT.rglob("*.py")
    }


def _constants(modules: dict[str, ast.Module]) -> dict[tuple[str, str], object]:
    """Module-level NAME = "literal" (and tuple unpacking of literals) in every module."""
    found: dict[tuple[str, str], object] = {}
    for name, tree in modules.items():
        for node in tree.body:
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name):
                    try:
                        found[(name, target.id)] = ast.literal_eval(node.value)
                    except ValueError:
                        pass
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for element, value in zip(target.elts, node.value.elts, strict=False):
                        if isinstance(element, ast.Name) and isinstance(value, ast.Constant):
                            found[(name, element.id)] = value.value
    return found


def _resolve(
    node: ast.expr, module: str, constants: dict[tuple[str, str], object], imports: dict[str, str]
) -> object:
    if isinstance(node, ast.Constant | ast.Dict):
        return ast.literal_eval(node)
    if isinstance(node, ast.Name):
        if (module, node.id) in constants:
            return constants[(module, node.id)]
        source = imports.get(node.id)
        if source and (source, node.id) in constants:
            return constants[(source, node.id)]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        source = imports.get(node.value.id)
        if source and (source, node.attr) in constants:
            return constants[(source, node.attr)]
    raise AssertionError(f"{module}: cannot resolve {ast.unparse(node)} to a constant")


def used_by_code() -> tuple[set[str], set[str], set[str], set[str]]:
    """(Web API methods, event types, shortcut callback ids, slash commands) in bot/."""
    modules = _modules()
    constants = _constants(modules)
    methods: set[str] = set()
    events: set[str] = set()
    shortcuts: set[str] = set()
    commands: set[str] = set()
    for module, tree in modules.items():
        imports: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    imports[alias.asname or alias.name] = (
                        f"{node.module}.{alias.name}"
                        if f"{node.module}.{alias.name}" in modules
                        else node.module
                    )
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner, attr = node.func.value, node.func.attr
            # A Web API client by its name: client, a_client, quick (bot.features.deps.Deps.quick),
            # self.client.
            names = ("client", "quick")
            is_client = (isinstance(owner, ast.Name) and owner.id.endswith(names)) or (
                isinstance(owner, ast.Attribute) and owner.attr.endswith(names)
            )
            if is_client and "_" in attr:
                family, _, name = attr.partition("_")
                methods.add(f"{family}.{name}")
            if (
                isinstance(owner, ast.Name)
                and owner.id == "app"
                and node.args
                and attr in ("event", "shortcut", "command")
            ):
                value = _resolve(node.args[0], module, constants, imports)
                if attr == "event":
                    events.add(value["type"] if isinstance(value, dict) else str(value))
                elif attr == "shortcut":
                    shortcuts.add(str(value))
                elif attr == "command":
                    commands.add(str(value))
    return methods, events, shortcuts, commands


def _subscriptions(events: set[str]) -> set[str]:
    # Message events arrive per conversation type; the bot works in public and private
    # incident channels alike.
    return {e for e in events if e != "message"} | (
        {"message.channels", "message.groups"} if "message" in events else set()
    )


@pytest.mark.parametrize("manifest_path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_the_code(manifest_path: Path) -> None:
    manifest = yaml.safe_load(manifest_path.read_text())
    methods, events, shortcuts, commands = used_by_code()
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES"

    needed = set(EXTRA_SCOPES)
    for method in methods:
        needed |= METHOD_SCOPES[method]
    subscriptions = _subscriptions(events)
    for event in subscriptions:
        needed |= EVENT_SCOPES[event]
    asked = set(manifest["oauth_config"]["scopes"]["bot"])
    assert needed - asked == set(), f"{manifest_path.name} lacks scopes"
    assert asked - needed == set(), f"{manifest_path.name} asks for scopes nothing uses"

    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert subscribed == subscriptions

    declared_shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert declared_shortcuts == shortcuts
    assert all(s["type"] == "message" for s in manifest["features"].get("shortcuts", []))
    assert {c["command"] for c in manifest["features"]["slash_commands"]} == commands
    # Mentions must arrive as <@U…|name>: the bot takes people from the command's words.
    assert all(c["should_escape"] is True for c in manifest["features"]["slash_commands"])
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_scan_sees_what_the_bot_does() -> None:
    """Guards the scanner itself: it must find the calls and listeners known to exist."""
    methods, events, shortcuts, commands = used_by_code()
    assert {"conversations.create", "views.open", "chat.postMessage", "pins.list"} <= methods
    assert {"pin_added", "pin_removed", "app_mention"} <= events
    assert "declare_from_message" in shortcuts
    assert commands == {"/incident"}
