"""The rules of the chart, asserted on the objects `helm template` renders."""

from __future__ import annotations

import base64
import re
import urllib.parse
from typing import TYPE_CHECKING, Any

import pytest

from tests.chart.render import CHART_DIR, NAMESPACE, RELEASE, render, scenario_values, selects

if TYPE_CHECKING:
    from tests.chart.render import Manifest, Rendered

pytestmark = pytest.mark.chart

APP = f"{RELEASE}-users-api"
MONGODB = f"{APP}-mongodb"
MONGO_EXPRESS = f"{APP}-mongo-express"
# A mount path inside the rendered pods, not a file this test touches.
TMP_MOUNT = "/tmp"  # noqa: S108
SCENARIOS = list(scenario_values())
BUNDLED = [s for s in SCENARIOS if not s.startswith("external")]
EXTERNAL = [s for s in SCENARIOS if s.startswith("external")]


def container(workload: Manifest, name: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == name)


def volume_at(workload: Manifest, name: str, mount_path: str) -> dict[str, Any]:
    """The pod volume mounted at mount_path in the named container."""
    mounts = {m["mountPath"]: m["name"] for m in container(workload, name)["volumeMounts"]}
    volumes: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["volumes"]
    return next(v for v in volumes if v["name"] == mounts[mount_path])


def pod_labels(workload: Manifest) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def app(rendered: Rendered) -> Manifest:
    return rendered.get("Deployment", APP)


def app_container(rendered: Rendered) -> dict[str, Any]:
    return container(app(rendered), "users-api")


def secret_data(secret: Manifest) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def config_env(rendered: Rendered) -> dict[str, str]:
    data: dict[str, str] = rendered.get("ConfigMap", APP)["data"]
    return data


