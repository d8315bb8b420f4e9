"""The items API end to end through the emulator: real tokens, real code and layer, moto's DynamoDB."""

from __future__ import annotations

import uuid

from tests.support.emulated_stage import RunningApi


def _user(name: str) -> str:
    """A user of this test only: the session's moto table outlives each test."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_two_users_create_read_update_delete_only_their_own_items(dev_api: RunningApi) -> None:
    client = dev_api.client
    alice, bob = dev_api.auth(_user("alice")), dev_api.auth(_user("bob"))

    created = client.post("/items", json={"name": "lamp", "price": "12.5", "tags": ["home"]}, headers=alice)
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["name"], item["price"], item["tags"], item["version"]) == ("lamp", "12.50", ["home"], 1)
    assert created.headers["location"] == f"/items/{item['id']}"
    assert created.headers["etag"] == '"1"'

    assert [listed["id"] for listed in client.get("/items", headers=alice).json()["items"]] == [item["id"]]
    assert client.get("/items", headers=bob).json() == {"items": [], "next_cursor": None}

    stranger = client.get(f"/items/{item['id']}", headers=bob)
    assert stranger.status_code == 404
    assert stranger.json()["error"]["code"] == "item_not_found"

    replaced = client.put(
        f"/items/{item['id']}",
        json={"name": "desk lamp"},
        headers={**alice, "if-match": created.headers["etag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["name"], replaced.json()["version"]) == ("desk lamp", 2)
    stale = client.put(f"/items/{item['id']}", json={"name": "x"}, headers={**alice, "if-match": '"1"'})
    assert stale.status_code == 412

    assert client.delete(f"/items/{item['id']}", headers=bob).status_code == 404
    assert client.delete(f"/items/{item['id']}", headers=alice).status_code == 204
    assert client.get(f"/items/{item['id']}", headers=alice).status_code == 404


def test_pages_follow_signed_cursors_made_with_the_templates_secret(dev_api: RunningApi) -> None:
    client = dev_api.client
    carol = dev_api.auth(_user("carol"))
    names = [f"item {number}" for number in range(5)]
    for name in names:
        assert client.post("/items", json={"name": name}, headers=carol).status_code == 201

    first = client.get("/items", params={"limit": 2}, headers=carol).json()
    assert [item["name"] for item in first["items"]] == names[:2]
    assert first["next_cursor"]
    rest = client.get("/items", params={"limit": 10, "cursor": first["next_cursor"]}, headers=carol).json()
    assert [item["name"] for item in rest["items"]] == names[2:]
    assert rest["next_cursor"] is None

    other = dev_api.auth(_user("dave"))
    stolen = client.get("/items", params={"cursor": first["next_cursor"]}, headers=other)
    assert stolen.status_code == 400
    assert stolen.json()["error"]["code"] == "invalid_cursor"


def test_health_is_public_and_reports_the_deployed_version(dev_api: RunningApi) -> None:
    response = dev_api.client.get("/health")
    assert response.status_code == 200
    assert response.json()["function_version"] == "1"
    assert response.headers["apigw-requestid"]


def test_docs_page_and_its_openapi_document_load_without_a_token(dev_api: RunningApi) -> None:
    page = dev_api.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in page.text
    document = dev_api.client.get("/openapi.json")
    assert document.status_code == 200
    assert "/items" in document.json()["paths"]


def test_unknown_routes_of_the_catch_all_still_need_a_token(dev_api: RunningApi) -> None:
    response = dev_api.client.get("/nowhere")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["content-length"] == str(len(response.content))
    with_token = dev_api.client.get("/nowhere", headers=dev_api.auth(_user("erin")))
    assert with_token.status_code == 404
    assert with_token.json()["error"]["code"] == "route_not_found"


def test_access_log_lines_use_the_stages_format(dev_api: RunningApi) -> None:
    response = dev_api.client.get("/health")
    request_id = response.headers["apigw-requestid"]
    (line,) = dev_api.console_lines_with(request_id)
    assert f'"requestId":"{request_id}"' in line
    assert '"routeKey":"GET /health"' in line
    assert '"status":"200"' in line
