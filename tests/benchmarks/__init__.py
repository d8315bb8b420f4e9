"""Tests of `benchmarks/`: the probe, the report and the developer-loop figures."""
