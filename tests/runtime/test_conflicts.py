"""Racing writers: of two updates made against the same version, exactly one succeeds.

The service never reads before it writes: If-Match becomes the condition of the one DynamoDB write,
so the race is decided inside DynamoDB. These tests reproduce a race deterministically: the second
writer's request is sent after the first has already written, with the version both started from.
"""

from __future__ import annotations

import pytest

from runtime.contract import METRIC_CONFLICTS
from tests.support.apigw import LambdaApi
from tests.support.observability import emf_blobs


@pytest.fixture
def item_path(alice: LambdaApi) -> str:
    created = alice.post("/items", body={"name": "shared"})
    assert created.status == 201
    return created.headers["location"]


def test_two_updates_from_the_same_version_cannot_both_succeed(alice: LambdaApi, item_path: str) -> None:
    version = alice.get(item_path).headers["etag"]

    first = alice.put(item_path, body={"name": "first writer"}, headers={"if-match": version})
    second = alice.put(item_path, body={"name": "second writer"}, headers={"if-match": version})

    assert (first.status, second.status) == (200, 412)
    assert second.error_code == "precondition_failed"
    current = alice.get(item_path)
    assert (current.json()["name"], current.headers["etag"]) == ("first writer", '"2"')


def test_the_loser_can_retry_from_the_new_version(alice: LambdaApi, item_path: str) -> None:
    alice.put(item_path, body={"name": "first writer"}, headers={"if-match": '"1"'})
    latest = alice.get(item_path).headers["etag"]

    retry = alice.put(item_path, body={"name": "second writer"}, headers={"if-match": latest})

    assert retry.status == 200
    assert retry.json()["version"] == 3


def test_an_update_racing_a_delete_fails(alice: LambdaApi, item_path: str) -> None:
    assert alice.delete(item_path, headers={"if-match": '"1"'}).status == 204

    late_update = alice.put(item_path, body={"name": "too late"}, headers={"if-match": '"1"'})

    assert late_update.status == 404
    assert alice.get(item_path).status == 404


def test_a_delete_racing_an_update_fails(alice: LambdaApi, item_path: str) -> None:
    assert alice.put(item_path, body={"name": "updated"}, headers={"if-match": '"1"'}).status == 200

    stale_delete = alice.delete(item_path, headers={"if-match": '"1"'})

    assert stale_delete.status == 412
    assert alice.get(item_path).json()["name"] == "updated"


def test_each_lost_race_is_counted_as_a_conflict(
    alice: LambdaApi, item_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    alice.put(item_path, body={"name": "winner"}, headers={"if-match": '"1"'})
    capsys.readouterr()

    alice.put(item_path, body={"name": "loser"}, headers={"if-match": '"1"'})
    alice.delete(item_path, headers={"if-match": '"1"'})

    blobs = emf_blobs(capsys.readouterr().out)
    assert [blob.get(METRIC_CONFLICTS) for blob in blobs] == [[1.0], [1.0]]
