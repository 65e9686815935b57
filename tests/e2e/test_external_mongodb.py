"""mongodb.enabled=false: the app connects to a MongoDB the chart does not run, via a URI Secret."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

import pytest

from tests.e2e.release import APP, Release

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

SERVER = "external-mongodb"


def external_server(kube: Kube, images: ClusterImages, password: str) -> None:
    """A MongoDB outside the release (the stand-in image run as the official one is), Ready."""
    labels = {"app.kubernetes.io/name": SERVER}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": SERVER, "labels": labels},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "fsGroup": 999},
            "containers": [
                {
                    "name": "mongod",
                    "image": f"docker.io/{images.mongodb_repository}:{images.mongodb_tag}",
                    "imagePullPolicy": "IfNotPresent",
                    "args": ["mongod", "--bind_ip_all"],
                    "env": [
                        {"name": "MONGO_INITDB_ROOT_USERNAME", "value": "root"},
                        {"name": "MONGO_INITDB_ROOT_PASSWORD", "value": password},
                    ],
                    "ports": [{"containerPort": 27017, "name": "mongodb"}],
                    "readinessProbe": {"tcpSocket": {"port": 27017}, "periodSeconds": 2},
                    "volumeMounts": [{"name": "data", "mountPath": "/data/db"}],
                    "resources": {"requests": {"cpu": "20m", "memory": "128Mi"}},
                }
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVER},
        "spec": {"selector": labels, "ports": [{"port": 27017, "targetPort": "mongodb"}]},
    }
    kube.kubectl(
        "apply",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, service]}),
    )
    kube.kubectl("wait", f"pod/{SERVER}", "--for=condition=Ready", "--timeout=300s", timeout=320)


def test_external_mongodb_from_a_uri_secret_installs_and_passes_helm_test(
    new_namespace: Callable[[str], Kube], images: ClusterImages
) -> None:
    kube = new_namespace("external")
    password = secrets.token_hex(16)
    external_server(kube, images, password)
    uri = f"mongodb://root:{password}@{SERVER}.{kube.namespace}.svc:27017/?authSource=admin"
    kube.kubectl("create", "secret", "generic", "users-db", f"--from-literal=mongodb-uri={uri}")
    release = Release(kube=kube, images=images)
    release.install(
        "mongodb.enabled=false",
        "externalMongodb.existingSecret=users-db",
        "resources.requests.cpu=20m",
    )
    assert release.ready_replicas(f"deployment/{APP}") == (2, 2)
    assert not kube.get("statefulsets")["items"], "no MongoDB of the chart's own"
    assert "Succeeded" in release.helm_test()
