"""Chart-to-app contract: the real service, started the way the rendered Deployment starts it.

The app container's command, env (ConfigMap and Secret references resolved from the same
rendering), port and probe paths come from `helm template`; only the MongoDB address is
pointed at the suite's FerretDB. FerretDB has no users, so the credentials and authSource of
the rendered connection string are dropped; their consistency with the generated passwords is
asserted in test_rendered_objects.py.
"""

from __future__ import annotations

import base64
import signal
import sys
import time
import urllib.parse
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from pymongo import MongoClient

from tests.chart.render import render
from tests.support.app_process import AppProcess
from tests.support.blocking_http import call, http_status
from tests.support.ports import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.chart.render import Manifest, Rendered

pytestmark = [pytest.mark.chart, pytest.mark.db]

APP_CONTAINER = "users-api"
# The image's entrypoint, which the Deployment relies on by setting no command.
IMAGE_ENTRYPOINT = [sys.executable, "-m", "app"]


_BINARY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity such as 256Mi, in bytes (binary suffixes or none)."""
    for suffix, factor in _BINARY_UNITS.items():
        if quantity.endswith(suffix):
            return int(quantity.removesuffix(suffix)) * factor
    return int(quantity)


def resolve_env(rendered: Rendered, spec: dict[str, Any]) -> dict[str, str]:
    """The container environment as the kubelet would build it: envFrom, then env.

    The kubelet also sets KUBERNETES_SERVICE_HOST/PORT in every container (the
    default serviceAccount auth mode needs them); here they name a closed port.
    """
    env: dict[str, str] = {
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(free_port()),
    }
    for source in spec.get("envFrom", []):
        env.update(rendered.get("ConfigMap", source["configMapRef"]["name"])["data"])
    for variable in spec.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
            continue
        if "resourceFieldRef" in variable["valueFrom"]:  # the Downward API
            field = variable["valueFrom"]["resourceFieldRef"]["resource"]
            kind, resource = field.split(".")
            env[variable["name"]] = str(quantity_bytes(spec["resources"][kind][resource]))
            continue
        reference = variable["valueFrom"]["secretKeyRef"]
        encoded = rendered.get("Secret", reference["name"])["data"][reference["key"]]
        env[variable["name"]] = base64.b64decode(encoded).decode()
    return env


def point_at(uri: str, server_uri: str) -> str:
    """The rendered connection string with FerretDB's address and without credentials."""
    rendered = urllib.parse.urlsplit(uri)
    server = urllib.parse.urlsplit(server_uri)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(rendered.query) if k != "authSource"]
    return urllib.parse.urlunsplit(
        (rendered.scheme, server.netloc, rendered.path, urllib.parse.urlencode(query), "")
    )


def probe_url(spec: dict[str, Any], probe: str) -> str:
    """http://127.0.0.1:<port>/<path> of a probe, the named port resolved like the kubelet."""
    http_get = spec[probe]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    port = ports[http_get["port"]] if isinstance(http_get["port"], str) else http_get["port"]
    return f"http://127.0.0.1:{port}{http_get['path']}"


def container_spec(rendered: Rendered) -> dict[str, Any]:
    deployment: Manifest = rendered.get("Deployment", "demo-users-api")
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == APP_CONTAINER)


@pytest.fixture
def deployment_render() -> Rendered:
    """The chart on a free port and a database of this test's own, auth off.

    The default serviceAccount mode needs the API server for its keys; what it
    renders is started in test_default_auth_renders_a_configuration_the_app_accepts.
    """
    return render(
        set_values={
            "containerPort": str(free_port()),
            "config.database": f"chart_contract_{uuid.uuid4().hex[:12]}",
            "auth.mode": "none",
        }
    )


@pytest.fixture
def chart_started_app(
    deployment_render: Rendered, ferretdb_uri: str, tmp_path: Path
) -> Iterator[AppProcess]:
    """`python -m app` with the rendered container's command and environment."""
    spec = container_spec(deployment_render)
    env = resolve_env(deployment_render, spec)
    env["MONGODB_URI"] = point_at(env["MONGODB_URI"], ferretdb_uri)
    argv = [*spec.get("command", IMAGE_ENTRYPOINT), *spec.get("args", [])]
    process = AppProcess(env, tmp_path / "app.log", argv=argv)
    process.start()
    yield process
    process.stop()


