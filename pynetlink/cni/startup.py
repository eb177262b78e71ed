"""What an installed plugin process does before it imports a plugin (``skel.run`` with
``fast_exit``, any command but VERSION): start-up work that a long-lived program would not
notice, but four executions per container do.

- The plugin bundle (cni/bundle.py): the plugins' modules' code from one file.

- ``array`` without ``collections``: the C ``array`` module registers its type with
  ``collections.abc.MutableSequence`` when it loads, and ``import collections.abc`` runs the
  whole ``collections`` package (``collections``, ``operator``, ``keyword``, ``reprlib``,
  ~1.5 ms). ``collections.abc`` only re-exports ``_collections_abc``, which ``os`` has
  loaded already: while ``array`` loads, ``sys.modules["collections.abc"]`` is
  ``_collections_abc`` (the same ``MutableSequence``; ``collections`` a stand-in), and
  both entries are removed afterwards, so a later ``import collections`` is the real one.
"""
from __future__ import annotations

import sys


def prepare(bundle: str | None = None) -> None:
    """Run once, single-threaded, before the plugin's modules are imported; ``bundle``:
    the plugin bundle's path (cni/bundle.py), used if it is there and current."""
    if bundle:
        from .bundle import load
        load(bundle)
    if "array" not in sys.modules and "collections" not in sys.modules:
        import _collections_abc
        # C's import of "collections.abc" also imports its package "collections": a stand-in
        sys.modules["collections"] = type(sys)("collections")
        sys.modules["collections.abc"] = _collections_abc
        try:
            import array  # noqa: F401
        finally:
            del sys.modules["collections.abc"], sys.modules["collections"]
