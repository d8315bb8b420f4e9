"""``python -m benchmarks.token_verification``: what verifying a caller's token costs, per implementation.

The function verifies every RS256 access token itself (:mod:`runtime.token_verifier`). Three ways to do
it were measured, each in fresh interpreters the way a cold start meets it: the import of what the
verification needs (beyond what the runtime imports anyway: json, hashlib, typing, dataclasses, urllib),
turning the issuer's JWK into a key, and the first verification; then the warm cost of one more verification
(median over many, the key already parsed). The candidates:

- ``pure``: :mod:`runtime.token_verifier` (``pow(signature, e, n)`` and a byte comparison with the
  EMSA-PKCS1-v1_5 encoding of the digest), no dependency;
- ``pyjwt``: PyJWT with ``cryptography`` (OpenSSL);
- ``joserfc``: joserfc with ``cryptography``.

A candidate whose packages the interpreter lacks is reported as missing (``--python`` names another
interpreter, e.g. a virtual environment with joserfc installed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from serverless_fastapi_cdk.toolkit.local_api.issuer import LocalIssuer
from tests.support.token_issuer import CLIENT_ID, new_key

ROOT = Path(__file__).resolve().parents[1]
PRELOADED = "import json, hashlib, base64, hmac, re, typing, dataclasses, urllib.request, threading"
"""What the runtime has imported before the first request anyway (not charged to any candidate)."""

CANDIDATES = {
    "pure": """
from runtime.token_verifier import RsaPublicKey, public_key_of, rs256_signature_is_valid, _b64decode
key = public_key_of(JWK)
def verify(token):
    head, body, sig = token.split(".")
    assert rs256_signature_is_valid(key, f"{head}.{body}".encode(), _b64decode(sig))
    return json.loads(_b64decode(body))
""",
    "pyjwt": """
import jwt
key = jwt.PyJWK(JWK).key
def verify(token):
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
""",
    "joserfc": """
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey
key = RSAKey.import_key(JWK)
def verify(token):
    return jose_jwt.decode(token, key, algorithms=["RS256"]).claims
""",
}

PROBE = textwrap.dedent(
    """
    import json, sys, time
    {preloaded}
    JWK, TOKEN, WARM = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    start = time.perf_counter()
    try:
        exec({setup!r})
        verify(TOKEN)
    except ImportError as missing:
        print(json.dumps({{"missing": str(missing)}}))
        raise SystemExit(0)
    cold = time.perf_counter() - start
    samples = []
    for _ in range(WARM):
        started = time.perf_counter()
        verify(TOKEN)
        samples.append(time.perf_counter() - started)
    samples.sort()
    print(json.dumps({{"cold_ms": cold * 1000, "warm_ms": samples[len(samples) // 2] * 1000}}))
    """
)


def measure(python: str, name: str, jwk: dict[str, str], token: str, *, warm: int) -> dict[str, float | str]:
    probe = PROBE.format(preloaded=PRELOADED, setup=textwrap.dedent(CANDIDATES[name]))
    completed = subprocess.run(  # noqa: S603 - a fixed probe in a chosen interpreter
        [python, "-c", probe, json.dumps(jwk), token, str(warm)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, float | str] = json.loads(completed.stdout.splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.token_verification", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per candidate (default 15)")
    parser.add_argument("--warm", type=int, default=2000, help="warm verifications per run (default 2000)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to measure in")
    options = parser.parse_args(argv)
    issuer = LocalIssuer(new_key(), audience=CLIENT_ID)
    token = issuer.mint("bench-user")
    figures: dict[str, list[dict[str, float | str]]] = {name: [] for name in CANDIDATES}
    for _ in range(options.runs):
        for name in CANDIDATES:
            figures[name].append(measure(options.python, name, issuer.jwk, token, warm=options.warm))
    print("| implementation | cold: import, key, first verify (median ms) | warm verify (median ms) |")
    print("| --- | ---: | ---: |")
    for name, runs in figures.items():
        if "missing" in runs[0]:
            print(f"| {name} | missing: {runs[0]['missing']} | |")
            continue
        cold = statistics.median(float(run["cold_ms"]) for run in runs)
        warm = statistics.median(float(run["warm_ms"]) for run in runs)
        print(f"| {name} | {cold:.2f} | {warm:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
