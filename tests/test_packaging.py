"""The release artefacts, as a downstream project gets them: one abi3 manylinux wheel that
installs into a fresh venv, with its extension, type information, CLI and pytest plugin; and
``pytest`` run in the checkout against that installed (non-editable) copy."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(ROOT / "tools" / "build-wheel"), str(out)], check=True, capture_output=True)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_is_abi3_and_manylinux(wheel: Path) -> None:
    name = wheel.name
    assert "-cp311-abi3-" in name and "manylinux" in name, name
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert any(n.startswith("pynetlink/_codec") and n.endswith(".abi3.so") for n in names), names
    assert any(n.startswith("pynetlink/events/_engine") and n.endswith(".abi3.so") for n in names), names
    assert any(n.startswith("pynetlink/codec/_cview") and n.endswith(".abi3.so") for n in names), names
    assert "pynetlink/py.typed" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in meta
    assert "pynetlink = pynetlink.testing" in entry_points and "pynetlink = pynetlink_cli:main" in entry_points


def test_installed_wheel_works_and_checkout_tests_use_it(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel), "pytest", "hypothesis"],
                   check=True, capture_output=True)
    import pynetlink
    out = subprocess.run([str(venv / "bin" / "pynetlink"), "--version"], capture_output=True, text=True,
                         check=True, cwd="/")
    assert out.stdout.strip() == f"pynetlink {pynetlink.__version__}"
    where = subprocess.run([str(py), "-c", "import pynetlink._native as n; print(n.__file__)"],
                           capture_output=True, text=True, check=True, cwd="/").stdout
    assert where.startswith(str(venv))
    # `pip install .` then `pytest` in a checkout whose pynetlink/ has no built codec: the tests
    # must run against the installed copy, which the source tree would otherwise shadow
    src = tmp_path / "checkout"
    skip = shutil.ignore_patterns("*.so", "__pycache__", ".hypothesis")
    for part in ("pynetlink", "tests"):
        shutil.copytree(ROOT / part, src / part, ignore=skip)
    for part in ("pyproject.toml", "conftest.py"):
        shutil.copy(ROOT / part, src / part)
    tests = ["tests/codec/test_roundtrip.py", "tests/codec/test_schema.py", "-q", "-p", "no:cacheprovider"]
    for runner in ([str(venv / "bin" / "pytest")], [str(py), "-m", "pytest"]):   # -m puts the checkout first
        res = subprocess.run([*runner, *tests], cwd=src, capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        assert " passed" in res.stdout
