"""Driving the Docker CLI from tests: builds with this machine's inputs, containers, HTTP."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.tiers import REPO_ROOT, unavailable

if TYPE_CHECKING:
    from collections.abc import Callable

# The build arguments behind the prod image's OCI labels, as the tests pass them.
LABEL_ARGS = {"VERSION": "9.9.9-test", "REVISION": "abc123", "SOURCE": "https://example.test/x"}
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def run(*argv: str, timeout: float = 60, stdin: bytes | None = None) -> str:
    """Run a command and return its stdout; fail the test with its output if it fails."""
    done = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        pytest.fail(f"{' '.join(argv[:4])} ... exited {done.returncode}:\n{output[-4000:]}")
    return done.stdout.decode()


@dataclass(frozen=True)
class Build:
    """A finished `docker build`: BuildKit's plain progress output and its duration."""

    output: str
    seconds: float

    def step_lines(self, text: str) -> list[str]:
        """Every output line of the build steps whose title contains text."""
        lines = self.output.splitlines()
        ids = {line.split()[0] for line in lines if line.startswith("#") and f"] {text}" in line}
        assert ids, f"no build step title contains {text!r}:\n{self.output}"
        return [line for line in lines if line.split(" ", 1)[0] in ids]

    def reused(self, text: str) -> bool:
        """Whether BuildKit took the steps titled with text from its cache."""
        return any(line.endswith(" CACHED") for line in self.step_lines(text))


@dataclass
class Docker:
    """The Docker CLI, the flags every build gets, and the containers to remove at the end."""

    cli: str
    build_flags: list[str]
    containers: list[str] = field(default_factory=list)

    def build(
        self, *, target: str, tag: str, context: Path = REPO_ROOT, timeout: float = 600
    ) -> Build:
        """Build one target of the Dockerfile in context, tagged tag, within timeout seconds."""
        argv = [self.cli, "build", "--progress=plain", f"--target={target}", f"--tag={tag}"]
        started = time.monotonic()
        done = subprocess.run(
            [*argv, *self.build_flags, str(context)],
            env={**os.environ, "DOCKER_BUILDKIT": "1"},
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        output = (done.stdout + done.stderr).decode(errors="replace")
        assert done.returncode == 0, f"docker build --target={target} failed:\n{output[-6000:]}"
        return Build(output=output, seconds=time.monotonic() - started)

    def inspect(self, name: str, template: str) -> object:
        """A field of `docker inspect` of an image or container, decoded from JSON."""
        return json.loads(run(self.cli, "inspect", f"--format={{{{json {template}}}}}", name))

    def start(self, image: str, *flags: str, env: dict[str, str]) -> Container:
        """Run image detached, its port 8080 published on a free loopback port."""
        env_flags = [f"--env={key}={value}" for key, value in env.items()]
        publish = "--publish=127.0.0.1::8080"
        cid = run(self.cli, "run", "--detach", publish, *env_flags, *flags, image).strip()
        self.containers.append(cid)
        address = run(self.cli, "port", cid, "8080/tcp").splitlines()[0]
        return Container(cli=self.cli, cid=cid, url=f"http://{address}")

    def remove_containers(self) -> None:
        """Remove every container this session started."""
        for cid in self.containers:
            subprocess.run(
                [self.cli, "rm", "-f", cid], capture_output=True, timeout=60, check=False
            )


@dataclass(frozen=True)
class Container:
    """A running container and the host URL of its port 8080."""

    cli: str
    cid: str
    url: str

    def logs(self) -> str:
        """What the container wrote to stdout so far."""
        return run(self.cli, "logs", self.cid)

    def exec(self, *argv: str, stdin: bytes | None = None) -> str:
        """Run argv inside the container as the image's user."""
        return run(self.cli, "exec", "--interactive", self.cid, *argv, stdin=stdin)

    def wait_for(self, path: str, accept: Callable[[int, bytes], bool], *, within: float) -> float:
        """Poll path until accept(status, body); the seconds that took."""
        started = time.monotonic()
        last = "no answer"
        while time.monotonic() - started < within:
            status, body = http(self.url + path)
            if accept(status, body):
                return time.monotonic() - started
            last = f"{status} {body[:200]!r}"
            time.sleep(0.05)
        pytest.fail(f"{path} not as expected after {within}s (last: {last}); logs:\n{self.logs()}")


def http(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """Status and body of a GET, or of a POST of data sent the way `curl --data` sends it."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - http only
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def ok(status: int, _: bytes) -> bool:
    """A 200 answer."""
    return status == 200


def host_entries() -> list[str]:
    """--add-host flags for the host's /etc/hosts entries, so builds resolve names like it."""
    flags = []
    for line in Path("/etc/hosts").read_text().splitlines():
        address, *names = line.split("#", 1)[0].split() or [""]
        try:
            is_v4 = ipaddress.ip_address(address).version == 4
        except ValueError:
            continue
        flags += [f"--add-host={name}:{address}" for name in names if is_v4]
    return flags


def bridge_gateway(cli: str) -> str:
    """The host's address on Docker's default bridge, where containers reach host services."""
    configs = json.loads(run(cli, "network", "inspect", "bridge", "--format={{json .IPAM.Config}}"))
    for config in configs:
        if config.get("Gateway"):
            return str(config["Gateway"])
    # Engines may leave Gateway out for the default bridge: it is the first host address.
    return str(next(ipaddress.ip_network(configs[0]["Subnet"]).hosts()))


def docker_engine() -> Docker:
    """The engine with the stand-in base images as build arguments, or skip/fail saying why."""
    # Debian's docker.io client has BuildKit built in; newer clients need buildx.
    cli = os.environ.get("DOCKER") or shutil.which("/usr/bin/docker") or shutil.which("docker")
    if cli is None:
        unavailable("no docker CLI; run `make docker-engine` (as root)")
    if subprocess.run([cli, "info"], capture_output=True, timeout=30, check=False).returncode:
        unavailable("no Docker engine answers; run `make docker-engine` (as root)")
    check = subprocess.run(
        [REPO_ROOT / "scripts" / "build-standin-images", "--check"],
        env={**os.environ, "DOCKER": cli},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check.returncode:
        unavailable(f"stand-in base images missing, run `make standin-images`: {check.stderr}")
    flags = [f"--build-arg={line}" for line in check.stdout.split()]
    flags += [f"--build-arg={key}={value}" for key, value in LABEL_ARGS.items()]
    flags += ["--network=host", *host_entries()]
    if CA_BUNDLE.is_file():
        flags.append(f"--secret=id=ca-bundle,src={CA_BUNDLE}")
    return Docker(cli=cli, build_flags=flags)
