"""helm lint --strict over the matrix, and the values schema: closed, and rejecting bad input."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.chart.render import CHART_DIR, run_helm, scenario_values, template_args

pytestmark = pytest.mark.chart

SCENARIOS = scenario_values()
SCHEMA: dict[str, Any] = json.loads((CHART_DIR / "values.schema.json").read_text())


def load_values(name: str) -> dict[str, Any]:
    path = SCENARIOS[name]
    text = (CHART_DIR / "values.yaml").read_text() if path is None else path.read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_helm_lint_strict_passes(scenario: str) -> None:
    result = run_helm("lint", "--strict", str(CHART_DIR), *template_args(SCENARIOS[scenario]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_schema_is_closed_at_every_level_of_chart_owned_settings() -> None:
    assert SCHEMA["additionalProperties"] is False
    for key in ("image", "config", "shutdown", "mongodb", "externalMongodb", "networkPolicy"):
        assert SCHEMA["properties"][key]["additionalProperties"] is False, key
    mongodb = SCHEMA["properties"]["mongodb"]["properties"]
    assert mongodb["auth"]["additionalProperties"] is False
    assert mongodb["backup"]["additionalProperties"] is False
    assert mongodb["backup"]["properties"]["persistence"]["additionalProperties"] is False


def test_schema_documents_every_default_key() -> None:
    defaults = load_values("default")
    assert set(defaults) <= set(SCHEMA["properties"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_values_files_validate_against_schema(scenario: str) -> None:
    values = deep_merge(load_values("default"), load_values(scenario))
    jsonschema.validate(values, SCHEMA)


@pytest.mark.parametrize(
    ("set_values", "message"),
    [
        pytest.param({"replicaCount": "three"}, "/replicaCount", id="string-replica-count"),
        pytest.param({"image.pullPolicy": "Sometimes"}, "/image/pullPolicy", id="pull-policy"),
        pytest.param({"service.port": "99999"}, "/service/port", id="port-out-of-range"),
        pytest.param({"config.logLevel": "verbose"}, "/config/logLevel", id="log-level"),
        pytest.param({"shutdown.delaySeconds": "-1"}, "/shutdown/delaySeconds", id="negative"),
        pytest.param({"mongodb.enabled": "yes"}, "/mongodb/enabled", id="string-bool"),
        pytest.param({"replicas": "3"}, "additional properties 'replicas'", id="unknown-key"),
        pytest.param({"mongodb.persistance.size": "1Gi"}, "'persistance'", id="typo-nested"),
        pytest.param({"externalMongodb.uri": "postgres://x"}, "/externalMongodb/uri", id="uri"),
    ],
)
def test_bad_values_fail_template_with_the_offending_key(
    set_values: dict[str, str], message: str
) -> None:
    result = run_helm("template", "bad", str(CHART_DIR), *template_args(set_values=set_values))
    assert result.returncode != 0
    assert message in result.stderr


def test_bad_values_fail_lint_too() -> None:
    result = run_helm("lint", "--strict", str(CHART_DIR), "--set", "replicaCount=three")
    assert result.returncode != 0
    assert "/replicaCount" in result.stdout + result.stderr


EXTERNAL_WITHOUT_URI = {"mongodb.enabled": "false"}
HTTPROUTE_WITHOUT_GATEWAY = {"httpRoute.enabled": "true"}
MONGO_EXPRESS_WITHOUT_MONGODB = {
    "mongodb.enabled": "false",
    "externalMongodb.uri": "mongodb://db.example.com/",
    "mongoExpress.enabled": "true",
}


@pytest.mark.parametrize("command", ["template", "lint"])
@pytest.mark.parametrize(
    ("set_values", "messages"),
    [
        pytest.param(
            EXTERNAL_WITHOUT_URI,
            ["/externalMongodb/uri': minLength", "/externalMongodb/existingSecret': minLength"],
            id="external-without-uri",
        ),
        pytest.param(
            HTTPROUTE_WITHOUT_GATEWAY,
            ["/httpRoute/parentRefs': minItems"],
            id="httproute-without-gateway",
        ),
        pytest.param(
            MONGO_EXPRESS_WITHOUT_MONGODB,
            ["/mongodb/enabled': value must be true"],
            id="mongo-express-without-bundled-mongodb",
        ),
    ],
)
def test_cross_field_rules_fail_template_and_lint_naming_the_keys(
    command: str, set_values: dict[str, str], messages: list[str]
) -> None:
    args = ["template", "bad"] if command == "template" else ["lint", "--strict"]
    result = run_helm(*args, str(CHART_DIR), *template_args(set_values=set_values))
    assert result.returncode != 0
    for message in messages:
        assert message in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("set_values", "message"),
    [
        pytest.param(
            EXTERNAL_WITHOUT_URI,
            "mongodb.enabled=false needs a connection string: set externalMongodb.uri, "
            "or externalMongodb.existingSecret",
            id="external-without-uri",
        ),
        pytest.param(
            HTTPROUTE_WITHOUT_GATEWAY,
            "httpRoute.enabled needs httpRoute.parentRefs",
            id="httproute-without-gateway",
        ),
        pytest.param(
            MONGO_EXPRESS_WITHOUT_MONGODB,
            "mongoExpress.enabled needs the bundled MongoDB",
            id="mongo-express-without-bundled-mongodb",
        ),
        pytest.param({"nameOverride": "mongodb"}, 'nameOverride "mongodb" collides', id="name"),
    ],
)
def test_templates_explain_missing_inputs_even_without_the_schema(
    set_values: dict[str, str], message: str
) -> None:
    result = run_helm(
        "template",
        "bad",
        str(CHART_DIR),
        "--skip-schema-validation",
        *template_args(set_values=set_values),
    )
    assert result.returncode != 0
    assert message in result.stderr