# ---------------------------------------------------------------- the app's pods


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_app_runs_non_root_with_read_only_root_and_no_privileges(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    deployment = app(rendered_scenarios[scenario])
    pod = deployment["spec"]["template"]["spec"]
    security = app_container(rendered_scenarios[scenario])["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert security["runAsNonRoot"] is True
    assert isinstance(security["runAsUser"], int)
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "emptyDir" in volume_at(deployment, "users-api", TMP_MOUNT)


def test_probes_hit_the_app_contract_paths_on_the_named_http_port(default_render: Rendered) -> None:
    main = app_container(default_render)
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"http": 8080}
    assert config_env(default_render)["PORT"] == "8080"
    assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert "command" not in main
    assert "args" not in main


def test_app_has_requests_and_memory_limits(default_render: Rendered) -> None:
    resources = app_container(default_render)["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert resources["limits"]["memory"] == resources["requests"]["memory"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_connection_string_comes_from_a_secret_never_a_literal(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    rendered = rendered_scenarios[scenario]
    env = {e["name"]: e for e in app_container(rendered)["env"]}
    reference = env["MONGODB_URI"]["valueFrom"]["secretKeyRef"]
    assert "value" not in env["MONGODB_URI"]
    for workload in [*rendered.of_kind("Deployment"), *rendered.of_kind("StatefulSet")]:
        for item in workload["spec"]["template"]["spec"]["containers"]:
            for variable in item.get("env", []):
                assert not str(variable.get("value", "")).startswith("mongodb://") or (
                    "$(" in variable["value"]
                ), f"literal connection string in {workload['metadata']['name']}"
    if rendered.has("Secret", reference["name"]):
        assert reference["key"] in rendered.get("Secret", reference["name"])["data"]


def test_existing_secret_is_used_and_nothing_is_generated(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["existing-secret"]
    assert app_container(rendered)["env"][0]["valueFrom"]["secretKeyRef"] == {
        "name": "users-api-mongodb-credentials",
        "key": "app-uri",
    }
    mongo_env = {
        e["name"]: e for e in container(rendered.get("StatefulSet", MONGODB), "mongodb")["env"]
    }
    assert mongo_env["MONGO_INITDB_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "users-api-mongodb-credentials",
        "key": "root-password",
    }
    assert rendered.of_kind("Secret") == []


def test_external_existing_secret_renders_no_secret(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["external-existing-secret"]
    assert app_container(rendered)["env"][0]["valueFrom"]["secretKeyRef"] == {
        "name": "users-api-atlas",
        "key": "uri",
    }
    assert rendered.of_kind("Secret") == []


def test_external_uri_lands_in_the_chart_secret(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["external-mongodb"]
    reference = app_container(rendered)["env"][0]["valueFrom"]["secretKeyRef"]
    uri = secret_data(rendered.get("Secret", reference["name"]))[reference["key"]]
    assert uri.startswith("mongodb+srv://users-api:example@cluster0.example.mongodb.net/")


@pytest.mark.parametrize("scenario", EXTERNAL)
def test_no_mongodb_objects_when_mongodb_is_external(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    rendered = rendered_scenarios[scenario]
    assert rendered.of_kind("StatefulSet") == []
    assert rendered.of_kind("PersistentVolumeClaim") == []
    names = [m["metadata"]["name"] for m in rendered.manifests]
    assert not [n for n in names if n.startswith(MONGODB)]


def test_checksums_roll_pods_on_config_and_secret_changes_only() -> None:
    def annotations(**values: str) -> dict[str, str]:
        found: dict[str, str] = app(render(set_values=values))["spec"]["template"]["metadata"][
            "annotations"
        ]
        return found

    base = annotations()
    assert annotations() == base, "renders must be deterministic despite generated passwords"
    assert annotations(**{"config.logLevel": "debug"})["checksum/config"] != base["checksum/config"]
    changed = annotations(**{"mongodb.auth.password": "rotated"})
    assert changed["checksum/secret"] != base["checksum/secret"]
    assert changed["checksum/config"] == base["checksum/config"]
    assert annotations(replicaCount="5") == base


def test_generated_secret_is_internally_consistent(default_render: Rendered) -> None:
    data = secret_data(default_render.get("Secret", MONGODB))
    uri = urllib.parse.urlsplit(data["mongodb-uri"])
    assert uri.scheme == "mongodb"
    assert uri.username == "users-api"
    assert urllib.parse.unquote_plus(uri.password or "") == data["mongodb-password"]
    assert uri.hostname == f"{MONGODB}.{NAMESPACE}.svc"
    assert uri.port == 27017
    assert uri.path == "/users"
    assert urllib.parse.parse_qs(uri.query) == {"authSource": ["users"]}
    assert len(data["mongodb-root-password"]) == 32
    assert data["mongodb-root-password"] != data["mongodb-password"]
    annotations = default_render.get("Secret", MONGODB)["metadata"]["annotations"]
    assert annotations["helm.sh/resource-policy"] == "keep"


def test_passwords_with_reserved_characters_are_percent_encoded() -> None:
    rendered = render(set_values={"mongodb.auth.password": "p@ss:w/rd"})
    data = secret_data(rendered.get("Secret", MONGODB))
    uri = urllib.parse.urlsplit(data["mongodb-uri"])
    assert urllib.parse.unquote_plus(uri.password or "") == "p@ss:w/rd"
    assert uri.hostname == f"{MONGODB}.{NAMESPACE}.svc"


def test_random_values_appear_only_in_secrets() -> None:
    """Nothing that varies per render may reach a pod template, or every upgrade would roll it."""
    volatile = re.compile(r"\b(now|rand\w*|uuidv4|genPrivateKey|genCA)\b")
    for path in (CHART_DIR / "templates").rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".tpl", ".txt"}:
            actions = re.findall(r"\{\{.*?\}\}", path.read_text(), flags=re.DOTALL)
            if any(volatile.search(action) for action in actions):
                assert path.name == "secret.yaml", path


def test_grace_period_is_computed_from_the_shutdown_settings() -> None:
    rendered = render(
        set_values={
            "shutdown.delaySeconds": "7",
            "shutdown.timeoutSeconds": "20",
            "shutdown.graceMarginSeconds": "3",
        }
    )
    pod = app(rendered)["spec"]["template"]["spec"]
    env = config_env(rendered)
    assert env["SHUTDOWN_DELAY_SECONDS"] == "7"
    assert env["SHUTDOWN_TIMEOUT_SECONDS"] == "20"
    assert pod["terminationGracePeriodSeconds"] == 30
    assert "lifecycle" not in app_container(rendered), "the app does the delay; no preStop"


def test_prestop_sleep_takes_over_the_delay_so_it_never_stacks() -> None:
    rendered = render(
        set_values={
            "shutdown.preStopSleep": "true",
            "shutdown.delaySeconds": "7",
            "shutdown.timeoutSeconds": "20",
            "shutdown.graceMarginSeconds": "3",
        }
    )
    assert app_container(rendered)["lifecycle"] == {"preStop": {"sleep": {"seconds": 7}}}
    assert config_env(rendered)["SHUTDOWN_DELAY_SECONDS"] == "0"
    pod = app(rendered)["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 30


def test_default_shutdown_delay_is_set_and_covered_by_the_grace_period(
    default_render: Rendered,
) -> None:
    env = config_env(default_render)
    pod = app(default_render)["spec"]["template"]["spec"]
    delay, timeout = int(env["SHUTDOWN_DELAY_SECONDS"]), int(env["SHUTDOWN_TIMEOUT_SECONDS"])
    assert delay >= 5
    assert pod["terminationGracePeriodSeconds"] > delay + timeout


def test_rollout_never_reduces_capacity_and_pods_spread_over_nodes(
    default_render: Rendered,
) -> None:
    deployment = app(default_render)
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread[0]["topologyKey"] == "kubernetes.io/hostname"
    assert selects(spread[0]["labelSelector"]["matchLabels"], pod_labels(deployment))


def test_service_account_has_no_token(default_render: Rendered) -> None:
    deployment = app(default_render)
    account = default_render.get("ServiceAccount", APP)
    assert account["automountServiceAccountToken"] is False
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == APP
    assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_service_is_cluster_ip_on_named_http_port(default_render: Rendered) -> None:
    service = default_render.get("Service", APP)
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"}
    ]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_selector_selects_exactly_its_own_workload(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    rendered = rendered_scenarios[scenario]
    workloads = [*rendered.of_kind("Deployment"), *rendered.of_kind("StatefulSet")]
    for kind in ("Service", "PodDisruptionBudget"):
        for obj in rendered.of_kind(kind):
            spec = obj["spec"]
            selector = spec["selector"] if kind == "Service" else spec["selector"]["matchLabels"]
            matched = [w["metadata"]["name"] for w in workloads if selects(selector, pod_labels(w))]
            assert len(matched) == 1, (kind, obj["metadata"]["name"], matched)
    for workload in workloads:
        assert selects(workload["spec"]["selector"]["matchLabels"], pod_labels(workload))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_object_carries_the_recommended_labels(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    for manifest in rendered_scenarios[scenario].manifests:
        labels = manifest["metadata"]["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/managed-by",
            "app.kubernetes.io/version",
            "helm.sh/chart",
        ):
            assert key in labels, (manifest["kind"], manifest["metadata"]["name"], key)
        assert labels["app.kubernetes.io/instance"] == RELEASE


# ---------------------------------------------------------------- network policies


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_app_network_policy_targets_app_pods_and_opens_only_the_http_port(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    rendered = rendered_scenarios[scenario]
    policy = rendered.get("NetworkPolicy", APP)["spec"]
    deployment = app(rendered)
    assert selects(policy["podSelector"]["matchLabels"], pod_labels(deployment))
    assert policy["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert {"Ingress", "Egress"} == set(policy["policyTypes"])


def test_restricted_app_ingress_still_admits_the_helm_test_pod(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["ingress"]
    peers = rendered.get("NetworkPolicy", APP)["spec"]["ingress"][0]["from"]
    test_pod = next(
        p for p in rendered.of_kind("Pod") if "helm.sh/hook" in p["metadata"]["annotations"]
    )
    assert any(
        "podSelector" in peer
        and selects(peer["podSelector"]["matchLabels"], test_pod["metadata"]["labels"])
        for peer in peers
    )
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    } in peers


@pytest.mark.parametrize("scenario", BUNDLED)
def test_only_this_releases_app_pods_reach_mongodb(
    rendered_scenarios: dict[str, Rendered], scenario: str
) -> None:
    rendered = rendered_scenarios[scenario]
    policy = rendered.get("NetworkPolicy", MONGODB)["spec"]
    statefulset = rendered.get("StatefulSet", MONGODB)
    assert selects(policy["podSelector"]["matchLabels"], pod_labels(statefulset))
    assert not selects(policy["podSelector"]["matchLabels"], pod_labels(app(rendered)))
    assert policy["egress"] == []
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"port": "mongodb", "protocol": "TCP"}]
    allowed = [peer["podSelector"]["matchLabels"] for peer in rule["from"]]
    assert all(set(peer) == {"podSelector"} for peer in rule["from"]), "same namespace only"
    assert any(selects(sel, pod_labels(app(rendered))) for sel in allowed)
    assert not any(selects(sel, pod_labels(statefulset)) for sel in allowed)
    other_release = {**pod_labels(app(rendered)), "app.kubernetes.io/instance": "other"}
    assert not any(selects(sel, other_release) for sel in allowed)
    # The app may open connections to exactly those pods.
    egress = rendered.get("NetworkPolicy", APP)["spec"]["egress"]
    targets = [p["podSelector"]["matchLabels"] for r in egress for p in r.get("to", [])]
    assert any(selects(sel, pod_labels(statefulset)) for sel in targets)


def test_mongo_express_reaches_mongodb_but_nothing_reaches_it(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["mongo-express"]
    admin = rendered.get("Deployment", MONGO_EXPRESS)
    allowed = [
        p["podSelector"]["matchLabels"]
        for p in rendered.get("NetworkPolicy", MONGODB)["spec"]["ingress"][0]["from"]
    ]
    assert any(selects(sel, pod_labels(admin)) for sel in allowed)
    own = rendered.get("NetworkPolicy", MONGO_EXPRESS)["spec"]
    assert selects(own["podSelector"]["matchLabels"], pod_labels(admin))
    assert "Ingress" in own["policyTypes"]
    assert "ingress" not in own
    env = {e["name"]: e for e in container(admin, "mongo-express")["env"]}
    assert env["ME_CONFIG_MONGODB_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": MONGODB,
        "key": "mongo-express-url",
    }
    assert "ME_CONFIG_MONGODB_SERVER" not in env
    assert env["ME_CONFIG_BASICAUTH_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == MONGO_EXPRESS


def test_mongo_express_is_off_by_default(default_render: Rendered) -> None:
    assert not default_render.has("Deployment", MONGO_EXPRESS)


# ---------------------------------------------------------------- migration Job

MIGRATION_JOB = f"{APP}-migrate"


def test_migration_job_is_off_by_default(default_render: Rendered) -> None:
    assert not default_render.has("Job", MIGRATION_JOB)
    assert "MAX_IN_FLIGHT" not in config_env(default_render)


def test_migration_job_is_a_hook_run_like_the_app_and_reaches_only_mongodb(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["migration"]
    job = rendered.get("Job", MIGRATION_JOB)
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    pod = job["spec"]["template"]
    (migrate,) = pod["spec"]["containers"]
    assert migrate["command"] == ["python", "-m", "app.migrate"]
    assert migrate["image"] == app_container(rendered)["image"]
    assert migrate["envFrom"] == app_container(rendered)["envFrom"]
    assert migrate["env"][0] == app_container(rendered)["env"][0]  # MONGODB_URI, same Secret
    assert migrate["securityContext"] == app_container(rendered)["securityContext"]
    assert pod["spec"]["restartPolicy"] == "Never"
    labels = pod["metadata"]["labels"]
    service = rendered.get("Service", APP)["spec"]["selector"]
    assert not selects(service, labels), "the Service must never route to the Job"
    mongodb_peers = rendered.get("NetworkPolicy", MONGODB)["spec"]["ingress"][0]["from"]
    assert any(selects(peer["podSelector"]["matchLabels"], labels) for peer in mongodb_peers)
    assert config_env(rendered)["MAX_IN_FLIGHT"] == "32"


def test_migration_dry_run_passes_the_flag() -> None:
    rendered = render(set_values={"migration.enabled": "true", "migration.dryRun": "true"})
    (migrate,) = rendered.get("Job", MIGRATION_JOB)["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["--dry-run"]


# ---------------------------------------------------------------- MongoDB


def test_statefulset_is_governed_by_its_headless_service(default_render: Rendered) -> None:
    statefulset = default_render.get("StatefulSet", MONGODB)
    headless = default_render.get("Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert selects(headless["spec"]["selector"], pod_labels(statefulset))
    regular = default_render.get("Service", MONGODB)
    assert selects(regular["spec"]["selector"], pod_labels(statefulset))
    assert regular["spec"].get("clusterIP") != "None"


def test_mongodb_runs_the_official_image_as_999_with_read_only_root(
    default_render: Rendered,
) -> None:
    statefulset = default_render.get("StatefulSet", MONGODB)
    pod = statefulset["spec"]["template"]["spec"]
    mongo = container(statefulset, "mongodb")
    assert mongo["image"] == "docker.io/library/mongo:8.0"
    assert pod["securityContext"]["runAsUser"] == 999
    assert pod["securityContext"]["fsGroup"] == 999
    assert mongo["securityContext"]["readOnlyRootFilesystem"] is True
    assert mongo["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    mounts = {m["mountPath"]: m["name"] for m in mongo["volumeMounts"]}
    assert mounts["/data/db"] == "data"
    assert "emptyDir" in volume_at(statefulset, "mongodb", TMP_MOUNT)
    assert pod["automountServiceAccountToken"] is False


def test_mongodb_auth_is_on_with_an_app_user_created_by_init_script(
    default_render: Rendered,
) -> None:
    statefulset = default_render.get("StatefulSet", MONGODB)
    env = {e["name"]: e for e in container(statefulset, "mongodb")["env"]}
    assert env["MONGO_INITDB_ROOT_USERNAME"]["value"] == "root"
    assert env["MONGO_INITDB_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": MONGODB,
        "key": "mongodb-root-password",
    }
    assert env["MONGODB_APP_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "mongodb-password"
    script = default_render.get("ConfigMap", MONGODB)["data"]["create-app-user.js"]
    assert 'role: "readWrite", db: database' in script
    mounts = {m["mountPath"] for m in container(statefulset, "mongodb")["volumeMounts"]}
    assert "/docker-entrypoint-initdb.d/create-app-user.js" in mounts


def test_mongodb_storage_is_configurable_and_retained() -> None:
    rendered = render(
        set_values={
            "mongodb.persistence.size": "20Gi",
            "mongodb.persistence.storageClass": "fast-ssd",
            "mongodb.persistentVolumeClaimRetentionPolicy.whenDeleted": "Delete",
        }
    )
    spec = rendered.get("StatefulSet", MONGODB)["spec"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert claim["spec"]["storageClassName"] == "fast-ssd"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Delete",
        "whenScaled": "Retain",
    }
    assert "helm.sh/chart" not in claim["metadata"]["labels"], "immutable: no version label"


def test_mongodb_has_a_disruption_budget(default_render: Rendered) -> None:
    budget = default_render.get("PodDisruptionBudget", MONGODB)["spec"]
    assert selects(
        budget["selector"]["matchLabels"], pod_labels(default_render.get("StatefulSet", MONGODB))
    )


# ---------------------------------------------------------------- optional objects


def test_prometheus_scrape_annotations_point_at_metrics(default_render: Rendered) -> None:
    annotations = app(default_render)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "8080"
    assert annotations["prometheus.io/path"] == "/metrics"


def test_service_monitor_scrapes_the_http_port(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["servicemonitor"]
    monitor = rendered.get("ServiceMonitor", APP)["spec"]
    service = rendered.get("Service", APP)
    assert selects(monitor["selector"]["matchLabels"], service["metadata"]["labels"])
    assert monitor["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert monitor["endpoints"][0]["port"] == "http"
    assert monitor["endpoints"][0]["path"] == "/metrics"
    assert (
        rendered.get("ServiceMonitor", APP)["metadata"]["labels"]["release"]
        == "kube-prometheus-stack"
    )


def test_autoscaling_leaves_replicas_to_the_hpa(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["autoscaling"]
    assert "replicas" not in app(rendered)["spec"]
    hpa = rendered.get("HorizontalPodAutoscaler", APP)["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": APP}
    assert {m["resource"]["name"] for m in hpa["metrics"]} == {"cpu", "memory"}


def test_replica_count_is_applied(rendered_scenarios: dict[str, Rendered]) -> None:
    assert app(rendered_scenarios["replicas-3"])["spec"]["replicas"] == 3
    assert app(rendered_scenarios["default"])["spec"]["replicas"] == 2


def test_ingress_routes_to_the_service_port(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["ingress"]
    ingress = rendered.get("Ingress", APP)["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": APP, "port": {"name": "http"}}
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"][0]["secretName"] == "users-example-com-tls"


def test_httproute_routes_to_the_service_port(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["httproute"]
    route = rendered.get("HTTPRoute", APP)["spec"]
    assert route["rules"][0]["backendRefs"] == [{"name": APP, "port": 80}]
    assert route["parentRefs"][0]["name"] == "public"


def test_extra_env_volumes_and_scheduling_are_passed_through() -> None:
    rendered = render(
        set_values={
            "extraEnv[0].name": "FEATURE",
            "extraEnv[0].value": "on",
            "extraEnvFrom[0].secretRef.name": "more",
            "extraVolumes[0].name": "certs",
            "extraVolumes[0].secret.secretName": "certs",
            "extraVolumeMounts[0].name": "certs",
            "extraVolumeMounts[0].mountPath": "/certs",
            "nodeSelector.disktype": "ssd",
            "tolerations[0].key": "dedicated",
            "tolerations[0].operator": "Exists",
            "priorityClassName": "high",
            "podLabels.team": "users",
            "podAnnotations.owner": "users-team",
            "imagePullSecrets[0].name": "regcred",
        }
    )
    pod = app(rendered)["spec"]["template"]
    main = app_container(rendered)
    assert {"name": "FEATURE", "value": "on"} in main["env"]
    assert {"secretRef": {"name": "more"}} in main["envFrom"]
    assert {"name": "certs", "mountPath": "/certs"} in main["volumeMounts"]
    assert {"name": "certs", "secret": {"secretName": "certs"}} in pod["spec"]["volumes"]
    assert pod["spec"]["nodeSelector"] == {"disktype": "ssd"}
    assert pod["spec"]["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]
    assert pod["spec"]["priorityClassName"] == "high"
    assert pod["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["metadata"]["labels"]["team"] == "users"
    assert pod["metadata"]["annotations"]["owner"] == "users-team"


def test_image_reference_honours_registry_tag_and_digest() -> None:
    digest = "sha256:" + "a" * 64
    rendered = render(
        set_values={
            "image.registry": "ghcr.io",
            "image.repository": "acme/users-api",
            "image.digest": digest,
        }
    )
    assert app_container(rendered)["image"] == f"ghcr.io/acme/users-api:0.1.0@{digest}"
    assert app_container(render())["image"] == "users-api:0.1.0"
    assert app_container(render())["imagePullPolicy"] == "IfNotPresent"


# ---------------------------------------------------------------- helm test


def test_helm_test_pod_round_trips_a_user_through_the_service(default_render: Rendered) -> None:
    (pod,) = default_render.of_kind("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (client,) = pod["spec"]["containers"]
    assert client["image"] == app_container(default_render)["image"]
    assert client["command"] == ["python", "-c"]
    script = client["args"][0]
    assert '"POST", "/users"' in script
    assert '"GET", "/users/%d"' in script
    env = {e["name"]: e["value"] for e in client["env"]}
    assert env["SERVICE_URL"] == f"http://{APP}.{NAMESPACE}.svc:80"
    assert client["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["restartPolicy"] == "Never"
    compile(script, "helm-test", "exec")
