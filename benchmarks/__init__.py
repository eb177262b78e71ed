"""Benchmarks: codec micro-benchmarks (pytest-benchmark) and the side-by-side runner (run.py)."""
