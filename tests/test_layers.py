"""The layers of docs/design.md: each package imports only the ones below it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pynetlink"
ORDER = ["errors", "_native", "codec", "transport", "rtnl", "nft", "events", "api", "networks", "check",
         "__init__", "testing", "_version", "cni", "cli", "__main__"]
# what each layer may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_native": {"errors", "_codec"},
    "codec": {"errors", "_native"},
    "transport": {"errors", "_native", "codec"},
    "rtnl": {"errors", "_native", "codec", "transport"},
    "nft": {"errors", "_native", "codec", "transport"},
    "events": {"errors", "_native", "codec", "transport", "rtnl", "nft"},
    "api": {"errors", "_native", "codec", "transport", "rtnl", "nft"},
    "networks": {"errors", "_native", "codec", "transport", "rtnl", "nft", "api"},
    "check": {"errors", "_native", "codec", "transport", "rtnl", "nft", "api"},
    "__init__": {"errors", "_native", "codec", "transport", "rtnl", "nft", "api", "networks", "check", "_version"},
    "testing": {"errors", "_native", "codec", "transport", "rtnl", "nft", "api", "networks"},
    "_version": set(),
    "cni": {"errors", "_native", "codec", "transport", "rtnl", "nft", "api", "networks"},
    "cli": set(ORDER) - {"__main__"},
    "__main__": {"cli"},
}
# pynetlink.aio: the asyncio front end, at the api level (it shares api's verbs and batches)
ORDER.insert(ORDER.index("api") + 1, "aio")
ALLOWED["aio"] = {"errors", "_native", "codec", "transport", "rtnl", "nft", "api"}
ALLOWED["cli"].add("aio")
# pynetlink._record (the light @dataclass) and _lighttyping (typing's run-time names): below every layer
ORDER[:0] = ["_record", "_lighttyping"]
ALLOWED = {k: a | {"_record", "_lighttyping"} for k, a in ALLOWED.items()}
ALLOWED["_record"] = ALLOWED["_lighttyping"] = set()
# pynetlink._importing (import_module without importlib): below every layer too
ORDER[:0] = ["_importing"]
ALLOWED = {k: a | {"_importing"} for k, a in ALLOWED.items()}
ALLOWED["_importing"] = set()
# pynetlink._bounded (the bounded dict of the process-wide caches): below every layer too
ORDER[:0] = ["_bounded"]
ALLOWED = {k: a | {"_bounded"} for k, a in ALLOWED.items()}
ALLOWED["_bounded"] = {"_lighttyping"}


def layer_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    rel = path.relative_to(PKG)
    depth = len(rel.parts) - 1             # package depth of this module inside pynetlink
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                mod = node.module or ""
                if mod.startswith("pynetlink."):
                    out.add(mod.split(".")[1])
                elif mod == "pynetlink":
                    out.update(a.name for a in node.names)
            elif node.level > depth:       # relative import reaching the top of the package
                if node.module:
                    out.add(node.module.split(".")[0])
                else:
                    out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("pynetlink."):
                    out.add(a.name.split(".")[1])
    return out


MODULES = sorted(p for p in PKG.rglob("*.py") if p.name != "_ynl.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_follow_the_layers(path: Path) -> None:
    layer = layer_of(path)
    assert layer in ALLOWED, f"{path}: layer {layer!r} is not in docs/design.md"
    bad = imported_layers(path) - ALLOWED[layer] - {layer}
    assert not bad, f"{path.relative_to(PKG)} ({layer}) imports {sorted(bad)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_library_runs_no_processes(path: Path) -> None:
    """Ground rule 2: no iproute2, no subprocess in the library."""
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "subprocess" not in names | mods
    assert "os.system" not in path.read_text() and "os.fork" not in path.read_text()


def test_only_native_imports_the_compiled_module() -> None:
    users = [p for p in MODULES if "_codec" in imported_layers(p) or "from ._codec" in p.read_text()]
    assert [p.name for p in users] == ["_native.py"]


def test_package_import_is_lazy_and_complete() -> None:
    """``import pynetlink`` loads nothing below it (a CNI plugin's VERSION pays only for what it
    uses); every name of ``__all__`` still resolves, and so do the subpackages."""
    import subprocess
    import sys
    code = ("import sys, pynetlink; print(sorted(m for m in sys.modules if m.startswith('pynetlink')));"
            "print(all(getattr(pynetlink, n) is not None for n in pynetlink.__all__), pynetlink.nft.DockerNat.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PKG.parent).stdout.split("\n")
    assert out[0] == "['pynetlink']"
    assert out[1] == "True DockerNat"


def _calls_into_c(path: Path) -> list[str]:
    """``lib.pnl_*`` attribute reads of a module (calls into the compiled codec)."""
    return [f"line {n.lineno}: lib.{n.attr}" for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Attribute) and n.attr.startswith("pnl_")
            and isinstance(n.value, ast.Name) and n.value.id == "lib"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_only_native_calls_the_c_library(path: Path) -> None:
    """One gateway to C: every ``lib.pnl_*`` call is in pynetlink/_native.py."""
    calls = _calls_into_c(path)
    if path.name == "_native.py":
        assert calls, "the gateway itself must be where C is called"
    else:
        assert not calls, f"{path.relative_to(PKG)} calls C directly: {calls}"


def test_native_keeps_no_module_level_state() -> None:
    """_native holds no module-level container (buffers and learned sizes live per object)."""
    tree = ast.parse((PKG / "_native.py").read_text())
    for node in tree.body:
        names = [t.id for t in getattr(node, "targets", [getattr(node, "target", None)])
                 if isinstance(t, ast.Name)]
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None \
                and names != ["__all__"]:
            assert not isinstance(node.value, (ast.Dict, ast.List, ast.Set, ast.Call)), \
                f"module-level mutable value at line {node.lineno}"


BUILDS_WITH_MSG = [p for p in MODULES if layer_of(p) in ("rtnl", "nft", "api", "networks", "check", "cni")]


@pytest.mark.parametrize("path", BUILDS_WITH_MSG, ids=lambda p: str(p.relative_to(PKG)))
def test_requests_are_built_with_the_one_builder(path: Path) -> None:
    """rtnetlink, nf_tables and the capability check build requests with codec.message.Msg
    (which compiles Programs, cached per shape), never a Program of their own."""
    made = [n.lineno for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Program"]
    assert not made, f"{path.relative_to(PKG)} builds a Program directly at lines {made}"
