"""The chart's auth modes, asserted on what `helm template` renders for each chart/ci value set."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.chart.render import CHART_DIR, NAMESPACE, RELEASE, run_helm, template_args

if TYPE_CHECKING:
    from tests.chart.render import Manifest, Rendered

pytestmark = pytest.mark.chart

APP = f"{RELEASE}-users-api"
TEST_ACCOUNT = f"{APP}-test"
TEST_POD = f"{APP}-test-roundtrip"


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def app_container(rendered: Rendered) -> dict[str, Any]:
    containers = pod_spec(rendered.get("Deployment", APP))["containers"]
    return next(c for c in containers if c["name"] == "users-api")


def config(rendered: Rendered) -> dict[str, str]:
    data: dict[str, str] = rendered.get("ConfigMap", APP)["data"]
    return data


def mounted_volume(rendered: Rendered, mount_path: str) -> dict[str, Any]:
    mounts = {m["mountPath"]: m["name"] for m in app_container(rendered)["volumeMounts"]}
    volumes = pod_spec(rendered.get("Deployment", APP))["volumes"]
    return next(v for v in volumes if v["name"] == mounts[mount_path])


def egress_ports(rendered: Rendered) -> set[int]:
    egress = rendered.get("NetworkPolicy", APP)["spec"]["egress"]
    return {p["port"] for rule in egress if "to" not in rule for p in rule["ports"]}


def test_default_is_service_account_mode_with_the_test_pod_as_writer(
    default_render: Rendered,
) -> None:
    env = config(default_render)
    assert env["AUTH_MODE"] == "serviceAccount"
    assert env["AUTH_AUDIENCE"] == "users-api"
    assert json.loads(env["AUTH_ROLES"]) == {
        f"system:serviceaccount:{NAMESPACE}:{TEST_ACCOUNT}": "writer"
    }
    # The app's own token and CA, for the API server's JWKS; no automount.
    token_dir = env["AUTH_KUBERNETES_TOKEN_FILE"].rsplit("/", 1)[0]
    assert env["AUTH_KUBERNETES_CA_FILE"] == f"{token_dir}/ca.crt"
    sources = mounted_volume(default_render, token_dir)["projected"]["sources"]
    assert sources[0]["serviceAccountToken"]["path"] == "token"
    assert "audience" not in sources[0]["serviceAccountToken"]  # the API server's own
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert pod_spec(default_render.get("Deployment", APP))["automountServiceAccountToken"] is False
    assert {443, 6443} <= egress_ports(default_render)


def test_helm_test_pod_sends_its_own_projected_token(default_render: Rendered) -> None:
    pod = default_render.get("Pod", TEST_POD)["spec"]
    assert pod["serviceAccountName"] == TEST_ACCOUNT
    assert (
        default_render.get("ServiceAccount", TEST_ACCOUNT)["automountServiceAccountToken"] is False
    )
    projected = pod["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert projected["audience"] == config(default_render)["AUTH_AUDIENCE"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    mount = pod["containers"][0]["volumeMounts"][0]["mountPath"]
    assert env["TOKEN_FILE"] == f"{mount}/{projected['path']}"


def test_allow_list_from_values(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["auth-serviceaccount"]
    roles = json.loads(config(rendered)["AUTH_ROLES"])
    assert roles["system:serviceaccount:shop:checkout"] == "writer"
    assert roles["system:serviceaccount:shop:catalog"] == "reader"
    assert config(rendered)["AUTH_ISSUER"] == "https://kubernetes.default.svc.cluster.local"
    assert egress_ports(rendered) >= {6443}


def test_jwt_mode_renders_issuer_and_role_claim(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["auth-jwt"]
    env = config(rendered)
    assert env["AUTH_MODE"] == "jwt"
    assert env["AUTH_ISSUER"] == "https://keycloak.example.com/realms/platform"
    assert env["AUTH_ROLE_CLAIM"] == "realm_access.roles"
    assert "AUTH_KUBERNETES_TOKEN_FILE" not in env
    assert not rendered.has("ServiceAccount", TEST_ACCOUNT)
    assert 443 in egress_ports(rendered)


@pytest.mark.parametrize(
    ("scenario", "secret", "key"),
    [
        ("auth-apikeys", f"{APP}-api-keys", "api-keys"),
        ("auth-apikeys-existing-secret", "users-api-keys", "hashes"),
    ],
)
def test_api_keys_file_is_mounted_where_the_app_reads_it(
    rendered_scenarios: dict[str, Rendered], scenario: str, secret: str, key: str
) -> None:
    rendered = rendered_scenarios[scenario]
    path = config(rendered)["AUTH_API_KEYS_FILE"]
    directory, file_name = path.rsplit("/", 1)
    volume = mounted_volume(rendered, directory)["secret"]
    assert volume["secretName"] == secret
    assert volume["items"] == [{"key": key, "path": file_name}]
    assert (
        "checksum/api-keys"
        in rendered.get("Deployment", APP)["spec"]["template"]["metadata"]["annotations"]
    )
    assert egress_ports(rendered).isdisjoint({443, 6443})


def test_chart_rendered_key_secret_holds_only_hashes(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    secret = rendered_scenarios["auth-apikeys"].get("Secret", f"{APP}-api-keys")
    lines = secret["stringData"]["api-keys"].strip().splitlines()
    assert [line.split()[:2] for line in lines] == [["ci-bot", "writer"], ["dashboard", "reader"]]
    assert all(line.split()[2].startswith("sha256:") for line in lines)


def test_none_mode_renders_no_auth_plumbing(rendered_scenarios: dict[str, Rendered]) -> None:
    rendered = rendered_scenarios["auth-none"]
    assert config(rendered)["AUTH_MODE"] == "none"
    assert not any(name.startswith("AUTH_") and name != "AUTH_MODE" for name in config(rendered))
    assert [v["name"] for v in pod_spec(rendered.get("Deployment", APP))["volumes"]] == ["tmp"]
    assert "serviceAccountName" not in rendered.get("Pod", TEST_POD)["spec"]


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"auth.mode": "jwt"}, "issuer"),
        ({"auth.mode": "jwt", "auth.jwt.issuer": "https://idp.example"}, "auth"),
        ({"auth.mode": "apiKeys"}, "apiKeys"),
        ({"auth.mode": "oauth"}, "/auth/mode"),
        ({"auth.roles.alice": "admin"}, "/auth/roles/alice"),
        ({"auth.jwt.issuer": "http://idp.example"}, "issuer"),
    ],
)
def test_incomplete_auth_values_are_refused(values: dict[str, str], complaint: str) -> None:
    result = run_helm("template", RELEASE, str(CHART_DIR), *template_args(set_values=values))
    assert result.returncode != 0
    assert complaint in result.stderr, result.stderr
