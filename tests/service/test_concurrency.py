"""Racing requests over real HTTP, through the emulated API Gateway and Lambda, against the local DynamoDB.

Each burst is released at once by a barrier. The local DynamoDB is linearizable like the real one
(:mod:`toolkit.moto_server`), so whatever these tests see is the service's doing. Requests that Lambda
throttled (more of them than the 32 environments) never reached the function and are sent again
(:mod:`tests.service.clients`).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.service.clients import Caller
from tests.service.conftest import Figures

PARALLEL_PUTS = 50
PARALLEL_POSTS = 100
USERS = 4
WRITERS_PER_USER = 4
OPERATIONS_PER_WRITER = 12


def in_parallel(
    count: int, request: Callable[[int], tuple[httpx.Response, int]]
) -> list[tuple[httpx.Response, int]]:
    """Run ``request(0..count-1)`` on ``count`` threads released together."""
    start = threading.Barrier(count)

    def released(number: int) -> tuple[httpx.Response, int]:
        start.wait()
        return request(number)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(released, range(count)))


def test_of_50_parallel_puts_with_the_same_if_match_exactly_one_wins(
    new_caller: Callable[[str], Caller], figures: Figures
) -> None:
    owner = new_caller("racer")
    item = owner.create("contested")
    path = f"/items/{item['id']}"

    def put(number: int) -> tuple[httpx.Response, int]:
        body = {"name": f"writer {number}", "tags": [f"writer-{number}"]}
        return owner.request_until_admitted("PUT", path, json=body, headers={"if-match": '"1"'})

    results = in_parallel(PARALLEL_PUTS, put)

    statuses = Counter(response.status_code for response, _ in results)
    assert statuses == {200: 1, 412: PARALLEL_PUTS - 1}
    assert {response.json()["error"]["code"] for response, _ in results if response.status_code == 412} == {
        "precondition_failed"
    }
    (winner,) = (response.json() for response, _ in results if response.status_code == 200)
    stored = owner.request("GET", path)
    assert stored.json() == winner
    assert (winner["version"], stored.headers["etag"]) == (2, '"2"')
    assert winner["tags"] == [winner["name"].replace(" ", "-")]
    figures.record(
        "50 parallel PUTs, same If-Match",
        f"1 x 200, {statuses[412]} x 412, stored = winner, version 1 -> 2 "
        f"({sum(throttled for _, throttled in results)} Lambda throttles resent)",
    )


def test_of_100_parallel_posts_with_the_same_idempotency_key_one_item_exists_and_every_answer_is_it(
    new_caller: Callable[[str], Caller], figures: Figures
) -> None:
    """Each client behaves as the API asks: a 409 ``idempotency_in_progress`` (the first request still
    running) is resent after its ``Retry-After`` until a final answer comes; only final answers count."""
    owner = new_caller("retrier")
    key = str(uuid.uuid4())
    body = {"name": "created once", "price": "9.90", "tags": ["idempotent"]}
    in_progress = Counter[str]()

    def post(number: int) -> tuple[httpx.Response, int]:
        throttles = 0
        while True:
            response, throttled = owner.request_until_admitted(
                "POST", "/items", json=body, headers={"idempotency-key": key}
            )
            throttles += throttled
            if response.status_code != 409:
                return response, throttles
            assert response.json()["error"]["code"] == "idempotency_in_progress"
            in_progress["409"] += 1
            time.sleep(float(response.headers["retry-after"]))

    results = in_parallel(PARALLEL_POSTS, post)

    assert Counter(response.status_code for response, _ in results) == {201: PARALLEL_POSTS}
    answered = [response.json() for response, _ in results]
    assert all(item == answered[0] for item in answered)
    assert {response.headers["location"] for response, _ in results} == {f"/items/{answered[0]['id']}"}
    replayed = Counter(response.headers["idempotent-replayed"] for response, _ in results)
    assert replayed == {"false": 1, "true": PARALLEL_POSTS - 1}
    assert owner.listing() == [answered[0]]
    figures.record(
        "100 parallel POSTs, same Idempotency-Key",
        f"1 item created, 100/100 final answers 201 with it (1 original, 99 replays); "
        f"{in_progress['409']} interim 409 idempotency_in_progress answers, each resent after its "
        f"Retry-After until 201; {sum(throttled for _, throttled in results)} Lambda throttles resent",
    )


def test_parallel_creates_and_deletes_leave_each_listing_exactly_as_the_answers_say(
    new_caller: Callable[[str], Caller], figures: Figures
) -> None:
    users = [new_caller(f"user{number}") for number in range(USERS)]
    created: dict[str, set[str]] = {user.sub: set() for user in users}
    deleted: dict[str, set[str]] = {user.sub: set() for user in users}
    lock = threading.Lock()
    start = threading.Barrier(USERS * WRITERS_PER_USER)
    unexpected: list[str] = []

    def writer(user: Caller, seed: int) -> None:
        chooser = random.Random(seed)
        mine: list[str] = []
        start.wait()
        for step in range(OPERATIONS_PER_WRITER):
            if mine and chooser.random() < 0.4:
                victim = mine.pop(chooser.randrange(len(mine)))
                response, _ = user.request_until_admitted("DELETE", f"/items/{victim}")
                if response.status_code != 204:
                    unexpected.append(f"DELETE {response.status_code} {response.text}")
                    continue
                with lock:
                    deleted[user.sub].add(victim)
            else:
                response, _ = user.request_until_admitted("POST", "/items", json={"name": f"{seed}/{step}"})
                if response.status_code != 201:
                    unexpected.append(f"POST {response.status_code} {response.text}")
                    continue
                mine.append(response.json()["id"])
                with lock:
                    created[user.sub].add(response.json()["id"])

    with ThreadPoolExecutor(max_workers=USERS * WRITERS_PER_USER) as pool:
        futures = [
            pool.submit(writer, user, 1000 * index + thread)
            for index, user in enumerate(users)
            for thread in range(WRITERS_PER_USER)
        ]
        for future in futures:
            future.result()

    assert unexpected == []
    for user in users:
        listed = [item["id"] for item in user.listing(limit=7)]
        assert len(listed) == len(set(listed)), "an item is listed twice"
        assert listed == sorted(listed), "the listing is not in creation order"
        assert set(listed) == created[user.sub] - deleted[user.sub]
    operations = sum(len(ids) for ids in created.values()) + sum(len(ids) for ids in deleted.values())
    figures.record(
        "parallel creates/deletes, 4 users x 4 writers",
        f"{operations} writes; every listing = created - deleted (0 lost, 0 phantom)",
    )
