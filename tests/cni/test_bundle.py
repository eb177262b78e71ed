"""The plugin bundle (cni/bundle.py): ``pynetlink cni install`` writes it next to the
executables; a plugin process imports the bundled modules from it while their sources are
unchanged, and from the files (the normal import) once a source changed or the bundle is
unusable. Run in fresh interpreters laid out as an installed plugin (``-IS``, its sys.path)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pynetlink
from pynetlink.cni.bundle import NAME
from pynetlink.cni.install import search_paths

# imports the bridge plugin's modules the way a plugin process does (startup.prepare first;
# the api layer too, which the bridge module imports where it is used), then reports which
# loader served each module named on the command line, and its __file__
PROBE = """
import json, sys
bundle, paths, names = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
sys.path[:0] = paths
from pynetlink.cni.startup import prepare
prepare(bundle)
import pynetlink.cni.bridge, pynetlink.cni.masq, pynetlink.nft.ruleset, pynetlink.api
import pynetlink.cni.masqraw, pynetlink.cni._masqtable
out = {n: [type(sys.modules[n].__spec__.loader).__name__, sys.modules[n].__file__,
           getattr(sys.modules[n], "BUNDLE_TEST_MARK", None)] for n in names}
print(json.dumps(out))
"""
NAMES = ["pynetlink.rtnl.routes", "pynetlink.rtnl.link", "pynetlink.cni.bridge", "pynetlink.api",
         "pynetlink.cni.masqraw", "pynetlink.cni._masqtable"]


def probe(bundle: Path, paths: list[str]) -> dict[str, list[object]]:
    p = subprocess.run([sys.executable, "-IS", "-c", PROBE, str(bundle), json.dumps(paths), *NAMES],
                       capture_output=True, text=True, timeout=60, cwd="/")
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def snapshot(tmp_path: Path) -> tuple[Path, list[str]]:
    """A copy of the package (with its built extensions) and the sys.path of its plugins."""
    src = Path(pynetlink.__file__).resolve().parent
    shutil.copytree(src, tmp_path / "src" / "pynetlink", ignore=shutil.ignore_patterns("__pycache__"))
    root = str(tmp_path / "src")
    return tmp_path / "src" / "pynetlink", [root] + search_paths()[1:]


def install_from(pkg: Path, bindir: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "pynetlink", "cni", "install", str(bindir)],
                       capture_output=True, text=True, cwd=pkg.parent,
                       env={"PYTHONPATH": str(pkg.parent), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr


def test_install_writes_the_bundle_and_a_plugin_imports_from_it(tmp_path: Path) -> None:
    pkg, paths = snapshot(tmp_path)
    install_from(pkg, tmp_path / "bin")
    bundle = tmp_path / "bin" / NAME
    assert bundle.is_file()
    assert f"bundle={str(bundle)!r}" in (tmp_path / "bin" / "pynetlink-bridge").read_text()
    got = probe(bundle, paths)
    for name in NAMES:
        loader, file, _ = got[name]
        assert loader == "BundleFinder", (name, got)
        assert Path(str(file)).resolve().is_relative_to(pkg), (name, file)      # the sources' paths


def test_a_changed_source_is_imported_from_the_file(tmp_path: Path) -> None:
    pkg, paths = snapshot(tmp_path)
    install_from(pkg, tmp_path / "bin")
    routes = pkg / "rtnl" / "routes.py"
    routes.write_text(routes.read_text() + "\nBUNDLE_TEST_MARK = 1\n")
    got = probe(tmp_path / "bin" / NAME, paths)
    assert got["pynetlink.rtnl.routes"][0] == "SourceFileLoader" and got["pynetlink.rtnl.routes"][2] == 1, got
    assert got["pynetlink.rtnl.link"][0] == "BundleFinder", got                # the others still bundled


def test_an_unusable_bundle_changes_nothing(tmp_path: Path) -> None:
    pkg, paths = snapshot(tmp_path)
    for content in (b"", b"not a bundle at all", b"\x00" * 64):
        bundle = tmp_path / NAME
        bundle.write_bytes(content)
        got = probe(bundle, paths)
        assert all(v[0] == "SourceFileLoader" for v in got.values()), (content, got)
    got = probe(tmp_path / "missing" / NAME, paths)
    assert all(v[0] == "SourceFileLoader" for v in got.values()), got
