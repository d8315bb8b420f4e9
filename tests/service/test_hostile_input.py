"""A catalogue of hostile requests, sent over HTTP through the emulated API Gateway to the deployed code.

Each one must get a 4xx in the error envelope (code, message, request id = API Gateway's), with a
status that the service's OpenAPI document lists for that operation, never a 500, and must write
nothing: the caller's one item is unchanged afterwards and no other item appeared. Besides forged
cursors, cursors the service really issued are sent with one payload or signature byte changed, or by
another user. Legitimate but
unusual text (emoji, right-to-left scripts, combining marks) must round-trip exactly.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from serverless_fastapi_cdk.toolkit.local_api.workers import Outcome
from tests.service.clients import Caller
from tests.service.conftest import Figures
from tests.support.apigw import http_api_event
from tests.support.local_api import RunningApi

ITEM = "{item}"
"""Stands for the caller's own item id in a case's path."""
BODY_LIMIT = 64 * 1024
ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""The characters of an item id (Crockford base32)."""


@dataclass(frozen=True)
class Hostile:
    method: str
    path: str
    status: int
    code: str
    options: dict[str, Any] = field(default_factory=dict)


def raw(body: bytes, content_type: str | None = "application/json") -> dict[str, Any]:
    return {"content": body, "headers": {"content-type": content_type} if content_type else {}}


def as_json(text: str) -> dict[str, Any]:
    """A JSON body written by hand (escapes such as an unpaired ``\\ud800`` kept as they are)."""
    return raw(text.encode())


