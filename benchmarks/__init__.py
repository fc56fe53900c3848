"""Benchmarks: `make bench` (python -m benchmarks). Speed and cost are measured here, never in tests."""
