"""docs/events.md: every python block runs as written (with unique namespace names)."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from pynetlink.transport import NetNS

from ..conftest import unique_name

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_doc_block_runs(code: str) -> None:
    names = {old: unique_name("doc") for old in set(re.findall(r'"(ev\d)"', code))}
    for old, new in names.items():
        code = code.replace(f'"{old}"', f'"{new}"')
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, str(DOC), "exec"), {"__name__": "__doc_example__"})
    finally:
        for name in names.values():
            if NetNS.exists(name):
                NetNS.named(name).delete()
    assert not any(NetNS.exists(n) for n in names.values())
