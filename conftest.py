"""Lets pytest in a checkout test an installed pynetlink (``pip install .``, not editable).

The checkout is on ``sys.path`` (pytest puts the root dir there for ``tests``; ``python -m``
puts the working directory there), so its ``pynetlink/`` would shadow the installed package,
and without the extension built in place every import fails. When the source tree has no built
codec and a pynetlink is installed elsewhere, the installed one is imported instead (modules
already loaded from the source tree, such as the pytest plugin, are loaded again from it). With
an editable install or an in-place build nothing changes.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
pytest_plugins = ["pytester"]      # tests/test_testing_plugin.py runs pytest on example test files


def _from_checkout(entry: str) -> bool:
    return Path(entry or ".").resolve() == HERE


def _use_installed() -> None:
    loaded = [m for m in sys.modules if m == "pynetlink" or m.startswith("pynetlink.")]
    if any(not str(getattr(sys.modules[m], "__file__", "") or "").startswith(str(HERE)) for m in loaded):
        return                                   # the installed copy is in use already
    saved = list(sys.path)
    sys.path[:] = [e for e in saved if not _from_checkout(e)]
    kept = {m: sys.modules.pop(m) for m in loaded}
    try:
        if importlib.util.find_spec("pynetlink") is None:
            sys.modules.update(kept)             # none installed: the tests say how to build
            return
        importlib.import_module("pynetlink._native")
    finally:
        sys.path[:] = saved


if not any((HERE / "pynetlink").glob("_codec*.so")):
    _use_installed()
