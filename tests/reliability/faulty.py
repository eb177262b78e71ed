"""Run Python code in a child process with a fault injected (pynetlink.transport.faults)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, fault: str | None = None, log: Path | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter; ``fault`` as PYNETLINK_FAULT, ``log`` as ..._LOG."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYNETLINK_FAULT", None)
    env.pop("PYNETLINK_FAULT_LOG", None)
    if fault:
        env["PYNETLINK_FAULT"] = fault
    if log is not None:
        env["PYNETLINK_FAULT_LOG"] = str(log)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def steps(code: str, log: Path) -> list[str]:
    """The fault points ``code`` passes (it must succeed)."""
    log.unlink(missing_ok=True)
    proc = run(code, log=log)
    assert proc.returncode == 0, proc.stderr
    return log.read_text().splitlines() if log.exists() else []
