"""Reaching the release from the test: port-forwards on 127.0.0.1 and plain HTTP calls."""

from __future__ import annotations

import contextlib
import json
import subprocess
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from tests.e2e.kube import KUBECONFIG, KUBECTL
from tests.support.ports import free_port, wait_for_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextlib.contextmanager
def port_forward(namespace: str, target: str, remote_port: int | str) -> Iterator[str]:
    """`kubectl port-forward` target (pod/x or service/x) on a free loopback port; its base URL."""
    port = free_port()
    argv: list[str | Path] = [KUBECTL, f"--kubeconfig={KUBECONFIG}", f"-n={namespace}"]
    argv += ["port-forward", "--address=127.0.0.1", target, f"{port}:{remote_port}"]
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            if not wait_for_port(port, timeout=30):
                process.kill()
                pytest.fail(f"port-forward to {target} did not listen: {process.communicate()[1]}")
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate(timeout=10)


def call(
    method: str,
    url: str,
    body: object = None,
    *,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, object]:
    """One HTTP request (with a bearer token if given); the status and the decoded JSON body."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def status_of(url: str) -> int | None:
    """The HTTP status of a GET, or None when the connection itself fails."""
    try:
        return call("GET", url, timeout=3)[0]
    except (OSError, urllib.error.URLError):
        return None
