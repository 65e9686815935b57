"""The dev image restarts the server when Skaffold syncs a changed .py file: no rebuild."""

from __future__ import annotations

import io
import tarfile
import time

import pytest

from tests.image.harness import Docker, ok
from tests.support.tiers import REPO_ROOT

pytestmark = pytest.mark.image

# The liveness body needs no database and is stable enough to patch.
CHANGED_FILE = "observability/health.py"
NEEDLE = '{"status": "ok"}'


def tar_of(path: str, content: bytes) -> bytes:
    """A one-file tar stream, as `skaffold dev` file sync sends it."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = len(content), 0o644, int(time.time())
        tar.addfile(info, io.BytesIO(content))
    return archive.getvalue()


def test_dev_image_restarts_the_server_when_a_synced_py_file_changes(
    docker: Docker, dev_image: str, app_env: dict[str, str]
) -> None:
    source = (REPO_ROOT / "app" / CHANGED_FILE).read_text()
    assert NEEDLE in source, f"app/{CHANGED_FILE} changed: pick a new NEEDLE for this test"
    patched = source.replace(NEEDLE, '{"status": "reloaded"}').encode()
    container = docker.start(dev_image, env=app_env)
    container.wait_for("/healthz", ok, within=20)

    # Extracted by the image's user, as Skaffold's sync does: /app/app must be writable.
    container.exec("tar", "-x", "-C", "/app/app", stdin=tar_of(CHANGED_FILE, patched))
    seconds = container.wait_for("/healthz", lambda _, body: b"reloaded" in body, within=10)
    print(f"dev image served the synced change after {seconds:.2f}s")
