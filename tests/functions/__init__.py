"""Tests of `cdk_app/functions/`: the deployment hook functions, and the catalogue of bad versions they
must stop (`bad_versions/`)."""
