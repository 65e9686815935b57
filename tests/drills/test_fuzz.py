"""Schemathesis against the service's own /openapi.json: no 5xx, nothing off-schema.

The service runs with authentication on (a static writer key), as the chart
deploys it; every generated request carries the key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.openapi import build_openapi
from tests.support.app_process import AppProcess, local_env

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case

# Enough per operation that the five parameterised operations alone exceed
# the 1,000 cases CI must run (parameterless ones stop after a few).
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES_PER_OPERATION", "250"))
MINIMUM_CASES = 1000
generated: list[str] = []


# The document /openapi.json serves (a pure function of the code, so it can
# be built at collection time, before any server runs).
WRITER_KEY = secrets.token_hex(32)
# The key is given through the document's own scheme, so schemathesis knows which header is
# the credential: its negative cases that drop it then expect (and get) a refusal.
schema = schemathesis.openapi.from_dict(
    build_openapi(authenticated=True),
    config=schemathesis.Config.from_dict(
        {"auth": {"openapi": {"bearerAuth": {"bearer": WRITER_KEY}}}}
    ),
)


@pytest.fixture(scope="module")
def service(ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """The service with API-key authentication on; the fuzzer holds a writer key."""
    folder = tmp_path_factory.mktemp("fuzz-service")
    keys = folder / "api-keys"
    keys.write_text(f"fuzzer writer sha256:{hashlib.sha256(WRITER_KEY.encode()).hexdigest()}\n")
    env = local_env(
        ferretdb_uri,
        BODY_READ_TIMEOUT_SECONDS="1",
        AUTH_MODE="apiKeys",
        AUTH_API_KEYS_FILE=str(keys),
    )
    process = AppProcess(env, folder / "app.log")
    process.start()
    process.wait_until("/readyz", 200)
    yield process
    process.stop()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_within_its_documented_contract(
    case: Case[Any], service: AppProcess
) -> None:
    generated.append(f"{case.method} {case.path}")
    response = case.call_and_validate(
        base_url=service.base_url,
        timeout=10,
        excluded_checks=[positive_data_acceptance],
    )
    meta = case.meta
    if meta is not None and meta.generation.mode is GenerationMode.POSITIVE:
        # Valid input carries the valid key: auth must never refuse it.
        assert response.status_code not in {401, 403}, response.text
        assert response.status_code != 422 or refused_by_design(case), response.text


def refused_by_design(case: Case[Any]) -> bool:
    """Schema-valid input the API refuses on purpose, in ways JSON Schema cannot state.

    JSON Schema counts 1.0 as an integer, but ids must be JSON integers; the
    lookup form `GET /users?id=N` takes no other parameter; and a PUT body's
    optional id must equal the path's. OpenAPI can state the last two only in
    descriptions, which the document does.
    """
    sent = (case.body, case.query, case.path_parameters)
    query = case.query or {}
    lookup_with_page = "id" in query and len(query) > 1
    body = case.body if isinstance(case.body, dict) else {}
    path_id = (case.path_parameters or {}).get("id")
    mismatched_id = case.method == "PUT" and "id" in body and str(body["id"]) != str(path_id)
    return has_integral_float(sent) or lookup_with_page or mismatched_id


def has_integral_float(value: object) -> bool:
    """Whether a generated value holds a float like 1.0 anywhere."""
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        return bool(re.fullmatch(r"-?[0-9]+\.0+|-?[0-9]+(\.0+)?[eE]\+?[0-9]+", value))
    if isinstance(value, dict):
        return any(has_integral_float(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_integral_float(item) for item in value)
    return False


def test_fuzzing_ran_enough_cases() -> None:
    if EXAMPLES_PER_OPERATION < MINIMUM_CASES // 5:
        pytest.skip("FUZZ_EXAMPLES_PER_OPERATION lowered for a quick local run")
    assert len(generated) >= MINIMUM_CASES, f"only {len(generated)} cases"
    print(f"schemathesis generated {len(generated)} cases")
