"""The image tier: a Docker engine, images built from the working tree, a FerretDB for them.

The tests start no engine and build no base image: `make docker-engine` and
`make standin-images` do (machine-level, as root; .ci/run calls both).
Without them the tier skips locally and fails in CI. Builds reach PyPI the
way the host does: host network, the host's /etc/hosts entries and its CA
bundle as a BuildKit secret. Those are inputs of this harness only, never
part of the Dockerfile.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from tests.image.harness import Docker, bridge_gateway, docker_engine
from tests.support.ferretdb import FerretDB
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    """The engine, with the stand-in base images as build arguments; containers removed after."""
    engine = docker_engine()
    yield engine
    engine.remove_containers()


@pytest.fixture(scope="session")
def prod_image(docker: Docker) -> str:
    """The prod target, built from the working tree."""
    docker.build(target="prod", tag="users-api-test:prod")
    return "users-api-test:prod"


@pytest.fixture(scope="session")
def dev_image(docker: Docker) -> str:
    """The dev target, built from the working tree."""
    docker.build(target="dev", tag="users-api-test:dev")
    return "users-api-test:dev"


@pytest.fixture(scope="session")
def container_mongodb_uri(
    docker: Docker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A FerretDB on the host's bridge address, so containers on the bridge reach it.

    The session's `ferretdb_uri` listens on loopback, which a container with
    its own network namespace cannot reach; publishing the app's port (the
    way users run it) needs the container on the bridge.
    """
    binary = find_tool("ferretdb", install_hint="run `make test`, which installs it")
    server = FerretDB(
        binary, tmp_path_factory.mktemp("ferretdb-bridge"), host=bridge_gateway(docker.cli)
    )
    server.start()
    yield server.uri
    server.stop()


@pytest.fixture
def app_env(container_mongodb_uri: str) -> dict[str, str]:
    """A container's environment: a database of its own, so tests never see each other's data."""
    database = f"image_{uuid.uuid4().hex[:16]}"
    return {"MONGODB_URI": container_mongodb_uri, "MONGODB_DATABASE": database}
