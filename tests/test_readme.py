"""The README's tour runs as written (with unique namespace names)."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from pynetlink.transport import NetNS

from .conftest import unique_name

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.root
def test_readme_tour_runs() -> None:
    code = re.search(r"## A tour.*?```python\n(.*?)```", README.read_text(), re.S).group(1)  # type: ignore[union-attr]
    names = {"host1": unique_name("host"), "ctr1": unique_name("ctr")}
    for old, new in names.items():
        code = code.replace(f'"{old}"', f'"{new}"')
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        for name in names.values():
            if NetNS.exists(name):
                NetNS.named(name).delete()
    assert "('eth0', 'veth', True)" in out.getvalue() and "('lo', None, True)" in out.getvalue()
    assert "'via': '172.17.0.1'" in out.getvalue()
    assert not any(NetNS.exists(n) for n in names.values())


@pytest.mark.root
def test_readme_command_line_runs(tmp_path: Path) -> None:
    """The README's command-line block, command by command (unique names, own state dir)."""
    import shlex
    import subprocess
    import sys
    block = re.search(r"## Networks and the command line.*?```sh\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    names = {"h1": unique_name("h"), "c1": unique_name("c")}
    state = ["--state-dir", str(tmp_path / "state"), "--ipam-dir", str(tmp_path / "ipam")]
    try:
        for line in block.group(1).splitlines():
            line = line.split("#")[0].strip()
            for part in filter(None, (p.strip() for p in line.split("&&"))):
                argv = [names.get(a, a) for a in shlex.split(part)]
                assert argv[0] == "pynetlink"
                cmd = [sys.executable, "-m", "pynetlink", *state, *argv[1:]]
                out = subprocess.run(cmd, capture_output=True, text=True)
                assert out.returncode == 0, (part, out.stderr)
    finally:
        for name in names.values():
            if NetNS.exists(name):
                NetNS.named(name).delete()
    assert not any(NetNS.exists(n) for n in names.values())
