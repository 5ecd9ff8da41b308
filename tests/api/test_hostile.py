"""Hostile input and secrets (issue 18), on both engines: values that Python cannot take are
field errors, never a 500; no validator depends on a key; a read behind a key is refused
before any validator is compared; ids are never reused."""

import json
from typing import Any

import pytest

from tests.api.test_writes import AUTH, KEY, STORY, assert_problem, count
from tests.conftest import make_client

HUGE_NUMBER = "9" * 5_000


def _raw(payload: dict[str, Any], **raw: str) -> bytes:
    """JSON with some values spliced in as they are (a number too long for Python's int)."""
    text = json.dumps(payload)
    for key, value in raw.items():
        text = text[:-1] + f', "{key}": {value}}}'
    return text.encode()


# (name, the body as bytes, the field a 422 must name or "" for the whole body)
BAD_BODIES = [
    ("lone surrogate in the title", json.dumps({**STORY, "title": "\ud800"}).encode(), "title"),
    ("lone surrogate in the body", json.dumps({**STORY, "body": "ok \udfff ok"}).encode(), "body"),
    ("NUL in the author", json.dumps({**STORY, "author": "a\u0000b"}).encode(), "author"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, ""),
    ("a 5,000-digit id", _raw({k: v for k, v in STORY.items() if k != "id"}, id=HUGE_NUMBER), "id"),
    ("a 5,000-digit title", _raw({**STORY, "id": "n"}, title=HUGE_NUMBER), "title"),
    (
        "a date past the last UTC day",
        json.dumps({**STORY, "published": "9999-12-31T23:59:59-12:00"}).encode(),
        "published",
    ),
    (
        "a date before the first UTC day",
        json.dumps({**STORY, "published": "0001-01-01T00:00:00+14:00"}).encode(),
        "published",
    ),
    ("a title too long", json.dumps({**STORY, "title": "t" * 2_001}).encode(), "title"),
    ("an id too long", json.dumps({**STORY, "id": "i" * 513}).encode(), "id"),
]


class TestBadValues:
    @pytest.mark.parametrize(
        ("body", "field"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
    )
    def test_json_is_a_422_naming_the_field(self, db_url: str, body: bytes, field: str) -> None:
        with make_client(db_url, API_KEYS=[KEY]) as client:
            headers = {**AUTH, "Content-Type": "application/json"}
            response = client.post("/api/v1/articles", content=body, headers=headers)
            problem = assert_problem(response, 422, "validation-error")
        [error] = problem["errors"]
        assert error["loc"] == (["body", field] if field else ["body"]), error
        assert count(db_url) == 0

    @pytest.mark.parametrize(
        ("body", "field"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
    )
    def test_ndjson_is_a_422_naming_line_and_field(
        self, db_url: str, body: bytes, field: str
    ) -> None:
        good = json.dumps({**STORY, "id": "good"}).encode()
        batch = good + b"\n" + body + b"\n"
        with make_client(db_url, API_KEYS=[KEY]) as client:
            headers = {**AUTH, "Content-Type": "application/x-ndjson"}
            response = client.post("/api/v1/articles", content=batch, headers=headers)
            problem = assert_problem(response, 422, "validation-error")
        [error] = problem["errors"]
        assert error["loc"] == (["body", 2, field] if field else ["body", 2]), error
        assert count(db_url) == 0  # a batch is validated whole before anything is stored


class TestSecrets:
    def test_the_same_answer_has_the_same_etag_whatever_the_keys(self, seeded_db_url: str) -> None:
        """A key mixed into the validator could be recovered offline from a public ETag."""
        etags = []
        for keys in (["k1"], ["another-key", "and-a-third"], []):
            with make_client(seeded_db_url, API_KEYS=keys) as client:
                response = client.get("/api/v1/articles")
                assert response.status_code == 200
                etags.append(response.headers["etag"])
        assert len(set(etags)) == 1, etags

    def test_a_read_behind_a_key_is_refused_before_its_validator(self, seeded_db_url: str) -> None:
        with make_client(seeded_db_url, API_KEYS=[KEY], READ_REQUIRES_KEY=True) as client:
            allowed = client.get("/api/v1/articles/1", headers=AUTH)
            etag = allowed.headers["etag"]
            assert allowed.status_code == 200
            again = client.get("/api/v1/articles/1", headers={**AUTH, "If-None-Match": etag})
            assert again.status_code == 304
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                refused = client.get(
                    "/api/v1/articles/1", headers={**headers, "If-None-Match": etag}
                )
                assert_problem(refused, 401, "unauthorized")
                assert "etag" not in refused.headers and "last-modified" not in refused.headers


class TestIds:
    def test_a_deleted_articles_id_is_never_given_again(self, db_url: str) -> None:
        with make_client(db_url, API_KEYS=[KEY]) as client:
            first = client.post("/api/v1/articles", json={**STORY, "id": "a"}, headers=AUTH)
            assert first.status_code == 201
            location = first.headers["location"]
            assert client.delete(location, headers=AUTH).status_code == 204
            body = STORY["body"].replace("won", "lost")
            second = client.post("/api/v1/articles", json={"id": "b", "body": body}, headers=AUTH)
            assert second.status_code == 201
            assert second.headers["location"] != location
            assert client.get(location).status_code == 404
