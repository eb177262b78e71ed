"""The public names are found where their imports say: pynetlink's lazy map and its typing
imports point at the defining modules, and the documented import paths keep working."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import pynetlink

INIT = Path(pynetlink.__file__)


@pytest.mark.parametrize("name", [n for n in pynetlink.__all__ if n != "__version__"])
def test_lazy_name_comes_from_its_defining_module(name: str) -> None:
    value = getattr(pynetlink, name)
    assert value.__module__ == f"pynetlink.{pynetlink._FROM[name]}"


def test_typing_imports_name_the_same_modules() -> None:
    """What a type checker (and a reader) sees under TYPE_CHECKING is the lazy map."""
    seen: dict[str, str] = {}
    block = next(n for n in ast.parse(INIT.read_text()).body
                 if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING")
    for node in ast.walk(block):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            seen.update({a.name: node.module for a in node.names})
    assert seen == pynetlink._FROM


@pytest.mark.parametrize("path, name", [("pynetlink.api", "Bridge"), ("pynetlink.api", "Handle"),
                                        ("pynetlink.rtnl", "Veth"), ("pynetlink.rtnl", "Link"),
                                        ("pynetlink.rtnl.kinds", "Vxlan")])
def test_documented_package_paths_still_work(path: str, name: str) -> None:
    assert getattr(importlib.import_module(path), name) is getattr(pynetlink, name)
