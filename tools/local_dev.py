"""Serve the bare FastAPI app on 127.0.0.1 against an embedded AWS emulator.

The interim ``make run``, before ``tools/local_api`` put an API Gateway emulator in front; still the
quickest way to run the app alone (``.venv/bin/python -m tools.local_dev``).

Starts moto's server on a free loopback port, creates the table and the cursor secret in it from
``runtime.contract`` (as the tests do), and serves the FastAPI app with uvicorn on
``http://127.0.0.1:$PORT`` (8000 by default). No API Gateway stands in front, so no JWT authorizer
either: ``/health`` and ``/docs`` answer, every ``/items`` route answers 401 by design.
"""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from runtime import contract
from tests.support.aws_emulator import (
    create_cursor_secret,
    create_items_table,
    running_emulator,
    use_fake_aws_credentials,
)

TABLE_NAME = "items-local"
CURSOR_SECRET_NAME = "items-local/cursor-signing-key"  # noqa: S105 (a name, not a secret)
DEFAULT_PORT = 8000


def port_from_environment() -> int:
    text = os.environ.get("PORT", str(DEFAULT_PORT))
    if not text.isdigit() or not 0 < int(text) < 65536:
        sys.exit(f"PORT must be a TCP port number (1-65535), not {text!r}")
    return int(text)


def main() -> None:
    port = port_from_environment()
    use_fake_aws_credentials()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    with running_emulator() as emulator:
        create_items_table(emulator.dynamodb(), TABLE_NAME)
        create_cursor_secret(emulator.secretsmanager(), CURSOR_SECRET_NAME)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": emulator.endpoint_url,
                contract.ENV_TABLE_NAME: TABLE_NAME,
                contract.ENV_CURSOR_SECRET_NAME: CURSOR_SECRET_NAME,
                contract.ENV_ENABLE_DOCS: "true",
                contract.ENV_APP_VERSION: "local",
                "POWERTOOLS_SERVICE_NAME": "items",
                "POWERTOOLS_METRICS_NAMESPACE": "ItemsService/local",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        from runtime.main import create_app

        url = f"http://127.0.0.1:{port}"
        print(f"Serving the items service on {url} (docs: {url}/docs, health: {url}{contract.HEALTH_PATH})")
        print(f"AWS emulator (moto) on {emulator.endpoint_url}")
        print("No JWT authorizer runs here, so every /items route answers 401.")
        uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="info")


if __name__ == "__main__":
    main()
