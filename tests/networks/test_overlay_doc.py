"""docs/overlay.md is executed: its python blocks in order, its console blocks through the
command line (as tests/networks/test_tutorial.py does for the tutorial), with namespace names
made unique (``ovl-`` -> ``ovl<pid>-``) and the state directories in a tmp dir."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest

from pynetlink.transport import NetNS

from .test_tutorial import BLOCK, run_console

DOC = Path(__file__).resolve().parents[2] / "docs" / "overlay.md"


@pytest.mark.kernel("netns", "veth", "bridge", "vxlan", "nft_nat")
def test_overlay_doc_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prefix = f"ovl{os.getpid()}-"
    text = DOC.read_text().replace("ovl-doc", "OVLDOC").replace("ovl-", prefix)
    text = text.replace("/tmp/OVLDOC", str(tmp_path))
    scope: dict[str, Any] = {"__name__": "overlay_doc"}
    ran = 0
    try:
        for m in BLOCK.finditer(text):
            lang, error, body = m.group(1), bool(m.group(2)), m.group(3)
            if lang == "python":
                exec(compile(body, str(DOC), "exec"), scope)
                capsys.readouterr()
            elif lang == "console":
                run_console(body, error, capsys)
            ran += 1
        assert ran >= 8
        assert not [n for n in NetNS.list() if n.startswith(prefix)], "the page left namespaces"
    finally:
        for name in NetNS.list():
            if name.startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    NetNS.named(name).delete()
