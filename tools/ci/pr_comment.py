"""Post a stack-diff report as a pull request's one sticky comment: updated in place, never duplicated.

``python3 -m tools.ci.pr_comment --report cdk.out/diff.md --pr-file cdk.out/pr-number --head-sha SHA``
(``make pr-comment``). Standard library only, so the commenting workflow needs no setup. It runs in the
base repository's context (``workflow_run``) with a token that may write comments, on a report that a
pull request's run, possibly from a fork, produced: the report is only ever posted as text, the pull
request number must be ASCII digits, the pull request's head must still be the commit the report is about,
and the only comment ever edited is one the workflow's own bot wrote (anyone may post a comment that starts
with the marker).

Environment: ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (``owner/name``), ``GITHUB_API_URL`` (GitHub's).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MARKER = "<!-- stack-diff-report -->"
"""First line of the sticky comment: how the next run finds it again."""
MAX_BODY = 65_000
"""GitHub refuses comment bodies over 65,536 characters."""
PER_PAGE = 100
BOT_LOGIN = "github-actions[bot]"
"""Author of every comment the workflow's ``github.token`` writes."""
_PR_NUMBER = re.compile(r"[0-9]{1,10}")


class CommentError(RuntimeError):
    """The comment could not be posted; the message says why."""


class GitHub:
    """The few REST calls the comment needs, with a token, against ``api_url``."""

    def __init__(self, api_url: str, repository: str, token: str) -> None:
        self.base = f"{api_url.rstrip('/')}/repos/{repository}"
        self.token = token

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 - GitHub's API URL (https, or a loopback fake)
            self.base + path,
            method=method,
            data=None if payload is None else json.dumps(payload).encode(),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise CommentError(
                f"GitHub answered {error.code} to {method} {path}: {error.read().decode(errors='replace')}"
            ) from None


def comment_body(report: str) -> str:
    body = f"{MARKER}\n{report}"
    if len(body) <= MAX_BODY:
        return body
    cut = "\n\n… (report cut to GitHub's comment limit; the whole report is the run's `stack-diff` artifact)"
    return body[: MAX_BODY - len(cut)] + cut


def find_sticky(github: GitHub, pr: int) -> int | None:
    """The id of the pull request's comment by :data:`BOT_LOGIN` that starts with :data:`MARKER`, if any."""
    page = 1
    while True:
        comments = github.call("GET", f"/issues/{pr}/comments?per_page={PER_PAGE}&page={page}")
        for comment in comments:
            author = (comment.get("user") or {}).get("login")
            if author == BOT_LOGIN and str(comment.get("body", "")).startswith(MARKER):
                return int(comment["id"])
        if len(comments) < PER_PAGE:
            return None
        page += 1


def post(github: GitHub, pr: int, report: str, head_sha: str | None) -> str:
    """Create or update the sticky comment; returns ``created`` or ``updated``."""
    if head_sha is not None:
        current = github.call("GET", f"/pulls/{pr}")["head"]["sha"]
        if current != head_sha:
            raise CommentError(
                f"pull request #{pr} moved on to {current}; the report is about {head_sha}: not posted "
                "(the newer run posts its own)"
            )
    body = comment_body(report)
    existing = find_sticky(github, pr)
    if existing is None:
        github.call("POST", f"/issues/{pr}/comments", {"body": body})
        return "created"
    github.call("PATCH", f"/issues/comments/{existing}", {"body": body})
    return "updated"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m tools.ci.pr_comment", description=__doc__)
    parser.add_argument("--report", type=Path, default=Path("cdk.out/diff.md"))
    number = parser.add_mutually_exclusive_group(required=True)
    number.add_argument("--pr", help="the pull request number")
    number.add_argument("--pr-file", type=Path, help="a file holding the pull request number")
    parser.add_argument("--head-sha", help="post only if the pull request's head is still this commit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raw = args.pr if args.pr is not None else args.pr_file.read_text()
    try:
        if not _PR_NUMBER.fullmatch(raw.strip()):
            raise CommentError(f"{raw.strip()!r} is not a pull request number")
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not os.environ.get(name)]
        if missing:
            raise CommentError(f"set {' and '.join(missing)} (a workflow step gets them from github.token)")
        github = GitHub(
            os.environ.get("GITHUB_API_URL", "https://api.github.com"),
            os.environ["GITHUB_REPOSITORY"],
            os.environ["GITHUB_TOKEN"],
        )
        outcome = post(github, int(raw), args.report.read_text(), args.head_sha)
    except (CommentError, OSError) as error:
        print(f"pr comment: {error}", file=sys.stderr)
        return 1
    print(f"pr comment: {outcome} the stack-diff comment on #{int(raw)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
