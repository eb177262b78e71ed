"""``pynetlink cni install DIR``: executables a runtime can exec by name."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pynetlink.cni.skel import PLUGINS, REFERENCE_NAMES, SUPPORTED


@pytest.mark.parametrize("names", ["pynetlink", "reference"])
def test_install_writes_runnable_plugins(tmp_path: Path, names: str) -> None:
    out = subprocess.run([sys.executable, "-m", "pynetlink", "cni", "install", str(tmp_path), "--names", names],
                         capture_output=True, text=True, check=True).stdout.split()
    want = [REFERENCE_NAMES[t] if names == "reference" else t for t in PLUGINS]
    assert [Path(p).name for p in out] == want
    for name in want:
        exe = tmp_path / name
        assert os.access(exe, os.X_OK)
        first = exe.read_text().splitlines()[0]
        assert first == f"#!{Path(sys.executable).absolute()} -IS"          # absolute, no /usr/bin/env
        # exec'd by path with an empty environment, as a runtime would, from another cwd
        r = subprocess.run([str(exe)], input=json.dumps({"cniVersion": "0.4.0"}), capture_output=True, text=True,
                           env={"CNI_COMMAND": "VERSION"}, cwd="/")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == {"cniVersion": "0.4.0", "supportedVersions": list(SUPPORTED)}


def test_install_refuses_bad_input(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pynetlink", "cni", "install", str(tmp_path), "--python",
                        "/opt/my python/bin/python"], capture_output=True, text=True)
    assert r.returncode != 0 and "whitespace" in r.stderr and list(tmp_path.iterdir()) == []
