"""Every rendered object validates against the strict Kubernetes schemas of 1.29 and the newest.

Built-in kinds use the schemas shipped by kubernetes-validate; the CRD kinds the chart can
render (ServiceMonitor, PrometheusRule, HTTPRoute) use the strict schemas vendored in crd_schemas/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import kubernetes_validate
import pytest

from tests.chart.render import scenario_values

if TYPE_CHECKING:
    from tests.chart.render import Manifest, Rendered

pytestmark = pytest.mark.chart

OLDEST = "1.29.0"
NEWEST: str = kubernetes_validate.latest_version()
CRD_SCHEMAS: dict[tuple[str, str], Path] = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): Path(__file__).parent
    / "crd_schemas"
    / "servicemonitor-monitoring-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): Path(__file__).parent
    / "crd_schemas"
    / "prometheusrule-monitoring-v1.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): Path(__file__).parent
    / "crd_schemas"
    / "httproute-gateway-v1.json",
}


def crd_errors(manifest: Manifest) -> list[str]:
    path = CRD_SCHEMAS[(manifest["apiVersion"], manifest["kind"])]
    schema: dict[str, Any] = json.loads(path.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


def validation_errors(manifest: Manifest, version: str) -> list[str]:
    """Problems of one object against one Kubernetes version (CRDs: their vendored schema)."""
    if (manifest["apiVersion"], manifest["kind"]) in CRD_SCHEMAS:
        return crd_errors(manifest)
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [f"no schema: {error.message}"]
    return []


def test_newest_schema_version_is_newer_than_the_oldest_supported() -> None:
    assert tuple(map(int, NEWEST.split("."))) > (1, 29, 0)


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
@pytest.mark.parametrize("scenario", scenario_values())
def test_every_rendered_object_validates_strictly(
    rendered_scenarios: dict[str, Rendered], scenario: str, version: str
) -> None:
    problems = {
        f"{m['kind']}/{m['metadata']['name']}": errors
        for m in rendered_scenarios[scenario].manifests
        if (errors := validation_errors(m, version))
    }
    assert not problems, json.dumps(problems, indent=2)


def test_crd_kinds_are_rendered_somewhere_in_the_matrix(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = {
        (m["apiVersion"], m["kind"]) for r in rendered_scenarios.values() for m in r.manifests
    }
    assert set(CRD_SCHEMAS) <= rendered


@pytest.mark.parametrize(
    "manifest",
    [
        pytest.param(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "x"},
                "spec": {"selector": {}, "endpoints": [{"port": "http", "interval": "30 s"}]},
            },
            id="servicemonitor-bad-duration",
        ),
        pytest.param(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": {"name": "x"},
                "spec": {
                    "groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up", "for": "5 m"}]}]
                },
            },
            id="prometheusrule-bad-duration",
        ),
        pytest.param(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": {"name": "x"},
                "spec": {
                    "groups": [
                        {"name": "g", "rules": [{"record": "r", "alert": "A", "expr": "up"}]}
                    ]
                },
            },
            id="prometheusrule-record-and-alert",
        ),
        pytest.param(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": {"name": "x"},
                "spec": {"rules": [{"backendRefs": [{"name": "x", "prot": 80}]}]},
            },
            id="httproute-unknown-field",
        ),
        pytest.param(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "x"},
                "spec": {"ports": [{"port": "eighty"}]},
            },
            id="builtin-wrong-type",
        ),
        pytest.param(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "x"},
                "dta": {},
            },
            id="builtin-unknown-field",
        ),
    ],
)
def test_validation_catches_broken_objects(manifest: Manifest) -> None:
    assert validation_errors(manifest, OLDEST)