def wait_for_status(url: str, status: int, *, timeout: float, process: AppProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_status(url, timeout=1.0) == status:
            return
        time.sleep(0.1)
    message = f"GET {url} never answered {status}; log:\n{process.log_text()[-3000:]}"
    raise AssertionError(message)


def test_probes_answer_on_the_rendered_port_and_paths(
    deployment_render: Rendered, chart_started_app: AppProcess
) -> None:
    spec = container_spec(deployment_render)
    startup = spec["startupProbe"]
    budget = startup["periodSeconds"] * startup["failureThreshold"]
    wait_for_status(probe_url(spec, "startupProbe"), 200, timeout=budget, process=chart_started_app)
    assert http_status(probe_url(spec, "livenessProbe")) == 200
    wait_for_status(probe_url(spec, "readinessProbe"), 200, timeout=15, process=chart_started_app)
    # Prometheus scrapes the same port (prometheus.io/port, ServiceMonitor port http).
    assert http_status(probe_url(spec, "livenessProbe").replace("/healthz", "/metrics")) == 200


def test_seed_curl_flow_works_with_the_rendered_settings(
    deployment_render: Rendered, chart_started_app: AppProcess
) -> None:
    spec = container_spec(deployment_render)
    wait_for_status(probe_url(spec, "readinessProbe"), 200, timeout=15, process=chart_started_app)
    base = probe_url(spec, "readinessProbe").removesuffix("/readyz")
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what `curl --data` sends
    status, headers, created = call(
        "POST", base + "/users", b'{"id": 2, "name": "Alice"}', headers=form
    )
    assert (status, headers["Location"]) == (201, "/users/2")
    status, _, fetched = call("GET", base + "/users?id=2")
    assert status == 200
    assert fetched == created
    assert (fetched["id"], fetched["name"]) == (2, "Alice")


def test_sigterm_shutdown_fits_the_rendered_grace_period(
    deployment_render: Rendered, chart_started_app: AppProcess
) -> None:
    spec = container_spec(deployment_render)
    readiness = probe_url(spec, "readinessProbe")
    wait_for_status(readiness, 200, timeout=15, process=chart_started_app)
    grace = deployment_render.get("Deployment", "demo-users-api")["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"
    ]
    started = time.monotonic()
    chart_started_app.signal(signal.SIGTERM)
    # Not ready at once, still serving during SHUTDOWN_DELAY_SECONDS, so endpoints drain.
    wait_for_status(readiness, 503, timeout=2, process=chart_started_app)
    assert http_status(probe_url(spec, "livenessProbe")) == 200
    assert chart_started_app.wait(timeout=grace) == 0
    assert time.monotonic() - started < grace


def test_upload_budget_is_a_quarter_of_the_rendered_memory_limit(
    deployment_render: Rendered, chart_started_app: AppProcess
) -> None:
    spec = container_spec(deployment_render)
    wait_for_status(probe_url(spec, "livenessProbe"), 200, timeout=15, process=chart_started_app)
    metrics_url = probe_url(spec, "livenessProbe").replace("/healthz", "/metrics")
    with urllib.request.urlopen(metrics_url, timeout=5) as response:  # noqa: S310 - loopback
        text = response.read().decode()
    limit = quantity_bytes(spec["resources"]["limits"]["memory"])
    budgets = [
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("http_upload_budget_bytes ")
    ]
    assert budgets == [limit // 4]


def test_migration_job_runs_the_migration_with_the_rendered_settings(
    ferretdb_uri: str, tmp_path: Path
) -> None:
    """The Job's command and environment move a tutorial-layout user into place."""
    database = f"chart_migrate_{uuid.uuid4().hex[:12]}"
    rendered = render(set_values={"migration.enabled": "true", "config.database": database})
    job = rendered.get("Job", "demo-users-api-migrate")
    (spec,) = job["spec"]["template"]["spec"]["containers"]
    env = resolve_env(rendered, spec)
    env["MONGODB_URI"] = point_at(env["MONGODB_URI"], ferretdb_uri)
    client: MongoClient[dict[str, Any]] = MongoClient(ferretdb_uri, timeoutMS=10_000)
    try:
        client[database]["users"].insert_one({"id": 2, "name": "Alice"})
        argv = [sys.executable if spec["command"][0] == "python" else spec["command"][0]]
        process = AppProcess(env, tmp_path / "migrate.log", argv=[*argv, *spec["command"][1:]])
        process.start()
        assert process.wait(timeout=60) == 0, process.log_text()
        (finished,) = [e for e in process.log_events() if e["event"].startswith("tutorial_")]
        assert (finished["event"], finished["migrated"]) == ("tutorial_migration_finished", 1)
        assert client[database]["users"].find_one({"_id": 2}, {"_id": 0, "name": 1}) == {
            "name": "Alice"
        }
    finally:
        client.drop_database(database)
        client.close()


def test_default_auth_renders_a_configuration_the_app_accepts(
    ferretdb_uri: str, tmp_path: Path
) -> None:
    """serviceAccount mode as rendered: the app starts, waits for keys, refuses anonymous calls.

    The kubelet's KUBERNETES_SERVICE_* variables (resolve_env) name a closed port, so
    readiness must name the missing keys (a live API server is the e2e tier's job).
    """
    rendered = render(set_values={"containerPort": str(free_port())})
    spec = container_spec(rendered)
    env = resolve_env(rendered, spec)
    assert env["AUTH_MODE"] == "serviceAccount"
    env["MONGODB_URI"] = point_at(env["MONGODB_URI"], ferretdb_uri)
    process = AppProcess(env, tmp_path / "app.log", argv=IMAGE_ENTRYPOINT)
    process.start()
    try:
        wait_for_status(probe_url(spec, "livenessProbe"), 200, timeout=15, process=process)
        readiness = probe_url(spec, "readinessProbe")
        status, _, body = call("GET", readiness)
        assert status == 503
        assert body["reason"].startswith("auth keys unavailable"), body
        status, headers, problem = call("GET", readiness.removesuffix("/readyz") + "/users")
        assert status == 401
        assert headers["WWW-Authenticate"] == 'Bearer realm="users-api"'
        assert problem["type"].endswith("/missing-credentials")
    finally:
        process.stop()
