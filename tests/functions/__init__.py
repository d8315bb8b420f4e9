"""Tests of the library's deployment hooks (`serverless_fastapi_cdk.hooks`) against this service, and the
catalogue of bad versions they must stop (`bad_versions/`)."""
