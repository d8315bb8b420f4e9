"""No secret, token or item in the function's logs, with the dev stage logging at DEBUG as configured.

Lambda's log-level filter sets the root logger to the function's application log level, so at DEBUG
every library logs what it does: botocore whole request and response bodies (items, the cursor key
``GetSecretValue`` returns) and the signed request headers, urllib3 its connections, the X-Ray SDK the
segments it sends. The whole items flow runs through the emulated stage (token, idempotent create,
pages read with a cursor so the key is fetched, read, replace, delete) and every line the function
wrote, exactly as it wrote it, is searched for the key, the token and the item's field values.
"""

from __future__ import annotations

import json
import uuid

from tests.support.emulated_stage import RunningApi


def _forms(value: str) -> set[str]:
    """``value`` as it may appear in a log line: as is, escaped in JSON, and inside a bytes repr."""
    return {value, json.dumps(value)[1:-1], repr(value.encode())[2:-1]}


def _cursor_key(api: RunningApi) -> str:
    (function,) = api.emulator.app.functions()
    secret: str = api.emulator.aws.secretsmanager().get_secret_value(
        SecretId=function.environment["CURSOR_SECRET_NAME"]
    )["SecretString"]
    return secret


def _run_items_flow(api: RunningApi, token: str, marker: str) -> dict[str, str]:
    """Every operation of the API once, with field values that contain ``marker``; returns them."""
    values = {
        "name": f"name-{marker}",
        "description": f"description-{marker}",
        "tag": f"tag-{marker}",
        "new name": f"renamed-{marker}",
    }
    auth = {"authorization": f"Bearer {token}"}
    client = api.client
    body = {"name": values["name"], "description": values["description"], "tags": [values["tag"]]}
    created = client.post("/items", json=body, headers={**auth, "idempotency-key": f"key-{marker}"})
    assert created.status_code == 201, created.text
    assert client.post("/items", json={"name": values["name"]}, headers=auth).status_code == 201
    first = client.get("/items", params={"limit": 1}, headers=auth).json()
    assert first["next_cursor"], "a cursor must be issued, so that the key is read"
    rest = client.get("/items", params={"cursor": first["next_cursor"]}, headers=auth)
    assert rest.status_code == 200, rest.text
    item_path = f"/items/{created.json()['id']}"
    read = client.get(item_path, headers=auth)
    assert read.status_code == 200, read.text
    replaced = client.put(
        item_path, json={"name": values["new name"]}, headers={**auth, "if-match": read.headers["etag"]}
    )
    assert replaced.status_code == 200, replaced.text
    assert client.delete(item_path, headers=auth).status_code == 204
    return values


def test_no_log_line_of_the_items_flow_at_debug_holds_the_key_the_token_or_an_item(
    dev_api: RunningApi,
) -> None:
    (function,) = dev_api.emulator.app.functions()
    assert function.application_log_level == "DEBUG", "the dev stage logs at DEBUG"
    marker = uuid.uuid4().hex
    token = dev_api.token(f"hygiene-{marker}")
    lines_before = len(dev_api.function_lines())

    values = _run_items_flow(dev_api, token, marker)

    lines = dev_api.function_lines()[lines_before:]
    assert any("ItemsCreated" in line for line in lines), "the function's own output must be captured"
    secrets = {
        "the cursor key": _cursor_key(dev_api),
        "the bearer token": token,
        "the token's signature": token.rsplit(".", 1)[1],
        **{f"the item's {field}": value for field, value in values.items()},
    }
    leaks = {
        what: [line[:200] for line in lines if any(form in line for form in _forms(value))]
        for what, value in secrets.items()
    }
    assert {what: found for what, found in leaks.items() if found} == {}
    assert not [line[:200] for line in lines if "authorization" in line.lower()]
