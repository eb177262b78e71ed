"""docs/tutorial.md is executed: its python blocks in order (one shared namespace of names),
its ``console`` blocks through the command line (each ``$ pynetlink ...`` must exit 0; in a
``console error`` block it must exit 2 and print the lines shown). The host tier runs it up
to S3; the VM tier runs all of it (S3-S5 need ipvlan and 802.1q)."""
from __future__ import annotations

import contextlib
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from pynetlink.cli import main
from pynetlink.transport import NetNS

DOC = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(\w+)( error)?\n(.*?)^```", re.S | re.M)


def blocks(until: str | None) -> list[tuple[str, bool, str]]:
    text = DOC.read_text()
    if until is not None:
        text = text[:text.index(until)]
    return [(m.group(1), bool(m.group(2)), m.group(3)) for m in BLOCK.finditer(text)]


def run_console(body: str, error: bool, capsys: pytest.CaptureFixture[str]) -> None:
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        cmd = lines[i]
        assert cmd.startswith("$ pynetlink "), cmd
        expected = []
        i += 1
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        code = main(shlex.split(cmd)[2:])
        out, err = capsys.readouterr()
        assert code == (2 if error else 0), f"{cmd}\n{out}\n{err}"
        for line in expected:
            assert line in err.splitlines(), f"{cmd}: expected {line!r}, got {err!r}"


def cleanup() -> None:
    for name in NetNS.list():
        if name.startswith("tut-"):
            with contextlib.suppress(FileNotFoundError):
                NetNS.named(name).delete()
    for d in [*Path("/run/pynetlink/netns").glob("tut-*"), Path("/run/pynetlink/tut-lan")]:
        shutil.rmtree(d, ignore_errors=True)


def run_tutorial(until: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    if any(n.startswith("tut-") for n in NetNS.list()):
        pytest.skip("namespaces named tut-* exist already (another tutorial run?)")
    scope: dict[str, Any] = {"__name__": "tutorial"}
    try:
        for lang, error, body in blocks(until):
            if lang == "python":
                exec(compile(body, str(DOC), "exec"), scope)
                capsys.readouterr()
            elif lang == "console":
                run_console(body, error, capsys)
        if until is None:
            assert not [n for n in NetNS.list() if n.startswith("tut-")], "the tutorial left namespaces"
    finally:
        cleanup()


@pytest.mark.kernel("netns", "veth", "bridge", "macvlan", "nft_nat")
def test_tutorial_host_part(capsys: pytest.CaptureFixture[str]) -> None:
    run_tutorial("## S3", capsys)


@pytest.mark.kernel("netns", "veth", "bridge", "macvlan", "nft_nat", "ipvlan", "vlan")
def test_tutorial_all(capsys: pytest.CaptureFixture[str]) -> None:
    run_tutorial(None, capsys)
