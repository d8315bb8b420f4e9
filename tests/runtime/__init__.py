"""Tests of `runtime/`: the FastAPI app, handler, repository, tracing, SnapStart hooks, each through the real
Lambda handler."""
