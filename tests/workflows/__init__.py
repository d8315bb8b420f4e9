"""Tests of `.github/workflows/`."""
