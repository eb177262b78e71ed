"""Codec micro-benchmarks (no root, no kernel): python3 -m pytest benchmarks/ --benchmark-only

Not part of the test suite (testpaths is tests/). One round = a batch of 1,000 messages;
divide the times by 1,000 for the cost per message. The pyroute2 ones are skipped when
pyroute2 is not installed.
"""
from __future__ import annotations

import pytest

from . import w3

pytest.importorskip("pytest_benchmark")


@pytest.mark.parametrize("case", sorted(w3.CASES["pynetlink"]))
def test_pynetlink(benchmark, case):
    fn = w3.CASES["pynetlink"][case]()
    benchmark.extra_info["messages"] = w3.N
    result = benchmark(fn)
    if case.startswith("decode"):
        n = result if isinstance(result, int) else result.n_msgs
        assert n == w3.N


@pytest.mark.parametrize("case", sorted(w3.CASES["pyroute2"]))
def test_pyroute2(benchmark, case):
    pytest.importorskip("pyroute2")
    fn = w3.CASES["pyroute2"][case]()
    benchmark.extra_info["messages"] = w3.N
    benchmark.pedantic(fn, rounds=5, iterations=1, warmup_rounds=1)