CATALOGUE: dict[str, Hostile] = {
    # Malformed JSON and wrong content types
    "truncated JSON": Hostile("POST", "/items", 422, "validation_failed", raw(b'{"name": ')),
    "truncated JSON on replace": Hostile(
        "PUT", f"/items/{ITEM}", 422, "validation_failed", {**raw(b'{"name"'), "if_match": '"1"'}
    ),
    "JSON array, not an object": Hostile("POST", "/items", 422, "validation_failed", raw(b'[{"name": "x"}]')),
    "not UTF-8": Hostile("POST", "/items", 400, "bad_request", raw(b'{"name": "\xff\xfe"}')),
    "text/plain": Hostile(
        "POST", "/items", 415, "unsupported_media_type", raw(b'{"name": "x"}', "text/plain")
    ),
    "form post": Hostile(
        "POST", "/items", 415, "unsupported_media_type", raw(b"name=x", "application/x-www-form-urlencoded")
    ),
    "no content type": Hostile("POST", "/items", 415, "unsupported_media_type", raw(b'{"name": "x"}', None)),
    "JSON declared as XML": Hostile(
        "PUT",
        f"/items/{ITEM}",
        415,
        "unsupported_media_type",
        {**raw(b"<a/>", "application/xml"), "if_match": "*"},
    ),
    # Size and depth
    "body over 64 KiB": Hostile(
        "POST", "/items", 413, "payload_too_large", {"json": {"name": "x", "description": "d" * BODY_LIMIT}}
    ),
    "body over 64 KiB on replace": Hostile(
        "PUT",
        f"/items/{ITEM}",
        413,
        "payload_too_large",
        {"json": {"name": "x" * BODY_LIMIT}, "if_match": '"1"'},
    ),
    "name of 201 characters": Hostile(
        "POST", "/items", 422, "validation_failed", {"json": {"name": "n" * 201}}
    ),
    "21 tags": Hostile(
        "POST",
        "/items",
        422,
        "validation_failed",
        {"json": {"name": "x", "tags": [str(n) for n in range(21)]}},
    ),
    "arrays nested 20,000 deep": Hostile(
        "POST",
        "/items",
        400,
        "bad_request",
        raw(b'{"name": "x", "tags": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"),
    ),
    "objects nested 5,000 deep": Hostile(
        "POST",
        "/items",
        422,
        "validation_failed",
        raw(b'{"name": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}"),
    ),
    # Unicode edge cases
    "NUL in the name": Hostile("POST", "/items", 422, "validation_failed", {"json": {"name": "a\u0000b"}}),
    "NUL in a tag": Hostile(
        "POST", "/items", 422, "validation_failed", {"json": {"name": "x", "tags": ["\u0000"]}}
    ),
    "escape in the description": Hostile(
        "POST", "/items", 422, "validation_failed", {"json": {"name": "x", "description": "\u001b[31mred"}}
    ),
    "C1 control in the name": Hostile(
        "POST", "/items", 422, "validation_failed", {"json": {"name": "x\u0085"}}
    ),
    "unpaired high surrogate": Hostile(
        "POST", "/items", 422, "validation_failed", as_json('{"name": "\\ud800"}')
    ),
    "unpaired low surrogate in a tag": Hostile(
        "POST", "/items", 422, "validation_failed", as_json('{"name": "x", "tags": ["\\udfff"]}')
    ),
    "201 emoji": Hostile("POST", "/items", 422, "validation_failed", {"json": {"name": "\U0001f600" * 201}}),
    "only blanks": Hostile("POST", "/items", 422, "validation_failed", {"json": {"name": "\u00a0 \u2003"}}),
    # Query parameters
    "limit -1": Hostile("GET", "/items", 422, "validation_failed", {"params": {"limit": "-1"}}),
    "limit 0": Hostile("GET", "/items", 422, "validation_failed", {"params": {"limit": "0"}}),
    "limit 101": Hostile("GET", "/items", 422, "validation_failed", {"params": {"limit": "101"}}),
    "limit 10^40": Hostile("GET", "/items", 422, "validation_failed", {"params": {"limit": "1" + "0" * 40}}),
    "limit not a number": Hostile("GET", "/items", 422, "validation_failed", {"params": {"limit": "ten"}}),
    # Cursors
    "cursor garbage": Hostile("GET", "/items", 400, "invalid_cursor", {"params": {"cursor": "garbage"}}),
    "cursor of another version": Hostile(
        "GET", "/items", 400, "invalid_cursor", {"params": {"cursor": "v2.AA.AA"}}
    ),
    "cursor not ASCII": Hostile(
        "GET", "/items", 400, "invalid_cursor", {"params": {"cursor": "v1.\u00fc.AA"}}
    ),
    "cursor of 9,000 characters": Hostile(
        "GET", "/items", 400, "invalid_cursor", {"params": {"cursor": "v1." + "A" * 9_000 + ".AA"}}
    ),
    # Ids and paths
    "path traversal": Hostile("GET", "/items/..%2F..%2Fetc%2Fpasswd", 404, "route_not_found"),
    "NUL as id": Hostile("GET", "/items/%00", 404, "item_not_found"),
    "another partition's key as id": Hostile("DELETE", "/items/USER%23someone-else", 404, "item_not_found"),
    "sort key as id": Hostile("GET", f"/items/ITEM%23{ITEM}", 404, "item_not_found"),
    "id in lower case": Hostile("DELETE", "/items/{item_lower}", 404, "item_not_found"),
    "id with a trailing space": Hostile(
        "PUT", f"/items/{ITEM}%20", 404, "item_not_found", {"json": {"name": "x"}, "if_match": "*"}
    ),
    "id of 9,000 characters": Hostile("GET", "/items/" + "A" * 9_000, 404, "item_not_found"),
    "nested path under an id": Hostile("GET", f"/items/{ITEM}/owner", 404, "route_not_found"),
    # Headers
    "If-Match with 21 entity tags": Hostile(
        "DELETE",
        f"/items/{ITEM}",
        400,
        "bad_request",
        {"if_match": ", ".join(f'"{n}"' for n in range(1, 22))},
    ),
    "If-Match unquoted": Hostile("DELETE", f"/items/{ITEM}", 400, "bad_request", {"if_match": "1"}),
    "If-Match of 8,000 digits": Hostile(
        "PUT",
        f"/items/{ITEM}",
        412,
        "precondition_failed",
        {"json": {"name": "x"}, "if_match": f'"{"9" * 8_000}"'},
    ),
    "Idempotency-Key of 300 characters": Hostile(
        "POST",
        "/items",
        422,
        "validation_failed",
        {"json": {"name": "x"}, "headers": {"idempotency-key": "k" * 300}},
    ),
    "Idempotency-Key with a space": Hostile(
        "POST",
        "/items",
        422,
        "validation_failed",
        {"json": {"name": "x"}, "headers": {"idempotency-key": "a b"}},
    ),
    "PUT without If-Match": Hostile(
        "PUT", f"/items/{ITEM}", 428, "precondition_required", {"json": {"name": "x"}}
    ),
}


_REFUSED: set[str] = set()


@pytest.fixture(scope="module")
def documented_statuses(hardened_api: RunningApi) -> dict[tuple[str, str], set[int]]:
    """The statuses the OpenAPI document lists, by (method, path template)."""
    document = hardened_api.client.get("/openapi.json").json()
    return {
        (method.upper(), path): {int(status) for status in operation["responses"]}
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def _template(path: str) -> str:
    return "/items/{item_id}" if path.startswith("/items/") else path


def _send(caller: Caller, case: Hostile, item_id: str) -> Any:
    options = dict(case.options)
    headers = dict(options.pop("headers", {}))
    if "if_match" in options:
        headers["if-match"] = options.pop("if_match")
    path = case.path.replace(ITEM, item_id).replace("{item_lower}", item_id.lower())
    return caller.request(case.method, path, headers=headers, **options)


def _assert_refused(response: httpx.Response, status: int, code: str) -> None:
    """``response`` is the service's error envelope with ``status`` and ``code``."""
    assert (response.status_code, response.headers["content-type"]) == (status, "application/json"), (
        response.text[:300]
    )
    envelope = response.json()
    assert set(envelope) == {"error"}
    assert envelope["error"]["code"] == code
    assert envelope["error"]["message"]
    assert envelope["error"]["request_id"] == response.headers["apigw-requestid"]


def _catalogue_size() -> int:
    content_lengths = len(MALFORMED_CONTENT_LENGTHS) * len(CONTENT_LENGTH_ROUTES)
    return len(CATALOGUE) + len(LIVE_CURSOR_TAMPERING) + content_lengths


def _record_refused(figures: Figures, name: str) -> None:
    _REFUSED.add(name)
    figures.record(
        "hostile input catalogue",
        f"{len(_REFUSED)}/{_catalogue_size()} kinds of hostile request: their "
        "documented 4xx envelope, 0 x 5xx, nothing written",
    )


@pytest.mark.parametrize("name", CATALOGUE)
def test_a_hostile_request_gets_its_documented_4xx_envelope_and_writes_nothing(
    new_caller: Callable[[str], Caller],
    documented_statuses: dict[tuple[str, str], set[int]],
    figures: Figures,
    name: str,
) -> None:
    case = CATALOGUE[name]
    caller = new_caller("hostile")
    item = caller.create("untouched", tags=["kept"])

    response = _send(caller, case, item["id"])

    _assert_refused(response, case.status, case.code)
    if case.code != "route_not_found":
        assert case.status in documented_statuses[(case.method, _template(case.path))]
    assert caller.listing() == [item]
    _record_refused(figures, name)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _with_payload_byte_changed(cursor: str) -> str:
    """The cursor naming another valid item id (its last character changed), with the original MAC."""
    version, payload, mac = cursor.split(".")
    after_id = _b64decode(payload).decode()
    other = next(char for char in ULID_ALPHABET if char != after_id[-1])
    return ".".join((version, _b64encode((after_id[:-1] + other).encode()), mac))


def _with_signature_byte_changed(cursor: str) -> str:
    """The cursor with one bit of its MAC's first byte flipped, still canonical base64url."""
    version, payload, mac = cursor.split(".")
    signature = bytearray(_b64decode(mac))
    signature[0] ^= 1
    return ".".join((version, payload, _b64encode(bytes(signature))))


LIVE_CURSOR_TAMPERING: dict[str, Callable[[str], str] | None] = {
    "live cursor with a payload byte changed": _with_payload_byte_changed,
    "live cursor with a signature byte changed": _with_signature_byte_changed,
    "live cursor sent by another user": None,
}
"""Changes to a cursor the service really issued; None: sent unchanged, by a user it was not issued to."""


@pytest.mark.parametrize("name", LIVE_CURSOR_TAMPERING)
def test_a_tampered_live_cursor_is_refused_and_writes_nothing(
    new_caller: Callable[[str], Caller],
    documented_statuses: dict[tuple[str, str], set[int]],
    figures: Figures,
    name: str,
) -> None:
    owner, other_user = new_caller("cursor-owner"), new_caller("cursor-other")
    items = [owner.create(f"page {number}") for number in (1, 2)]
    cursor = owner.request("GET", "/items", params={"limit": 1}).json()["next_cursor"]
    followed = owner.request("GET", "/items", params={"limit": 1, "cursor": cursor})
    assert followed.json()["items"] == [items[1]], "the untampered cursor must lead to the second page"
    change = LIVE_CURSOR_TAMPERING[name]
    caller, sent = (owner, change(cursor)) if change else (other_user, cursor)
    assert (caller, sent) != (owner, cursor)

    response = caller.request("GET", "/items", params={"limit": 1, "cursor": sent})

    _assert_refused(response, 400, "invalid_cursor")
    assert 400 in documented_statuses[("GET", "/items")]
    assert owner.listing() == items
    assert other_user.listing() == []
    _record_refused(figures, name)


UNUSUAL_BUT_VALID = {
    "emoji with skin tone and flags": "\U0001f44d\U0001f3fd \U0001f1eb\U0001f1f7 \U0001f469\u200d\U0001f4bb",
    "right-to-left scripts": "\u05e2\u05d1\u05e8\u05d9\u05ea \u0645\u0631\u062d\u0628\u0627",
    "bidi override and combining marks": "\u202eabc\u202c e\u0301 \u0e01\u0e34",
    "200 astral characters": "\U0001d54f" * 200,
}


@pytest.mark.parametrize("name", UNUSUAL_BUT_VALID)
def test_unusual_but_valid_text_round_trips_exactly(new_caller: Callable[[str], Caller], name: str) -> None:
    caller = new_caller("unicode")
    text = UNUSUAL_BUT_VALID[name]

    created = caller.request("POST", "/items", json={"name": text, "tags": [text[:50]], "description": text})

    assert created.status_code == 201, created.text
    stored = caller.request("GET", f"/items/{created.json()['id']}").json()
    assert (stored["name"], stored["tags"], stored["description"]) == (text, [text[:50]], text)
    assert json.loads(created.content)["name"] == text


MALFORMED_CONTENT_LENGTHS = {
    "Content-Length of 5,000 zeros": "0" * 5_000,
    "Content-Length of 40 nines": "9" * 40,
    "Content-Length of 20 digits": "1" + "0" * 19,
    "Content-Length with a plus sign": "+17",
    "Content-Length negative": "-1",
    "Content-Length with a leading space": " 17",
    "Content-Length with a space inside": "1 7",
    "Content-Length with a trailing newline": "17\n",
    "Content-Length empty": "",
    "Content-Length with an underscore": "1_7",
    "Content-Length in hexadecimal": "0x11",
    "Content-Length of a superscript two": "\u00b2",
    "Content-Length in Arabic-Indic digits": "\u0661\u0667",
    "Content-Length with several values": "17, 17",
    "Content-Length with several different values": "17,18",
}
"""Values of ``Content-Length`` that are not one number of at most 19 ASCII digits (RFC 9110 ``1*DIGIT``)."""
CONTENT_LENGTH_ROUTES = {"GET /health": None, "POST /items": b'{"name": "seventeen"}'}
"""Routes the malformed lengths are sent to, with the body sent along (17 bytes)."""


def _invoke_directly(api: RunningApi, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """``event`` through the deployed handler in the stage's environments; the proxy response decoded."""
    (pool,) = api.emulator.pools.values()
    invocation = pool.invoke(event, trace_root=event["headers"]["x-amzn-trace-id"])
    assert invocation.outcome is Outcome.SUCCESS, invocation.error
    assert invocation.payload is not None
    result = json.loads(invocation.payload)
    return result["statusCode"], result["headers"], json.loads(result["body"])


@pytest.mark.parametrize("route", CONTENT_LENGTH_ROUTES)
@pytest.mark.parametrize("name", MALFORMED_CONTENT_LENGTHS)
def test_a_malformed_content_length_is_a_400_envelope_and_no_unhandled_error(
    hardened_api: RunningApi, new_caller: Callable[[str], Caller], figures: Figures, name: str, route: str
) -> None:
    """Sent as API Gateway payload 2.0 events straight to the function: the emulator's HTTP server (like
    many front ends) refuses some of these headers itself, and API Gateway does not document which it
    forwards, so the function must refuse every one of them on its own."""
    method, path = route.split(" ")
    caller = new_caller("content-length") if path == "/items" else None
    body = CONTENT_LENGTH_ROUTES[route]
    event = http_api_event(
        method,
        path,
        sub=caller.sub if caller else None,
        body=body,
        headers={
            "content-type": "application/json",
            "content-length": MALFORMED_CONTENT_LENGTHS[name],
            **(caller.authorization if caller else {}),
        },
    )
    errors_before = hardened_api.console().count("UnhandledErrors")

    status, headers, envelope = _invoke_directly(hardened_api, event)

    assert (status, headers["content-type"]) == (400, "application/json"), envelope
    assert envelope["error"]["code"] == "bad_request"
    assert "Content-Length" in envelope["error"]["message"]
    assert envelope["error"]["request_id"] == event["requestContext"]["requestId"]
    assert hardened_api.console().count("UnhandledErrors") == errors_before
    if caller is not None:
        assert caller.listing() == []
    _record_refused(figures, f"{name} on {route}")


@pytest.mark.parametrize("declared", ["17", "0000000000000000017"])
def test_a_content_length_of_at_most_19_digits_is_accepted(
    hardened_api: RunningApi, new_caller: Callable[[str], Caller], declared: str
) -> None:
    caller = new_caller("content-length")
    event = http_api_event(
        "POST",
        "/items",
        sub=caller.sub,
        body=CONTENT_LENGTH_ROUTES["POST /items"],
        headers={"content-type": "application/json", "content-length": declared, **caller.authorization},
    )

    status, _, created = _invoke_directly(hardened_api, event)

    assert status == 201, created
    assert caller.listing() == [created]
