"""The MongoDB stand-in image keeps the parts of the official mongo image the chart relies on.

One container is started the way the chart's StatefulSet starts it: uid 999, a read-only root
with /tmp writable, the chart's environment and init script, `mongod` plus an extra argument,
data on a volume. The tests then check what the chart and the app see: the root and app users
authenticate, the init script ran once, the chart's probe commands pass, and the data outlives
a restart and a new container on the same volume.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from tests.image.harness import Docker, run
from tests.support.tiers import REPO_ROOT, find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.image

CHART_MONGODB = REPO_ROOT / "chart" / "templates" / "mongodb"
INIT_LINE = "running /docker-entrypoint-initdb.d/create-app-user.js"
DATABASE = "users"
ROOT = ("root", "root-secret")
APP = ("users-api", "app-secret")
# The chart's hardening, as `docker run` flags.
READY_WITHIN_SECONDS = 120
HARDENED = ("--read-only", "--tmpfs=/tmp", "--user=999:999", "--cap-drop=ALL")


@dataclass(frozen=True)
class Mongo:
    """A running stand-in container and the loopback address of its port 27017."""

    docker: Docker
    cid: str
    address: str

    def client(self, user: tuple[str, str] | None, auth_source: str = "admin") -> MongoClient:  # type: ignore[type-arg]
        """A client, as user (authenticated against auth_source) or anonymous."""
        username, password = user or (None, None)
        return MongoClient(
            f"mongodb://{self.address}/",
            username=username,
            password=password,
            authSource=auth_source,
            serverSelectionTimeoutMS=5000,
        )

    def logs(self) -> str:
        """Everything the container wrote so far."""
        done = subprocess.run(
            [self.docker.cli, "logs", self.cid],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout + done.stderr


def chart_init_script() -> str:
    """create-app-user.js exactly as the chart's ConfigMap carries it."""
    template = (CHART_MONGODB / "configmap.yaml").read_text()
    block = re.search(r"create-app-user\.js: \|\n((?:    .*\n)+)", template)
    assert block, "create-app-user.js not found in the chart's ConfigMap"
    return "\n".join(line[4:] for line in block.group(1).splitlines()) + "\n"


def chart_probe_commands() -> list[list[str]]:
    """The exec commands of the StatefulSet's probes (mongosh ones), as the kubelet runs them."""
    template = (CHART_MONGODB / "statefulset.yaml").read_text()
    commands = re.findall(r"command: \[(mongosh, .*)\]", template)
    assert commands, "no mongosh probe in the StatefulSet"
    return [[part.strip().strip('"') for part in command.split(", ")] for command in commands]


@pytest.fixture(scope="module")
def standin_image(docker: Docker) -> str:
    """The image as `make mongo-standin-image` builds it."""
    ferretdb = find_tool("ferretdb", install_hint="run `make test`, which installs it")
    done = subprocess.run(
        [REPO_ROOT / "scripts" / "build-mongo-standin", ferretdb],
        env={**os.environ, "DOCKER": docker.cli},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, f"build-mongo-standin failed:\n{done.stderr[-6000:]}"
    return done.stdout.split()[-1]


@pytest.fixture(scope="module")
def init_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/docker-entrypoint-initdb.d with the chart's script, readable by uid 999."""
    folder = tmp_path_factory.mktemp("initdb")
    (folder / "create-app-user.js").write_text(chart_init_script())
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def volume(docker: Docker) -> Iterator[str]:
    """A named volume for /data/db, removed after the module."""
    name = f"mongo-standin-test-{uuid.uuid4().hex[:12]}"
    run(docker.cli, "volume", "create", name)
    yield name
    docker.remove_containers()
    subprocess.run(
        [docker.cli, "volume", "rm", "-f", name], check=False, capture_output=True, timeout=60
    )


def start(docker: Docker, image: str, volume: str, init_folder: Path) -> Mongo:
    """Start the image with the chart's environment and mongod arguments; wait for root auth."""
    env = {
        "MONGO_INITDB_ROOT_USERNAME": ROOT[0],
        "MONGO_INITDB_ROOT_PASSWORD": ROOT[1],
        "MONGO_INITDB_DATABASE": DATABASE,
        "MONGODB_APP_DATABASE": DATABASE,
        "MONGODB_APP_USERNAME": APP[0],
        "MONGODB_APP_PASSWORD": APP[1],
        "HOME": "/tmp",  # noqa: S108 - the chart's value: mongosh's state off the data volume
    }
    cid = run(
        docker.cli, "run", "--detach", "--publish=127.0.0.1::27017", *HARDENED,
        f"--volume={volume}:/data/db",
        f"--volume={init_folder}:/docker-entrypoint-initdb.d:ro",
        *(f"--env={key}={value}" for key, value in env.items()),
        image, "mongod", "--wiredTigerCacheSizeGB", "0.25",
    ).strip()  # fmt: skip
    docker.containers.append(cid)
    return wait_for_root(docker, cid)


def wait_for_root(docker: Docker, cid: str) -> Mongo:
    """The container once root can list databases (its host port changes on each start)."""
    address = run(docker.cli, "port", cid, "27017/tcp").splitlines()[0]
    mongo = Mongo(docker=docker, cid=cid, address=address)
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while True:
        try:
            with mongo.client(ROOT) as client:
                client.admin.command("listDatabases")
        except PyMongoError as error:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no root login within {READY_WITHIN_SECONDS}s: {error}\n{mongo.logs()}"
                )
            time.sleep(1)
        else:
            return mongo


