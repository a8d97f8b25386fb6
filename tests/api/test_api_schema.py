"""A schemathesis property run over the served OpenAPI document: no 5xx, and every answer
conforms to the document (status code, content type, body schema), on SQLite and PostgreSQL.

Bounded so the whole tests/api suite stays quick: 20 schema-valid and 10 schema-invalid
requests per operation, no shrinking (a failure is reported as generated).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from apihelp import Served
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

pytest_plugins = ["apiserver"]  # the `served` fixture

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
RUNS = ((GenerationMode.POSITIVE, 20, CHECKS), (GenerationMode.NEGATIVE, 10, [*CHECKS, negative_data_rejection]))


def _property_run(operation: Any, mode: GenerationMode, examples: int, checks: list[Any], url: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=url, checks=checks)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # only an operation with nothing to get wrong (no parameters, no body) has no negative case


def test_every_operation_conforms_to_the_openapi_document(served: Served) -> None:
    schema = schemathesis.openapi.from_url(served.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        for mode, examples, checks in RUNS:
            _property_run(operation, mode, examples, checks, served.url)
