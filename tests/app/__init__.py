"""Tests of `app.py`, `cdk_app/config.py`, stages and stacks: per-environment settings, cdk-nag,
determinism, template snapshots (`__snapshots__/`)."""
