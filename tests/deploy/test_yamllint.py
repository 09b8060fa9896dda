"""yamllint, with the repository's .yamllint.yaml, finds nothing in deploy/ or in that config."""

from __future__ import annotations

import pytest

from tests.deploy.manifests import DEPLOY, REPO

yamllint_config = pytest.importorskip(
    "yamllint.config", reason="yamllint is in the dev extras: pip install -e '.[dev]'"
)
from yamllint import linter  # noqa: E402

CONFIG_FILE = REPO / ".yamllint.yaml"
FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml"), CONFIG_FILE])


def test_there_is_yaml_to_lint() -> None:
    names = {path.relative_to(REPO).as_posix() for path in FILES}
    assert {"deploy/base/kustomization.yaml", "deploy/overlays/http/kustomization.yaml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_yamllint_clean(path) -> None:
    config = yamllint_config.YamlLintConfig(file=str(CONFIG_FILE))
    problems = list(linter.run(path.read_text(), config, str(path)))
    assert not problems, "\n".join(f"{path.name}:{p.line}:{p.column} {p}" for p in problems)
