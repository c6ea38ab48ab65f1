"""The committed OpenAPI document is the one the API's routes generate, and API Gateway gets a
method for each of its operations."""

from __future__ import annotations

import json

from applications_repo.jobs_api.commands import generated
from applications_repo.jobs_api.definition import OPENAPI
from applications_repo.jobs_api.stack_api import SERVED, operations


def test_the_committed_document_is_generated_from_the_routes():
    assert OPENAPI.read_text() == generated(), (
        "the API's routes changed: run .venv/bin/gdp jobs-api openapi --write"
    )


def test_every_operation_documents_its_errors_as_problem_details():
    document = json.loads(OPENAPI.read_text())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
            assert "422" in errors, (path, method)
            for response in errors.values():
                assert list(response["content"]) == ["application/problem+json"], (path, method)


def test_api_gateway_routes_are_the_documents_operations_and_its_page():
    document = json.loads(OPENAPI.read_text())
    documented = {(p, m.upper()) for p, item in document["paths"].items() for m in item}
    assert set(operations()) == documented | set(SERVED)
