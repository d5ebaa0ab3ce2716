"""Schemathesis over the API's own OpenAPI document, in process (ASGI), as a student and as
a teacher: no 5xx, every status and body as documented (issue 14).

Bounded: a few examples per operation and role, so the whole run stays under a minute or
two on the shared cores (`AUTOGRADE_FUZZ_EXAMPLES` raises it)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import World

EXAMPLES = int(os.environ.get("AUTOGRADE_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def fuzz(world: World, who: str) -> list[str]:
    """Every operation of the document, ``EXAMPLES`` generated requests each (valid and
    invalid by the document), as ``who``;
    the failures (operation and what was wrong)."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.client.app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        @FUZZ
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=world.as_(who), checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001 - collected and reported below
            failures.append(f"{operation.label}: {error}")
    return failures


@pytest.mark.parametrize("who", ["alice", "teacher"])
def test_api_keeps_its_document(world: World, who: str) -> None:
    failures = fuzz(world, who)
    assert failures == [], "\n\n".join(failures)


def test_the_document_declares_security_and_errors(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session"}
    operations = [(path, method, op) for path, item in document["paths"].items()
                  for method, op in item.items()]
    for path, method, op in operations:
        errors = {code for code in op["responses"] if code.startswith("4")}
        if path not in ("/api/v1/auth/login", "/api/v1/auth/tokens") or method == "get":
            assert op["security"] == [{"bearer": []}, {"session": []}], (method, path)
            assert {"401", "403"} <= errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        if method in ("post", "put", "delete"):
            assert {"403", "413", "422"} <= errors, (method, path)
        for code in errors:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "429" in login
