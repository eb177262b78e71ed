"""Users' type checkers see pynetlink: mypy, run from outside the checkout on the README's and
the tutorial's examples, finds the installed package (py.typed, the editable install's plain
.pth) and accepts the examples; and the library itself is mypy --strict clean."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = {"README.md": ROOT / "README.md", "tutorial.md": ROOT / "docs" / "tutorial.md"}
DOCS["routing.md"] = ROOT / "docs" / "routing.md"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.S)


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir=/dev/null", *args],
                          cwd=cwd, capture_output=True, text=True)


def test_examples_type_check_against_the_installed_package(tmp_path: Path) -> None:
    files = []
    for doc, path in DOCS.items():          # a document's blocks are one session, as its test runs them
        blocks = python_blocks(path)
        assert blocks, f"no python examples in {doc}"
        f = tmp_path / f"{doc.split('.')[0]}_examples.py"
        f.write_text("\n".join(blocks))
        files.append(f.name)
    probe = tmp_path / "probe.py"
    probe.write_text("import pynetlink\nreveal_type(pynetlink.Handle.batch)\n"
                     "reveal_type(pynetlink.Networks.connect)\n")
    res = mypy(*files, "probe.py", cwd=tmp_path)          # outside the checkout: only site-packages
    out = res.stdout + res.stderr
    assert "error" not in out, out
    assert 'Revealed type is "def (self: pynetlink.api.handle.Handle' in out, out
    assert "pynetlink.networks" in out.split("reveal_type")[-1] or "Endpoint" in out, out


@pytest.mark.parametrize("target", ["pynetlink"])
def test_library_is_strict_clean(target: str) -> None:
    res = mypy("-p", target, cwd=ROOT)                    # strict, per pyproject.toml
    assert res.returncode == 0, res.stdout[-4000:]
