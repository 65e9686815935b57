"""Stopping the servers the tests start, one way for all of them."""

from __future__ import annotations

import subprocess

STOP_GRACE_SECONDS = 10


def terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within STOP_GRACE_SECONDS."""
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
