"""Write the plugin executables into a CNI plugin directory.

Each is a tiny script with the absolute interpreter path in its shebang and the flags as one
cluster (``-IS``: isolated, no ``site``; a runtime passes everything after the path as one
argument, and ``/usr/bin/env`` would resolve through the runtime's PATH). Without ``site`` the
script puts the directories it needs on ``sys.path`` itself: the one holding ``pynetlink``
and the one holding cffi's backend. That saves the ``site`` start-up on each of the four
executions a runtime makes per container.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

from .bundle import NAME, replace_file, write
from .skel import PLUGINS, REFERENCE_NAMES

TEMPLATE = """#!{python} -IS
# pynetlink CNI plugin {type}: written by `pynetlink cni install`; see docs/cni.md
import sys
sys.path[:0] = {paths!r}
from pynetlink.cni.skel import run
run({type!r}, fast_exit=True, bundle={bundle!r})
"""


def search_paths() -> list[str]:
    """The sys.path entries a plugin needs without ``site``."""
    import _cffi_backend  # type: ignore[import-untyped,unused-ignore]
    here = Path(__file__).resolve().parent.parent.parent   # the directory holding pynetlink/
    out: list[str] = []
    for p in (str(here), str(Path(_cffi_backend.__file__).resolve().parent)):
        if p not in out:
            out.append(p)
    return out


def install(directory: str | os.PathLike[str], *, names: str = "pynetlink",
            types: Sequence[str] | None = None, python: str | None = None) -> list[Path]:
    """Write one executable per plugin type into ``directory``; returns their paths.

    ``names="reference"`` names them like the reference plugins (``bridge``, ``host-local``,
    ``portmap``, ``macvlan``, ``ipvlan``) so they replace those in an existing setup.
    """
    if names not in ("pynetlink", "reference"):
        raise ValueError(f"names={names!r}: expected 'pynetlink' or 'reference'")
    python = os.path.abspath(python or sys.executable)
    if any(c.isspace() for c in python):
        raise ValueError(f"interpreter path {python!r} contains whitespace: a shebang cannot hold it")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = search_paths()
    written = []
    for t in types or list(PLUGINS):
        if t not in PLUGINS:
            raise ValueError(f"unknown plugin type {t!r}; known: {', '.join(PLUGINS)}")
        target = d / (REFERENCE_NAMES[t] if names == "reference" else t)
        script = TEMPLATE.format(python=python, type=t, paths=paths, bundle=str(d.resolve() / NAME))
        replace_file(target, script.encode(), 0o755)    # a runtime never sees half a script
        written.append(target)
    write(d)
    return written
