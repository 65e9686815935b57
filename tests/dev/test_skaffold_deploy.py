"""skaffold.yaml: valid v4beta13, free of known traps, and wired to the chart it deploys.

The schema is Skaffold's published JSON schema for skaffold/v4beta13, vendored next to this
file (the original: ../shared/schemas/skaffold-v4beta13.json beside the repository).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
import yaml

from tests.chart.render import CHART_DIR
from tests.dev.project import (
    SKAFFOLD_SCHEMA,
    helm_release,
    render_release,
    skaffold_config,
    with_profile,
)
from tests.support.tiers import REPO_ROOT, unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.dev.project import Config

CONFIG = skaffold_config()
PROFILES = [profile["name"] for profile in CONFIG.get("profiles", [])]
EFFECTIVE = {"default": CONFIG, **{name: with_profile(CONFIG, name) for name in PROFILES}}
SHARED_SCHEMA = REPO_ROOT.parent / "shared" / "schemas" / "skaffold-v4beta13.json"
TEMPLATE_VARIABLE = re.compile(r"{{\s*\.(\w+)\s*}}")
# Skaffold v1 keys that v2 dropped or moved (image wiring is setValueTemplates now, raw
# manifests live under `manifests`), and sync inference, which cannot follow the COPY
# instructions of a non-final Dockerfile target such as `dev`.
FORBIDDEN_PATHS = re.compile(
    r"(\.artifactOverrides|\.imageStrategy|\.sync\.infer)$"
    r"|^deploy\.helm\.releases\[\d+\]\.values$|^deploy\.kubectl\.manifests$|^deploy\.kustomize"
)
# A tag Skaffold could produce for a local build, to render the chart the way it deploys it.
BUILT_TAG = "3f1c0ffee0ddba11" * 4


def keys_with_paths(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, key) for every mapping key in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}".lstrip("."), key
            yield from keys_with_paths(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from keys_with_paths(item, f"{path}[{index}]")


def skaffold_image_variables(artifact: str) -> dict[str, str]:
    """What Skaffold v2 offers setValueTemplates for a built artifact (`-` and `/` become `_`)."""
    suffix = re.sub(r"[^A-Za-z0-9_]", "_", artifact)
    return {
        f"IMAGE_REPO_{suffix}": artifact,
        f"IMAGE_TAG_{suffix}": BUILT_TAG,
        f"IMAGE_DIGEST_{suffix}": "",
    }


def expanded_set_values(config: Config) -> dict[str, str]:
    """setValueTemplates expanded as Skaffold does after building every artifact locally."""
    variables: dict[str, str] = {}
    for artifact in config["build"]["artifacts"]:
        variables |= skaffold_image_variables(artifact["image"])
    templates: dict[str, str] = helm_release(config)["setValueTemplates"]
    return {
        key: TEMPLATE_VARIABLE.sub(lambda match: variables[match.group(1)], template)
        for key, template in templates.items()
    }


def schema_path_exists(schema: dict[str, Any], dotted: str) -> bool:
    """Whether the values schema declares the path (or leaves its parent free-form)."""
    node = schema
    for part in dotted.split("."):
        if "properties" not in node and node.get("additionalProperties", True) is not False:
            return True  # a Kubernetes object passed through (securityContext, affinity)
        if part not in node["properties"]:
            return False
        node = node["properties"][part]
    return True


def values_path_exists(values: dict[str, Any], dotted: str) -> bool:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@pytest.mark.parametrize("profile", EFFECTIVE)
def test_config_validates_against_the_skaffold_v4beta13_schema(profile: str) -> None:
    schema = json.loads(SKAFFOLD_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(EFFECTIVE[profile])
    ]
    assert not errors, "\n".join(errors)
    assert EFFECTIVE[profile]["apiVersion"] == "skaffold/v4beta13"


def test_schema_rejects_a_skaffold_v1_helm_release() -> None:
    schema = json.loads(SKAFFOLD_SCHEMA.read_text())
    v1 = {
        "apiVersion": "skaffold/v4beta13",
        "kind": "Config",
        "deploy": {"helm": {"releases": [{"name": "x", "artifactOverrides": {"image": "x"}}]}},
    }
    assert list(jsonschema.Draft7Validator(schema).iter_errors(v1))


def test_vendored_schema_is_the_shared_copy() -> None:
    if not SHARED_SCHEMA.is_file():
        unavailable(f"no shared schema at {SHARED_SCHEMA} to compare with")
    assert json.loads(SKAFFOLD_SCHEMA.read_text()) == json.loads(SHARED_SCHEMA.read_text())


@pytest.mark.parametrize("profile", EFFECTIVE)
def test_no_skaffold_v1_keys_or_sync_inference(profile: str) -> None:
    paths = [path for path, _ in keys_with_paths(EFFECTIVE[profile])]
    assert not [path for path in paths if FORBIDDEN_PATHS.search(path)]


def test_forbidden_paths_catch_v1_keys_and_sync_inference() -> None:
    v1 = {
        "deploy": {"helm": {"releases": [{"values": {}, "imageStrategy": {}}]}},
        "build": {"artifacts": [{"sync": {"infer": ["**/*.py"]}}]},
    }
    paths = [path for path, _ in keys_with_paths(v1)]
    assert len([path for path in paths if FORBIDDEN_PATHS.search(path)]) == 3


@pytest.mark.parametrize("profile", EFFECTIVE)
def test_helm_release_is_deployed_by_deploy_helm_only(profile: str) -> None:
    # Under both, manifests.helm renders (helm template) and silently wins over deploy.helm.
    config = EFFECTIVE[profile]
    assert "helm" not in config.get("manifests", {})
    release = helm_release(config)
    assert REPO_ROOT / release["chartPath"] == CHART_DIR
    assert "remoteChart" not in release


def test_set_value_templates_use_only_variables_of_built_artifacts() -> None:
    offered: set[str] = set()
    for artifact in CONFIG["build"]["artifacts"]:
        offered |= set(skaffold_image_variables(artifact["image"]))
    templates = helm_release(CONFIG)["setValueTemplates"]
    used = {v for template in templates.values() for v in TEMPLATE_VARIABLE.findall(template)}
    assert used <= offered, used - offered
    for artifact in CONFIG["build"]["artifacts"]:
        suffix = re.sub(r"[^A-Za-z0-9_]", "_", artifact["image"])
        assert {f"IMAGE_REPO_{suffix}", f"IMAGE_TAG_{suffix}"} <= used, artifact["image"]


def test_set_value_templates_and_dev_values_name_existing_chart_values() -> None:
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    release = helm_release(CONFIG)
    dev_values = yaml.safe_load((REPO_ROOT / release["valuesFiles"][0]).read_text())
    leaf_paths = [path for path, _ in keys_with_paths(dev_values)]
    for path in [*release["setValueTemplates"], *leaf_paths]:
        plain = re.sub(r"\[\d+\]", "", path)
        assert values_path_exists(defaults, plain), f"{path} is not in chart/values.yaml"
        assert schema_path_exists(schema, plain), f"{path} is not in values.schema.json"


def test_deployed_pods_run_the_image_skaffold_built_and_never_pull_always() -> None:
    rendered = render_release(set_values=expanded_set_values(CONFIG))
    workloads = [m for m in rendered.manifests if "template" in m.get("spec", {})]
    pods = [m["spec"]["template"]["spec"] for m in workloads]
    pods += [m["spec"] for m in rendered.of_kind("Pod")]
    containers = [c for pod in pods for c in pod["containers"] + pod.get("initContainers", [])]
    app = [c for c in containers if c["image"].startswith("users-api")]
    assert app, "no container runs the users-api artifact"
    assert {c["image"] for c in app} == {f"users-api:{BUILT_TAG}"}
    for container in containers:
        assert container["imagePullPolicy"] != "Always", container["name"]
        assert not container["image"].endswith(":latest"), container["image"]
        assert re.search(r":[^/]+$", container["image"]), f"untagged: {container['image']}"


def test_tags_are_never_latest() -> None:
    # The sha256 tagger tags `latest`; kind then could not tell two builds apart.
    assert "sha256" not in CONFIG["build"].get("tagPolicy", {})


def test_port_forward_and_verify_address_the_deployed_service() -> None:
    rendered = render_release()
    for forward in CONFIG["portForward"]:
        assert forward["resourceType"].lower() == "service"
        service = rendered.get("Service", forward["resourceName"])
        assert forward["port"] in [p["port"] for p in service["spec"]["ports"]]
    for case in CONFIG["verify"]:
        url = case["container"]["args"][-1]
        host, _, port = url.removeprefix("http://").partition(":")
        service = rendered.get("Service", host)
        assert int(port or 80) in [p["port"] for p in service["spec"]["ports"]]


def test_verify_runs_a_built_image_in_the_cluster_isolated_from_the_callers_env() -> None:
    artifacts = {artifact["image"] for artifact in CONFIG["build"]["artifacts"]}
    for case in CONFIG["verify"]:
        container = case["container"]
        assert container["image"] in artifacts  # exists in the cluster: Skaffold loaded it
        assert "kubernetesCluster" in case["executionMode"]  # the Service's DNS name resolves
        # Skaffold copies the caller's environment (PATH, PYTHON*) into the Job.
        assert container["command"][0].startswith("/")
        assert "-I" in container["command"]
        assert "env" not in container


def test_status_check_has_a_deadline_and_deploys_only_to_the_kind_context() -> None:
    deploy = CONFIG["deploy"]
    assert 0 < deploy["statusCheckDeadlineSeconds"] <= 600
    assert deploy.get("statusCheck", True) is True
    assert deploy["kubeContext"].startswith("kind-")
