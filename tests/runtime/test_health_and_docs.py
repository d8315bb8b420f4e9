"""The unauthenticated routes: health and the OpenAPI docs behind the ``$default`` stage."""

from __future__ import annotations

import re
import socket

import pytest
from fastapi.testclient import TestClient

from runtime import aws
from runtime.contract import HEALTH_FUNCTION_VERSION_FIELD, HEALTH_PATH
from runtime.main import create_app
from runtime.settings import Settings
from tests.runtime.conftest import APP_VERSION, FUNCTION_VERSION
from tests.support.apigw import LambdaApi


def test_health_reports_status_and_deployed_versions(api: LambdaApi) -> None:
    response = api.get(HEALTH_PATH)

    assert response.status == 200
    assert response.json() == {
        "status": "ok",
        HEALTH_FUNCTION_VERSION_FIELD: FUNCTION_VERSION,
        "app_version": APP_VERSION,
    }
    assert response.headers["cache-control"] == "no-store"


def test_health_needs_no_dynamodb(api: LambdaApi, fresh_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{probe.getsockname()[1]}")
        aws.reset()

        assert api.get(HEALTH_PATH).status == 200


def test_health_outside_lambda_reports_null_versions() -> None:
    client = TestClient(create_app(Settings(table_name="t", cursor_secret_name="s")))

    assert client.get(HEALTH_PATH).json() == {"status": "ok", "function_version": None, "app_version": None}


def test_docs_load_the_schema_from_the_root_of_the_default_stage(api: LambdaApi) -> None:
    docs = api.get("/docs")

    assert docs.status == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert b"url: '/openapi.json'" in docs.body

    schema = api.get("/openapi.json")
    assert schema.status == 200
    document = schema.json()
    assert document["info"]["version"] == APP_VERSION
    assert "servers" not in document
    assert set(document["paths"]) == {"/health", "/items", "/items/{item_id}"}


def test_docs_load_swagger_ui_from_the_service_itself_not_a_cdn(api: LambdaApi) -> None:
    page = api.get("/docs").body.decode()

    assert re.findall(r"https?://", page) == [], "no third party at run time"
    for asset, media_type in (("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css")):
        assert f"/docs/assets/{asset}" in page
        response = api.get(f"/docs/assets/{asset}")
        assert response.status == 200, asset
        assert response.headers["content-type"].startswith(media_type)
        assert len(response.body) > 100_000, "the whole bundle"
    assert b"SwaggerUIBundle" in api.get("/docs/assets/swagger-ui-bundle.js").body
    assert api.get("/docs/assets/other.js").status == 404


def test_the_schema_documents_the_error_envelope(api: LambdaApi) -> None:
    document = api.get("/openapi.json").json()

    put = document["paths"]["/items/{item_id}"]["put"]
    for status in ("401", "404", "412", "413", "415", "422", "428", "500", "503"):
        schema = put["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, status
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_docs_can_be_turned_off() -> None:
    client = TestClient(create_app(Settings(table_name="t", cursor_secret_name="s", enable_docs=False)))

    for path in ("/docs", "/docs/assets/swagger-ui.css", "/openapi.json", "/redoc"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "route_not_found"


def test_served_without_lambda_every_item_route_is_401() -> None:
    """Served directly over ASGI (uvicorn) there is no authorizer, hence no identity: no way in."""
    client = TestClient(create_app(Settings(table_name="t", cursor_secret_name="s")))

    assert client.get("/items").status_code == 401
    assert client.post("/items", json={"name": "x"}).status_code == 401
    assert client.get("/items", headers={"authorization": "Bearer anything"}).status_code == 401
