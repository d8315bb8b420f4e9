"""The sticky pull-request comment, against a fake of GitHub's REST API on a loopback port.

GitHub itself cannot be reached from the tests; the fake keeps comments in memory and answers the four
calls the tool makes (list, create, update comments; read the pull request) in GitHub's documented shapes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tools.ci.pr_comment import BOT_LOGIN, MARKER, MAX_BODY, main

REPOSITORY = "acme/orders"
TOKEN = "ghs_test"


@dataclass
class FakeGitHub:
    comments: list[dict[str, Any]] = field(default_factory=list)
    head_sha: str = "abc123"
    calls: list[tuple[str, str]] = field(default_factory=list)

    def answer(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        url = urlparse(path)
        self.calls.append((method, url.path))
        prefix = f"/repos/{REPOSITORY}"
        if method == "GET" and url.path == f"{prefix}/pulls/7":
            return 200, {"number": 7, "head": {"sha": self.head_sha}}
        if method == "GET" and url.path == f"{prefix}/issues/7/comments":
            query = parse_qs(url.query)
            size, page = int(query["per_page"][0]), int(query["page"][0])
            return 200, self.comments[(page - 1) * size : page * size]
        if method == "POST" and url.path == f"{prefix}/issues/7/comments" and body:
            comment = {"id": 1000 + len(self.comments), "body": body["body"], "user": {"login": BOT_LOGIN}}
            self.comments.append(comment)
            return 201, comment
        if method == "PATCH" and url.path.startswith(f"{prefix}/issues/comments/") and body:
            comment_id = int(url.path.rsplit("/", 1)[1])
            (comment,) = [comment for comment in self.comments if comment["id"] == comment_id]
            comment["body"] = body["body"]
            return 200, comment
        return 404, {"message": "Not Found"}


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self, method: str) -> None:
            if self.headers["Authorization"] != f"Bearer {TOKEN}":
                status, payload = 401, {"message": "Bad credentials"}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, payload = fake.answer(method, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.handle_one("GET")

        def do_POST(self) -> None:
            self.handle_one("POST")

        def do_PATCH(self) -> None:
            self.handle_one("PATCH")

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    yield fake
    server.shutdown()
    server.server_close()


def report(tmp_path: Path, text: str) -> str:
    path = tmp_path / "diff.md"
    path.write_text(text)
    return str(path)


def test_the_first_run_creates_the_comment_and_later_runs_update_it(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.comments.append({"id": 1, "body": "LGTM"})

    assert main(["--report", report(tmp_path, "# first"), "--pr", "7"]) == 0
    assert main(["--report", report(tmp_path, "# second"), "--pr", "7"]) == 0

    assert [comment["body"] for comment in github.comments] == ["LGTM", f"{MARKER}\n# second"]
    assert ("PATCH", f"/repos/{REPOSITORY}/issues/comments/1001") in github.calls


def test_the_sticky_comment_is_found_beyond_the_first_page(github: FakeGitHub, tmp_path: Path) -> None:
    github.comments.extend({"id": index, "body": f"comment {index}"} for index in range(150))
    github.comments.append({"id": 999, "body": f"{MARKER}\nold", "user": {"login": BOT_LOGIN}})

    assert main(["--report", report(tmp_path, "new"), "--pr", "7"]) == 0

    assert github.comments[-1] == {"id": 999, "body": f"{MARKER}\nnew", "user": {"login": BOT_LOGIN}}
    assert len(github.comments) == 151


def test_a_report_about_an_older_head_is_not_posted(
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github.head_sha = "newer"

    assert main(["--report", report(tmp_path, "x"), "--pr", "7", "--head-sha", "abc123"]) == 1

    assert github.comments == []
    assert "moved on to newer" in capsys.readouterr().err


def test_an_overlong_report_is_cut_to_githubs_limit(github: FakeGitHub, tmp_path: Path) -> None:
    assert main(["--report", report(tmp_path, "x" * 70_000), "--pr", "7", "--head-sha", "abc123"]) == 0

    (comment,) = github.comments
    assert len(comment["body"]) == MAX_BODY
    assert comment["body"].endswith("`stack-diff` artifact)")


@pytest.mark.parametrize("number", ["7; rm -rf /", "", "../7", "\u0667", "\uff17", "7\u0660"])
def test_a_pull_request_number_from_an_artifact_must_be_digits(
    github: FakeGitHub, tmp_path: Path, number: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pr_file = tmp_path / "pr-number"
    pr_file.write_text(number)

    assert main(["--report", report(tmp_path, "x"), "--pr-file", str(pr_file)]) == 1

    assert "is not a pull request number" in capsys.readouterr().err
    assert github.calls == []


def test_a_marked_comment_by_anyone_but_the_bot_is_never_edited(github: FakeGitHub, tmp_path: Path) -> None:
    planted = {"id": 1, "body": f"{MARKER}\nplanted by a contributor", "user": {"login": "mallory"}}
    github.comments.append(planted)

    assert main(["--report", report(tmp_path, "the real report"), "--pr", "7"]) == 0

    assert planted["body"] == f"{MARKER}\nplanted by a contributor"
    (own,) = [comment for comment in github.comments if comment["user"]["login"] == BOT_LOGIN]
    assert own["body"] == f"{MARKER}\nthe real report"
    assert ("PATCH", "/repos/acme/orders/issues/comments/1") not in github.calls


def test_without_a_token_it_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)

    assert main(["--report", report(tmp_path, "x"), "--pr", "7"]) == 1

    assert "set GITHUB_TOKEN" in capsys.readouterr().err


def test_a_refused_token_is_reported_with_githubs_answer(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")

    assert main(["--report", report(tmp_path, "x"), "--pr", "7"]) == 1

    assert "GitHub answered 401" in capsys.readouterr().err
