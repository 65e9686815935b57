"""The prod image as Kubernetes runs it: serves, hardens, stops cleanly, carries no build tools."""

from __future__ import annotations

import json
import time

import pytest

from tests.image.harness import LABEL_ARGS, Docker, http, ok, run

pytestmark = pytest.mark.image

RUNTIME_ID = "10001"
READY_WITHIN_SECONDS = 20.0
HARDENED = ("--read-only", "--tmpfs=/tmp", "--cap-drop=ALL", "--security-opt=no-new-privileges")


def test_prod_image_serves_the_seed_curl_flow_through_the_container_port(
    docker: Docker, prod_image: str, app_env: dict[str, str]
) -> None:
    container = docker.start(prod_image, env=app_env)
    seconds = container.wait_for("/readyz", ok, within=READY_WITHIN_SECONDS)
    print(f"docker run -> /readyz 200 in {seconds:.2f}s")

    created, _ = http(f"{container.url}/users", data=b'{"id": 2, "name": "Alice"}')
    status, body = http(f"{container.url}/users?id=2")

    assert created == 201
    assert status == 200
    assert {"id": 2, "name": "Alice"}.items() <= json.loads(body).items(), body


def test_prod_image_runs_as_non_root_with_read_only_root_and_no_capabilities(
    docker: Docker, prod_image: str, app_env: dict[str, str]
) -> None:
    container = docker.start(prod_image, *HARDENED, env=app_env)
    container.wait_for("/readyz", ok, within=READY_WITHIN_SECONDS)

    created, _ = http(f"{container.url}/users", data=b'{"id": 7, "name": "Bob"}')

    assert created == 201
    assert docker.inspect(prod_image, ".Config.User") == f"{RUNTIME_ID}:{RUNTIME_ID}"
    assert container.exec("id", "-u").strip() == RUNTIME_ID
    assert container.exec("id", "-g").strip() == RUNTIME_ID


def test_docker_stop_exits_zero_well_inside_the_timeout_with_shutdown_logged(
    docker: Docker, prod_image: str, app_env: dict[str, str]
) -> None:
    container = docker.start(prod_image, *HARDENED, env=app_env)
    container.wait_for("/readyz", ok, within=READY_WITHIN_SECONDS)

    started = time.monotonic()
    run(docker.cli, "stop", "--time=20", container.cid)
    stop_seconds = time.monotonic() - started

    assert docker.inspect(container.cid, ".State.ExitCode") == 0
    assert stop_seconds < 5, f"stop took {stop_seconds:.1f}s of 20: SIGTERM did not reach Python?"
    lines = [json.loads(line) for line in container.logs().splitlines() if line.strip()]
    assert all({"timestamp", "level", "event"} <= line.keys() for line in lines), lines
    events = [line["event"] for line in lines]
    assert "shutdown_started" in events, events
    assert events[-1] == "shutdown_complete", events


def test_prod_image_has_oci_labels_exec_entrypoint_and_no_build_tools(
    docker: Docker, prod_image: str
) -> None:
    config = docker.inspect(prod_image, ".Config")
    assert isinstance(config, dict)
    shell = [docker.cli, "run", "--rm", "--entrypoint=sh", prod_image, "-c"]
    # uv, its cache, pip, and bytecode from the build context must not ship.
    build_tools = "ls -d /usr/local/bin/uv /root/.cache /opt/venv/bin/pip 2>/dev/null"
    leftovers = run(*shell, f"{build_tools}; find /app -name __pycache__")

    assert config["Labels"] == {
        "org.opencontainers.image.title": "users-api",
        "org.opencontainers.image.source": LABEL_ARGS["SOURCE"],
        "org.opencontainers.image.version": LABEL_ARGS["VERSION"],
        "org.opencontainers.image.revision": LABEL_ARGS["REVISION"],
    }
    assert config["Entrypoint"] == ["python", "-m", "app"]
    assert "8080/tcp" in config["ExposedPorts"]
    assert leftovers == ""
    assert run(*shell, "ls /app") == "app\n"
