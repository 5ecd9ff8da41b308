"""Contract test: schemathesis generates requests from /openapi.json for every operation; no
response may be a 5xx or break its own documented schema."""

import shutil
from collections.abc import Iterator
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def api_schema(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[schemathesis.schemas.BaseSchema]:
    path = tmp_path_factory.mktemp("contract") / "corpus.db"
    shutil.copy(seeded_template, path)
    app = create_app(Settings(DATABASE_URL=f"sqlite:///{path}"))
    with TestClient(app):  # runs the lifespan, which opens the database engine
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


# what the contract means here: no 5xx, every status, content type and body as documented,
# and invalid input rejected. A schema-valid but malformed search query ("(") is a documented
# 400, so schemathesis' positive_data_acceptance check does not apply.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def test_api_contract(api_schema: schemathesis.schemas.BaseSchema) -> None:
    """Every operation, with generated parameters (valid and invalid)."""
    # ok() raises if the document has an invalid operation, which fails the test as it should
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == 20  # 17 reads; POST and DELETE articles; an ingest job
    for operation, mode in product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,  # the same cases on every run: CI must not be flaky
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing invalid to send (e.g. /health)
