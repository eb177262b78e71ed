"""docs/shaping.md's examples run as written."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "shaping.md"


def block(n: int) -> str:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[n]


def run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    return out.getvalue()


@pytest.mark.root
def test_bandwidth_stats_sysctl_example() -> None:
    out = run(block(0))
    assert "'ingress_rate': 8000000" in out and "tbf 1: root 2000000 16384" in out
    assert "egress redirect" in out and "(32768, 60999)" in out


@pytest.mark.kernel("bridge_vlan_filtering")
def test_bridge_vlan_example() -> None:
    out = run(block(1))
    assert "p0 10 [(10, 10, True, True), (20, 30, False, False)]" in out
