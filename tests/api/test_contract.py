"""Contract test: schemathesis generates requests from /openapi.json for every operation; no
response may be a 5xx or break its own documented schema."""

import shutil
import sqlite3
from collections.abc import Iterator
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import spacy
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
    # 21 reads (health, readiness, stats, stories and quotations among them); POST and
    # DELETE articles; a job
    assert len(operations) == 24
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


KEY = "contract-key-5c1e9a7f3b"


@pytest.fixture(scope="module")
def write_schema(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[schemathesis.schemas.BaseSchema, Path]]:
    """The API with writes on (a blank pipeline extracts, so that cases stay fast)."""
    folder = tmp_path_factory.mktemp("writes")
    model = folder / "blank_en"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(model)
    path = folder / "corpus.db"
    shutil.copy(migrated_template, path)
    app = create_app(
        Settings(DATABASE_URL=f"sqlite:///{path}", API_KEYS=[KEY], SPACY_MODEL=str(model))
    )
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app), path


def _articles(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM article").fetchone()[0])


@pytest.mark.parametrize("with_key", [True, False], ids=["key", "no-key"])
def test_write_contract(
    write_schema: tuple[schemathesis.schemas.BaseSchema, Path], with_key: bool
) -> None:
    """Issue 18: the write routes with a valid key and without one: every answer 2xx or 4xx
    as documented, problem+json when refused, and nothing stored by a refused request."""
    schema, path = write_schema
    headers = {"Authorization": f"Bearer {KEY}"} if with_key else {}
    writes = [
        result.ok()  # type: ignore[union-attr]
        for result in schema.get_all_operations()
        if result.ok().method.upper() in ("POST", "DELETE")  # type: ignore[union-attr]
        or "ingest-jobs" in result.ok().path  # type: ignore[union-attr]
    ]
    assert len(writes) == 3
    for operation, mode in product(writes, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            before = _articles(path)
            response = case.call(headers=headers)
            case.validate_response(
                response,
                checks=[not_a_server_error, status_code_conformance, content_type_conformance],
            )
            if response.status_code >= 400:
                [content_type] = response.headers["content-type"]
                assert content_type == "application/problem+json"
                assert _articles(path) == before, response.text
            if not with_key:
                assert response.status_code == 401

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE
