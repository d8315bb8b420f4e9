"""The OpenID issuer of the tests: real RS256 tokens the function verifies, and the keys it fetches.

One issuer per test session (the local emulator's,
:class:`serverless_fastapi_cdk.toolkit.local_api.issuer.LocalIssuer`), serving its discovery document and
JWKS on a loopback port. Starting it names it in this process's environment (``JWT_ISSUER``,
``JWT_CLIENT_IDS``), which the handler imported here, and every process started from
here, read as Lambda's environment; so it must start before the handler is imported. A process started
from here signs with the same key (its file is named in the environment) and serves nothing.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from runtime.token_verifier import ENV_CLIENT_IDS, ENV_ISSUER
from serverless_fastapi_cdk.hooks.hook_common import (
    ENV_CLIENT_ID,
    ENV_SCOPE,
    ENV_TOKEN_URL,
    ENV_USER_POOL_ID,
)
from serverless_fastapi_cdk.toolkit.local_api.issuer import OAUTH_TOKEN_PATH, LocalIssuer, load_or_create_key

CLIENT_ID = "4k1example0client0id0abcde"
"""The app client the tokens are issued to (``client_id``), the one the function accepts."""
MACHINE_CLIENT_ID = "machine0client0for0hooks"
"""The deployment check's client-credentials client, accepted too (as the stage accepts it)."""
SCOPES = ("openid",)
ENV_KEY_FILE = "TESTS_TOKEN_ISSUER_KEY_FILE"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def session_issuer() -> LocalIssuer:
    """The session's issuer, started and named in ``os.environ`` as the function's issuer."""
    inherited = os.environ.get(ENV_KEY_FILE)
    if inherited and os.environ.get(ENV_ISSUER):
        issuer = LocalIssuer(load_or_create_key(Path(inherited)), audience=CLIENT_ID, scopes=SCOPES)
        issuer.url = os.environ[ENV_ISSUER]
        return issuer
    key_file = Path(tempfile.mkdtemp(prefix="tests-issuer-")) / "key.pem"
    issuer = LocalIssuer(load_or_create_key(key_file), audience=CLIENT_ID, scopes=SCOPES)
    issuer.start()
    os.environ.update(
        {
            ENV_ISSUER: issuer.url,
            ENV_CLIENT_IDS: f"{CLIENT_ID},{MACHINE_CLIENT_ID}",
            ENV_KEY_FILE: str(key_file),
        }
    )
    return issuer


def issuer_environment() -> dict[str, str]:
    """The function's variables naming the session's issuer and accepted clients."""
    session_issuer()
    return {name: os.environ[name] for name in (ENV_ISSUER, ENV_CLIENT_IDS)}


MACHINE_SECRET = "machine-client-secret-of-the-tests"
MACHINE_SCOPE = "items-api/deployment-check"
MACHINE_USER_POOL_ID = "us-east-1_Example"


def machine_client_environment() -> dict[str, str]:
    """A deployment hook's variables naming the machine client, registered in the session's issuer."""
    issuer = session_issuer()
    issuer.register_client(MACHINE_CLIENT_ID, MACHINE_SECRET, (MACHINE_SCOPE,))
    return {
        ENV_TOKEN_URL: issuer.url + OAUTH_TOKEN_PATH,
        ENV_USER_POOL_ID: MACHINE_USER_POOL_ID,
        ENV_CLIENT_ID: MACHINE_CLIENT_ID,
        ENV_SCOPE: MACHINE_SCOPE,
    }


def describe_machine_client_answer() -> dict[str, Any]:
    """What ``cognito-idp:DescribeUserPoolClient`` answers about the machine client (for a ``Stubber``)."""
    return {"UserPoolClient": {"ClientId": MACHINE_CLIENT_ID, "ClientSecret": MACHINE_SECRET}}
