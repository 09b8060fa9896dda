"""Rendering the kustomize overlays and walking what they contain (workloads, pods, containers)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
OVERLAYS = ("socket", "http", "embedded")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

Doc = dict[str, Any]


def tool(name: str) -> str | None:
    """A command installed beside this interpreter (the dev extras), else one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


@functools.cache
def render(overlay: str | Path) -> tuple[Doc, ...]:
    """A shipped overlay by name, or any kustomization folder by path."""
    kubectl = tool("kubectl")
    assert kubectl is not None, "callers skip when kubectl is missing"
    folder = overlay if isinstance(overlay, Path) else DEPLOY / "overlays" / overlay
    result = subprocess.run(
        [kubectl, "kustomize", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def load_yaml(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def image_name(image: str) -> str:
    """The image without its tag (or digest)."""
    name = image.split("@", 1)[0]
    return name.rpartition(":")[0] if ":" in name.rpartition("/")[2] else name


def of_kind(docs: tuple[Doc, ...], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs: tuple[Doc, ...], kind: str, name: str) -> Doc:
    found = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def workloads(docs: tuple[Doc, ...]) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] in WORKLOAD_KINDS]


def pod_template(workload: Doc) -> Doc:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]


def pod_spec(workload: Doc) -> Doc:
    return pod_template(workload)["spec"]


def pod_labels(workload: Doc) -> dict[str, str]:
    return pod_template(workload)["metadata"].get("labels", {})


def all_containers(workload: Doc) -> Iterator[tuple[str, Doc]]:
    """(a label like `Deployment/incident-bot init:migrate`, container) for every container."""
    spec = pod_spec(workload)
    where = f"{workload['kind']}/{workload['metadata']['name']}"
    for container in spec.get("initContainers", []):
        yield f"{where} init:{container['name']}", container
    for container in spec["containers"]:
        yield f"{where} {container['name']}", container


def all_containers_in(docs: tuple[Doc, ...]) -> Iterator[tuple[str, Doc, Doc]]:
    for workload in workloads(docs):
        for where, container in all_containers(workload):
            yield where, container, workload


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """matchLabels only (that is all these manifests use; matchExpressions fail loudly)."""
    assert set(selector) <= {"matchLabels"}, f"unsupported selector {selector}"
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def pods_selected(docs: tuple[Doc, ...], selector: Doc) -> list[Doc]:
    return [w for w in workloads(docs) if selects(selector, pod_labels(w))]


def container_port(container: Doc, port: int | str) -> int | None:
    """The number of a container port given by name or number, None if not declared."""
    for declared in container.get("ports", []):
        if port in (declared.get("name"), declared["containerPort"]):
            return int(declared["containerPort"])
    return None


_UNITS = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value: str | int | float) -> float:
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(value))
    assert match, f"unparsed quantity {value!r}"
    return float(match.group(1)) * _UNITS[match.group(2) or ""]


def dockerfile_user(path: Path) -> str:
    users = [line.split()[1] for line in path.read_text().splitlines() if line.startswith("USER ")]
    assert users, f"{path.name} sets no USER"
    return users[-1]
