"""The OpenAPI document: stable operation ids, summaries, response models and error responses."""

import re

from fastapi.testclient import TestClient


def test_every_operation_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]
    assert len(operations) == 24  # 21 reads; POST and DELETE articles; an ingest job
    for path, _method, op in operations:
        tags = "articles|quotes|quotations|entities|search|stories|system"
        assert re.fullmatch(rf"({tags})-[a-z_]+", op["operationId"])
        assert op["summary"] and op["summary"].endswith(".")  # the docstring, not the name
        if "204" not in op["responses"]:  # DELETE answers with no content
            assert "$ref" in str(op["responses"]["200"]["content"]["application/json"]["schema"])
        if "{" in path:
            assert "404" in op["responses"], path
            problem = op["responses"]["404"]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}
            assert not any(p["name"] == "id" for p in op.get("parameters", []))
        if path.startswith("/api/v1") and (op.get("parameters") or op.get("requestBody")):
            assert "422" in op["responses"], path
        for parameter in op.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
            # optional parameters show their example in words, so "Try it out" starts empty
            documented = {*parameter, *parameter.get("schema", {})}
            if parameter.get("required"):
                assert {"example", "examples"} & documented, (path, parameter["name"])
            else:
                assert "Example: `" in parameter["description"], (path, parameter["name"])
                assert not {"example", "examples"} & documented, (path, parameter["name"])
    ids = [op["operationId"] for _, _, op in operations]
    assert len(set(ids)) == len(ids)
    assert "search-search_articles" in ids


def test_schemas_have_descriptions_and_examples(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ArticlePublic", "QuotePublic", "EntityPublic"):
        assert schemas[name]["examples"], name
        for field, spec in schemas[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field}"


def test_swagger_ui_is_served(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
