"""Lets ``pytest`` in a checkout test an installed pynetlink (``pip install .``, not editable).

The checkout is on ``sys.path`` (pytest puts the root dir there for ``tests``), so its
``pynetlink/`` would shadow the installed package, and without the extension built in place
every import fails. When the source tree has no built codec and an installed pynetlink exists
elsewhere, that one is imported first; the tests then run against it. (With an editable install
or an in-place build nothing changes.)
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _is_checkout(entry: str) -> bool:
    return Path(entry or ".").resolve() == HERE


if not any((HERE / "pynetlink").glob("_codec*.so")) and "pynetlink" not in sys.modules:
    saved = list(sys.path)
    sys.path[:] = [e for e in saved if not _is_checkout(e)]
    try:
        importlib.import_module("pynetlink._native")      # the installed package, if any
    except ImportError:
        pass                                              # none: the tests report how to build
    finally:
        sys.path[:] = saved

pytest_plugins = ["pytester"]      # tests/test_testing_plugin.py runs pytest on example test files
