"""Tests of `cdk_app/constructs/`: one module per construct (`test_<construct>.py`), its assets and
bytecode, the wheel, reuse around other services (`fixtures/`)."""
