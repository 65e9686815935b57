"""mongo-express logs in with any root password, and is probed where it answers without auth."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.parse
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.chart.render import CHART_DIR, RELEASE, render, run_helm, template_args
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from pathlib import Path

    from tests.chart.render import Rendered

pytestmark = pytest.mark.chart

MONGODB = f"{RELEASE}-users-api-mongodb"
MONGO_EXPRESS = f"{RELEASE}-users-api-mongo-express"
ENABLED = {"mongoExpress.enabled": "true"}
# Reserved in a connection string's userinfo, and the `+` the Node driver does not decode.
HOSTILE_PASSWORD = "p@ss:w/rd%41 x+y?#"  # noqa: S105 - a test value, not a credential


def admin_env(rendered: Rendered) -> dict[str, dict[str, Any]]:
    deployment = rendered.get("Deployment", MONGO_EXPRESS)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


def connection_string(rendered: Rendered) -> str:
    """The ME_CONFIG_MONGODB_URL the container gets, read from the Secret it references."""
    reference = admin_env(rendered)["ME_CONFIG_MONGODB_URL"]["valueFrom"]["secretKeyRef"]
    data = rendered.get("Secret", reference["name"])["data"]
    return base64.b64decode(data[reference["key"]]).decode()


def node_userinfo(url: str) -> tuple[str, str]:
    """User and password as the Node driver reads them: split at the last @, %XX decoded."""
    userinfo = url.removeprefix("mongodb://").rsplit("@", 1)[0]
    user, password = userinfo.split(":", 1)
    return urllib.parse.unquote(user), urllib.parse.unquote(password)


# What the MongoDB Node driver does with a connection string's userinfo (connection_string.ts):
# parse it as a WHATWG URL, then decodeURIComponent the user name and the password.
NODE_DRIVER_USERINFO = """
const url = new URL(process.argv[1]);
console.log(JSON.stringify([decodeURIComponent(url.username), decodeURIComponent(url.password)]));
"""


def node_driver_userinfo(url: str) -> tuple[str, str]:
    """User and password as Node itself decodes them, the way the driver does."""
    node = find_tool("node", install_hint="install Node.js (Debian package nodejs)")
    done = subprocess.run(
        [str(node), "-e", NODE_DRIVER_USERINFO, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    user, password = json.loads(done.stdout)
    return user, password


def test_node_decodes_the_hostile_password_back_exactly() -> None:
    rendered = render(set_values={**ENABLED, "mongodb.auth.rootPassword": HOSTILE_PASSWORD})
    assert node_driver_userinfo(connection_string(rendered)) == ("root", HOSTILE_PASSWORD)


@pytest.mark.parametrize("password", [HOSTILE_PASSWORD, "plain", "100%"])
def test_root_password_reaches_mongo_express_percent_encoded(password: str) -> None:
    rendered = render(
        set_values={**ENABLED, "mongodb.auth.rootPassword": password.replace(",", r"\,")}
    )
    url = connection_string(rendered)
    assert node_userinfo(url) == ("root", password)
    assert "+" not in url.split("@")[0], "the Node driver would read + as a plus sign"
    assert url.endswith(f"@{MONGODB}:27017/?authSource=admin")
    assert "MONGODB_ROOT_PASSWORD" not in admin_env(rendered)


def test_generated_root_password_reaches_mongo_express_too() -> None:
    rendered = render(set_values=ENABLED)
    data = rendered.get("Secret", MONGODB)["data"]
    root_password = base64.b64decode(data["mongodb-root-password"]).decode()
    assert node_userinfo(connection_string(rendered)) == ("root", root_password)


def test_connection_string_is_in_no_secret_without_mongo_express(
    default_render: Rendered,
) -> None:
    assert "mongo-express-url" not in default_render.get("Secret", MONGODB)["data"]


# ---------------------------------------------------------------- existingSecret: refuse

LOOKUP_STAND_IN = """\
{{- $secret := .Files.Get "live-secret.yaml" | fromYaml }}
{{- include "users-api.mongoExpress.assertUrlSafePassword" (dict "secret" $secret "root" .) }}
"""
EXISTING = {
    **ENABLED,
    "mongodb.auth.existingSecret": "users-api-mongodb-credentials",
    "mongodb.auth.secretKeys.rootPassword": "root-password",
}


def install_over(tmp_path: Path, root_password: str) -> str:
    """Render as `helm install` would with a live existingSecret; helm's stderr ('' if fine).

    `helm template` cannot look the Secret up, so a copy of the chart hands it to the same
    check that the mongo-express template runs on its `lookup`.
    """
    copy = tmp_path / "chart"
    shutil.copytree(CHART_DIR, copy)
    encoded = base64.b64encode(root_password.encode()).decode()
    secret = {"apiVersion": "v1", "kind": "Secret", "data": {"root-password": encoded}}
    (copy / "live-secret.yaml").write_text(yaml.safe_dump(secret))
    (copy / "templates" / "zz-live-check.yaml").write_text(LOOKUP_STAND_IN)
    result = run_helm("template", RELEASE, str(copy), *template_args(set_values=EXISTING))
    return "" if result.returncode == 0 else result.stderr


@pytest.mark.parametrize("password", ["p@ss", "a:b", "a/b", "50%", "with space"])
def test_existing_secret_password_needing_encoding_is_refused_with_a_clear_message(
    tmp_path: Path, password: str
) -> None:
    error = install_over(tmp_path, password)
    assert (
        'the root password in Secret "users-api-mongodb-credentials" (key "root-password") '
        "contains characters a connection string must percent-encode"
    ) in error
    assert "leave mongodb.auth.existingSecret empty" in error


def test_existing_secret_password_that_is_url_safe_is_accepted(tmp_path: Path) -> None:
    assert install_over(tmp_path, "Abc-123_x.y~z") == ""


def test_existing_secret_url_is_assembled_by_the_kubelet() -> None:
    env = admin_env(render(set_values=EXISTING))
    assert env["MONGODB_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "users-api-mongodb-credentials",
        "key": "root-password",
    }
    assert env["ME_CONFIG_MONGODB_URL"]["value"] == (
        f"mongodb://root:$(MONGODB_ROOT_PASSWORD)@{MONGODB}:27017/?authSource=admin"
    )


# ---------------------------------------------------------------- probes


def test_probes_use_the_unauthenticated_status_path() -> None:
    deployment = render(set_values=ENABLED).get("Deployment", MONGO_EXPRESS)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    for kind in ("readinessProbe", "livenessProbe"):
        assert container[kind]["httpGet"] == {"path": "/status", "port": "http"}, kind
    template = (CHART_DIR / "templates" / "mongo-express" / "deployment.yaml").read_text()
    assert "every HTTP path of the UI sits behind basic auth" not in template
