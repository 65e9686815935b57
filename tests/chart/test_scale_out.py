"""Scale-out: the app consumes a replica set's connection string from an operator's Secret."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest
from pymongo import uri_parser

from tests.chart.render import RELEASE

if TYPE_CHECKING:
    from tests.chart.render import Rendered

pytestmark = pytest.mark.chart

APP = f"{RELEASE}-users-api"


def uri_reference(rendered: Rendered) -> dict[str, str]:
    deployment = rendered.get("Deployment", APP)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    reference: dict[str, str] = env["MONGODB_URI"]["valueFrom"]["secretKeyRef"]
    return reference


@pytest.mark.parametrize(
    ("scenario", "secret", "key"),
    [
        pytest.param(
            "external-community-operator",
            "users-mongodb-admin-users-api",  # <MongoDBCommunity name>-<user's db>-<user>
            "connectionString.standardSrv",
            id="mongodb-community-operator",
        ),
        pytest.param(
            "external-percona",
            "users-psmdb-custom-user-secret-conn-str",  # <cluster>-custom-user-secret-conn-str
            "users-api_rs0_connectionString",  # <user>_<replica set>_connectionString
            id="percona-operator",
        ),
    ],
)
def test_app_reads_the_operators_connection_string_secret(
    rendered_scenarios: dict[str, Rendered], scenario: str, secret: str, key: str
) -> None:
    rendered = rendered_scenarios[scenario]
    assert uri_reference(rendered) == {"name": secret, "key": key}
    assert rendered.of_kind("Secret") == [], "the operator owns the credentials"
    assert rendered.of_kind("StatefulSet") == []
    egress = rendered.get("NetworkPolicy", APP)["spec"]["egress"]
    assert {"ports": [{"port": 27017, "protocol": "TCP"}]} in egress, "members' port anywhere"


def test_hand_written_replica_set_uri_states_the_options_the_app_relies_on(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["external-replicaset"]
    reference = uri_reference(rendered)
    data = rendered.get("Secret", reference["name"])["data"]
    uri = base64.b64decode(data[reference["key"]]).decode()
    parsed: dict[str, Any] = uri_parser.parse_uri(uri)  # the driver's own parser, validating
    options = parsed["options"]
    assert len(parsed["nodelist"]) == 3
    assert options["replicaSet"] == "rs0"
    assert options["w"] == "majority"
    assert options["readPreference"] == "primary"
    assert options["retryWrites"] is True
