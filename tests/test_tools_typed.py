"""The tools written in Python are typed like the library: tools/vmtier (the VM tier's runner)
is mypy --strict clean."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_vmtier_is_strict_clean() -> None:
    res = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null",
                          "tools/vmtier"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert "Success: no issues found" in res.stdout


def test_perf_doc_is_strict_clean() -> None:
    res = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null",
                          "tools/perf-doc"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
