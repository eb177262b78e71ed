"""Users' type checkers see pynetlink: mypy and pyright, run from outside the checkout on the
README's and the tutorial's examples, find the installed package (py.typed, the editable
install's plain .pth) and accept the examples; the verbs of a Handle, a Batch and an
AsyncHandle have precise types (no Any); the library is mypy --strict and pyright clean."""
from __future__ import annotations

import re
import shutil
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


# what a user's checker must infer for the verbs, per mode (checked by mypy and pyright)
VERBS = """\
from typing import Awaitable
from typing_extensions import assert_type
from pynetlink import AddressView, Bridge, Handle, LinkView, NeighbourView, Outcome, RouteView
from pynetlink.aio import AsyncHandle


def now(h: Handle) -> None:
    assert_type(h.links.get("eth0"), LinkView)
    assert_type(h.links.create(Bridge("br0"), up=True), LinkView | None)
    assert_type(h.links.set("eth0", mtu=1400, up=True), None)
    assert_type(h.links.dump(kind="veth"), list[LinkView])
    assert_type(h.addresses.add("eth0", "172.17.0.2/24", broadcast=True), None)
    assert_type(h.addresses.dump("eth0", family=4), list[AddressView])
    assert_type(h.routes.add("default", via="172.17.0.1", metric=10), None)
    assert_type(h.routes.get("198.51.100.1"), RouteView)
    assert_type(h.routes.dump(table="main"), list[RouteView])
    assert_type(h.neighbours.dump("eth0"), list[NeighbourView])
    assert_type(h.fdb.add("eth0", "02:00:00:00:00:01", vlan=5), None)


def later(h: Handle) -> None:
    with h.batch() as b:
        assert_type(b.links.create(Bridge("br0")), Outcome[LinkView | None])
        assert_type(b.addresses.replace("br0", "172.17.0.1/16"), Outcome[None])
        assert_type(b.routes.dump(), Outcome[list[RouteView]])


def aio(a: AsyncHandle) -> None:
    assert_type(a.links.get("eth0"), Awaitable[LinkView])
    assert_type(a.routes.append("default", dev="eth0"), Awaitable[None])
"""
BAD = """\
from pynetlink import Handle

def misuse(h: Handle) -> None:
    h.routes.add("default", gateway="172.17.0.1")   # no such option: Route's is "via"
"""


def test_verbs_are_typed_per_mode(tmp_path: Path) -> None:
    (tmp_path / "verbs.py").write_text(VERBS)
    res = mypy("--strict", "verbs.py", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    (tmp_path / "bad.py").write_text(BAD)
    res = mypy("bad.py", cwd=tmp_path)
    assert res.returncode == 1 and '"gateway"' in res.stdout, res.stdout


PYRIGHT = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")


def pyright(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PYRIGHT, "pyright is not installed (pip install -e .[dev])"
    return subprocess.run([PYRIGHT, "--pythonpath", sys.executable, *args], cwd=cwd,
                          capture_output=True, text=True)


def test_pyright_sees_the_verbs_and_examples(tmp_path: Path) -> None:
    (tmp_path / "verbs.py").write_text(VERBS)
    for doc, path in DOCS.items():
        (tmp_path / f"{doc.split('.')[0]}_examples.py").write_text("\n".join(python_blocks(path)))
    res = pyright(cwd=tmp_path)                           # outside the checkout: only site-packages
    assert res.returncode == 0 and "0 errors" in res.stdout, res.stdout[-4000:]
    (tmp_path / "bad.py").write_text(BAD)
    res = pyright("bad.py", cwd=tmp_path)
    assert res.returncode == 1 and '"gateway"' in res.stdout, res.stdout[-2000:]


def test_library_is_pyright_clean() -> None:
    res = pyright(cwd=ROOT)                               # [tool.pyright] in pyproject.toml
    assert res.returncode == 0, res.stdout[-4000:]
