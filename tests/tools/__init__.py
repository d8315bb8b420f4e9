"""Tests of each `tools/<tool>` in `tests/tools/<tool>/`: the local API emulator (`local_api/`),
`stack_diff/`, `deploy/`, `scan/`, `docs/`, `diagram/`, `ci/`, `moto_server/`; the single-file tools
beside them."""
