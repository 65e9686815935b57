"""The prod image for linux/arm64 (kind on Apple Silicon), built and run under emulation.

This amd64 machine runs arm64 code through Debian's qemu-user-static, registered
with binfmt_misc by `make arm64-emulation`; the arm64 stand-in bases come from
`make standin-images-arm64`. Both are machine-level steps (.ci/run runs them);
without them the test skips locally and fails in CI. Emulation makes the build
and start-up several times slower than native: the bounds below allow for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.image.harness import Docker, http, ok
from tests.support.tiers import REPO_ROOT, unavailable

pytestmark = pytest.mark.image

BINFMT_ENTRY = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
PLATFORM = "linux/arm64"
# Emulated CPython starts in seconds, not the fraction of a second it takes natively,
# and compiling the venv's bytecode under emulation takes minutes on a busy machine.
READY_WITHIN_SECONDS = 90.0
BUILD_WITHIN_SECONDS = 1200.0


@pytest.fixture(scope="module")
def arm64_docker(docker: Docker) -> Docker:
    """The same engine and build inputs, with the arm64 stand-in bases and --platform."""
    if not BINFMT_ENTRY.is_file() or "enabled" not in BINFMT_ENTRY.read_text():
        unavailable("this machine cannot run arm64 code; run `make arm64-emulation` (as root)")
    check = subprocess.run(
        [REPO_ROOT / "scripts" / "build-standin-images", "--check", "--arch", "arm64"],
        env={**os.environ, "DOCKER": docker.cli},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check.returncode:
        unavailable(
            f"arm64 stand-in bases missing, run `make standin-images-arm64`: {check.stderr}"
        )
    host_bases = tuple(f"--build-arg={line.split('=', 1)[0]}=" for line in check.stdout.split())
    flags = [flag for flag in docker.build_flags if not flag.startswith(host_bases)]
    flags += [f"--build-arg={line}" for line in check.stdout.split()]
    return Docker(
        cli=docker.cli, build_flags=[*flags, f"--platform={PLATFORM}"], containers=docker.containers
    )


@pytest.mark.timeout(BUILD_WITHIN_SECONDS + 300)
def test_arm64_prod_image_builds_and_serves_readyz_under_emulation(
    arm64_docker: Docker, app_env: dict[str, str]
) -> None:
    build = arm64_docker.build(
        target="prod", tag="users-api-test:prod-arm64", timeout=BUILD_WITHIN_SECONDS
    )
    print(f"docker build --platform {PLATFORM} --target prod in {build.seconds:.1f}s")

    started = time.monotonic()
    container = arm64_docker.start(
        "users-api-test:prod-arm64", f"--platform={PLATFORM}", env=app_env
    )
    seconds = container.wait_for("/readyz", ok, within=READY_WITHIN_SECONDS)
    print(f"docker run -> /readyz 200 in {seconds:.1f}s ({time.monotonic() - started:.1f}s)")
    created, _ = http(f"{container.url}/users", data=b'{"id": 64, "name": "Arm"}')
    status, body = http(f"{container.url}/users/64")

    assert arm64_docker.inspect("users-api-test:prod-arm64", ".Architecture") == "arm64"
    assert container.exec("python", "-c", "import platform; print(platform.machine())").strip() == (
        "aarch64"
    )
    assert created == 201
    assert status == 200
    assert {"id": 64, "name": "Arm"}.items() <= json.loads(body).items(), body
