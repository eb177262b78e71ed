"""docs/routing.md is executed: its python blocks in order (one shared scope), its ``console``
blocks through the command line (each ``$ pynetlink ...`` must exit 0), with unique names for
its namespaces, which are deleted also on failure."""
from __future__ import annotations

import contextlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from pynetlink.cli import main
from pynetlink.transport import NetNS

from ..conftest import unique_name

DOC = Path(__file__).resolve().parents[2] / "docs" / "routing.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


@pytest.mark.root
@pytest.mark.kernel("veth")
def test_routing_doc_runs(capsys: pytest.CaptureFixture[str]) -> None:
    names = {"rd-a": unique_name("rda"), "rd-b": unique_name("rdb")}
    scope: dict[str, Any] = {"__name__": "routing_doc"}
    ran = 0
    try:
        for lang, body in BLOCK.findall(DOC.read_text()):
            for old, new in names.items():
                body = body.replace(f'"{old}"', f'"{new}"').replace(f" {old} ", f" {new} ")
            if lang == "python":
                exec(compile(body, str(DOC), "exec"), scope)
            elif lang == "console":
                for cmd in body.splitlines():
                    assert cmd.startswith("$ pynetlink "), cmd
                    code = main(shlex.split(cmd)[2:])
                    out, err = capsys.readouterr()
                    assert code == 0, f"{cmd}\n{out}\n{err}"
            ran += 1
    finally:
        for name in names.values():
            if NetNS.exists(name):
                with contextlib.suppress(FileNotFoundError):
                    NetNS.named(name).delete()
    assert ran >= 7
    assert not any(NetNS.exists(n) for n in names.values())
