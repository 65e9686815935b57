"""The kind cluster, the Makefile and Skaffold agree; the dev rendering passes the chart's checks.

`kind create cluster` itself cannot run here (no node image can be pulled), so the config is
checked against what it must match: the pinned kind release, the kube-context the Makefile
and skaffold.yaml use, and the NodePorts the chart renders with the dev values.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.chart.render import CHART_DIR, Rendered, run_helm, template_args
from tests.chart.test_kube_score import findings
from tests.chart.test_kubernetes_schemas import NEWEST, OLDEST, validation_errors
from tests.dev.project import (
    DEV_VALUES,
    KIND_CONFIG,
    helm_release,
    make_variable,
    render_release,
    skaffold_config,
)
from tests.support.tiers import REPO_ROOT

pytestmark = pytest.mark.chart

KIND = yaml.safe_load(KIND_CONFIG.read_text())
# The node image each kind release publishes (its release notes); bump both together.
KIND_NODE_IMAGES = {
    "v0.32.0": "kindest/node:v1.36.1"
    "@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5",
}
# Checks the dev rendering fails on purpose, per object; everything else must stay clean.
DEV_ONLY_KUBE_SCORE_EXCEPTIONS = {
    ("Deployment", "users-api"): {
        "deployment-replicas": "one pod on one node; file sync then updates the only copy",
        "container-security-context-readonlyrootfilesystem": (
            "Skaffold file sync writes the edited sources into /app/app with kubectl exec tar"
        ),
    },
    ("Pod", "users-api-test-roundtrip"): {
        "container-security-context-readonlyrootfilesystem": (
            "the helm test pod shares the app's container securityContext value, made writable"
        ),
    },
}


@pytest.fixture(scope="module")
def dev_render() -> Rendered:
    return render_release()


def with_kube_score_exceptions(
    rendered: Rendered, exceptions: dict[tuple[str, str], set[str]]
) -> str:
    """The rendering as YAML, each excepted check added to its object's kube-score/ignore."""
    manifests = json.loads(json.dumps(rendered.manifests))
    for manifest in manifests:
        checks = exceptions.get((manifest["kind"], manifest["metadata"]["name"]))
        if checks:
            annotations = manifest["metadata"].setdefault("annotations", {})
            existing = [c for c in annotations.get("kube-score/ignore", "").split(",") if c]
            annotations["kube-score/ignore"] = ",".join([*existing, *sorted(checks)])
    return yaml.safe_dump_all(manifests)


def all_exceptions() -> dict[tuple[str, str], set[str]]:
    return {key: set(checks) for key, checks in DEV_ONLY_KUBE_SCORE_EXCEPTIONS.items()}


def test_cluster_name_and_kube_context_agree_across_kind_make_and_skaffold() -> None:
    assert KIND["kind"] == "Cluster"
    assert KIND["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert make_variable("KIND_CLUSTER") == KIND["name"]
    assert make_variable("KUBE_CONTEXT") == f"kind-{KIND['name']}"
    assert skaffold_config()["deploy"]["kubeContext"] == f"kind-{KIND['name']}"
    assert REPO_ROOT / make_variable("KIND_CONFIG") == KIND_CONFIG
    assert make_variable("DEV_RELEASE") == helm_release(skaffold_config())["name"]


def test_node_image_is_the_one_published_with_the_pinned_kind() -> None:
    (node,) = KIND["nodes"]
    assert node["role"] == "control-plane"
    assert node["image"] == KIND_NODE_IMAGES[make_variable("KIND_VERSION")]


def test_kubectl_is_within_one_minor_version_of_the_node() -> None:
    (node,) = KIND["nodes"]
    node_minor = int(re.search(r":v1\.(\d+)\.", node["image"]).group(1))  # type: ignore[union-attr]
    kubectl_minor = int(make_variable("KUBECTL_VERSION").split(".")[1])
    assert abs(node_minor - kubectl_minor) <= 1


def test_port_mappings_publish_exactly_the_rendered_node_ports_on_loopback(
    dev_render: Rendered,
) -> None:
    (node,) = KIND["nodes"]
    mappings = node["extraPortMappings"]
    node_ports = {
        port["nodePort"]
        for service in dev_render.of_kind("Service")
        for port in service["spec"]["ports"]
        if "nodePort" in port
    }
    assert node_ports
    assert {m["containerPort"] for m in mappings} == node_ports
    assert all(m["listenAddress"] == "127.0.0.1" for m in mappings)
    assert all(m.get("protocol", "TCP") == "TCP" for m in mappings)
    assert len({m["hostPort"] for m in mappings}) == len(mappings)


@pytest.mark.parametrize(
    ("service_name", "host_port"), [("users-api", 8080), ("users-api-mongo-express", 8081)]
)
def test_each_service_answers_on_its_documented_localhost_port(
    dev_render: Rendered, service_name: str, host_port: int
) -> None:
    (node,) = KIND["nodes"]
    (port,) = dev_render.get("Service", service_name)["spec"]["ports"]
    host_ports = {m["containerPort"]: m["hostPort"] for m in node["extraPortMappings"]}
    assert host_ports[port["nodePort"]] == host_port


def test_dev_values_are_small_verbose_and_expose_the_admin_ui() -> None:
    values = yaml.safe_load(DEV_VALUES.read_text())
    assert values["replicaCount"] == 1
    assert values["service"]["type"] == "NodePort"
    assert (values["config"]["logLevel"], values["config"]["logFormat"]) == ("debug", "console")
    assert values["mongoExpress"]["enabled"] is True
    assert values["image"]["pullPolicy"] != "Always"


def test_helm_lint_strict_passes_with_the_dev_values() -> None:
    result = run_helm("lint", "--strict", str(CHART_DIR), *template_args(DEV_VALUES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_every_dev_object_validates_strictly(dev_render: Rendered, version: str) -> None:
    problems = {
        f"{m['kind']}/{m['metadata']['name']}": errors
        for m in dev_render.manifests
        if (errors := validation_errors(m, version))
    }
    assert not problems, json.dumps(problems, indent=2)


def test_kube_score_finds_nothing_beyond_the_dev_only_exceptions(dev_render: Rendered) -> None:
    code, lines = findings(with_kube_score_exceptions(dev_render, all_exceptions()))
    assert code == 0, "\n".join(lines)


@pytest.mark.parametrize(
    ("kind_name", "check"),
    [(key, check) for key, checks in DEV_ONLY_KUBE_SCORE_EXCEPTIONS.items() for check in checks],
)
def test_each_dev_only_exception_is_still_needed_and_explained(
    dev_render: Rendered, kind_name: tuple[str, str], check: str
) -> None:
    assert len(DEV_ONLY_KUBE_SCORE_EXCEPTIONS[kind_name][check].split()) >= 8
    exceptions = all_exceptions()
    exceptions[kind_name].discard(check)
    code, _ = findings(with_kube_score_exceptions(dev_render, exceptions))
    assert code != 0, f"{check} on {kind_name} no longer fires; drop the exception"
