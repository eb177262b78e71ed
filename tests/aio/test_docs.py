"""docs/async.md's examples run as written (unique namespace names); each prints what the
text after it says."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from pynetlink.transport import NetNS

from ..conftest import unique_name

DOC = Path(__file__).resolve().parents[2] / "docs" / "async.md"
BLOCK = re.compile(r"```python\n(.*?)```\n\nprints (.*?`)\.", re.S)


def examples() -> list[tuple[str, str]]:
    found = BLOCK.findall(DOC.read_text())
    assert len(found) == 5
    return found


@pytest.mark.root
@pytest.mark.parametrize("index", range(5))
def test_example_runs(index: int) -> None:
    code, prints = examples()[index]
    names = {n: unique_name(n) for n in set(re.findall(r'"(demo\d+)"', code))}
    for old, new in names.items():
        code = code.replace(f'"{old}"', f'"{new}"')
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/async.md", "exec"), {"__name__": "docs"})
    finally:
        for name in names.values():
            if NetNS.exists(name):
                NetNS.named(name).delete()
    printed = out.getvalue()
    for expected in re.findall(r"`([^`]*)`", prints):
        expected = expected.split("…")[0]
        assert expected in printed, (expected, printed)