@pytest.fixture(scope="module")
def first_start(docker: Docker, standin_image: str, volume: str, init_folder: Path) -> Mongo:
    """The first start on an empty volume, with one document written by the app user."""
    started = time.monotonic()
    mongo = start(docker, standin_image, volume, init_folder)
    print(f"empty volume -> root authenticates in {time.monotonic() - started:.1f}s")
    with mongo.client(APP, auth_source=DATABASE) as client:
        client[DATABASE].users.insert_one({"_id": 1, "name": "before restart"})
    return mongo


def test_root_user_authenticates_and_a_wrong_password_is_refused(first_start: Mongo) -> None:
    with first_start.client(ROOT) as client:
        names = client.list_database_names()
    with first_start.client((ROOT[0], "wrong")) as client, pytest.raises(OperationFailure):
        client.admin.command("listDatabases")

    assert DATABASE in names


def test_the_charts_init_script_creates_the_app_user_once(first_start: Mongo) -> None:
    with first_start.client(APP, auth_source=DATABASE) as client:
        stored = client[DATABASE].users.find_one({"_id": 1})

    assert stored == {"_id": 1, "name": "before restart"}
    assert first_start.logs().count(INIT_LINE) == 1


def test_anonymous_clients_get_the_handshake_but_no_data(first_start: Mongo) -> None:
    with first_start.client(None) as client:
        assert client.admin.command("ping")["ok"] == 1
        with pytest.raises(OperationFailure, match="requires authentication"):
            client[DATABASE].users.find_one()


def test_the_charts_probe_commands_pass(first_start: Mongo) -> None:
    for command in chart_probe_commands():
        started = time.monotonic()
        run(first_start.docker.cli, "exec", first_start.cid, *command, timeout=60)
        print(f"{command[-1]!r}: exit 0 in {time.monotonic() - started:.1f}s")


def test_it_runs_as_uid_999_on_a_read_only_root(first_start: Mongo) -> None:
    cli, cid = first_start.docker.cli, first_start.cid
    uid = run(cli, "exec", cid, "id", "-u").strip()
    write = subprocess.run(
        [cli, "exec", cid, "touch", "/probe"], check=False, capture_output=True, timeout=30
    )

    assert uid == "999"
    assert first_start.docker.inspect(cid, ".HostConfig.ReadonlyRootfs") is True
    assert write.returncode != 0
    assert b"Read-only file system" in write.stderr


def test_a_restart_keeps_the_data_and_skips_the_init_scripts(first_start: Mongo) -> None:
    run(first_start.docker.cli, "restart", first_start.cid, timeout=120)
    restarted = wait_for_root(first_start.docker, first_start.cid)
    with restarted.client(APP, auth_source=DATABASE) as client:
        stored = client[DATABASE].users.find_one({"_id": 1})

    assert stored == {"_id": 1, "name": "before restart"}
    assert restarted.logs().count(INIT_LINE) == 1


def test_a_new_container_on_the_same_volume_finds_users_and_data(
    first_start: Mongo, standin_image: str, volume: str, init_folder: Path
) -> None:
    docker = first_start.docker
    run(docker.cli, "rm", "--force", first_start.cid, timeout=120)
    replacement = start(docker, standin_image, volume, init_folder)
    with replacement.client(APP, auth_source=DATABASE) as client:
        stored = client[DATABASE].users.find_one({"_id": 1})

    assert stored == {"_id": 1, "name": "before restart"}
    assert INIT_LINE not in replacement.logs()


def test_a_root_username_without_a_password_refuses_to_start(
    docker: Docker, standin_image: str
) -> None:
    done = subprocess.run(
        [docker.cli, "run", "--rm", *HARDENED, "--env=MONGO_INITDB_ROOT_USERNAME=root",
         standin_image],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 1
    assert "both must be specified" in done.stderr
