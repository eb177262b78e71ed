"""``import_module`` without the ``importlib`` package (which loads ``warnings``: ~0.3 ms of every
CNI plugin process); for the library's own lazy names (PEP 562) and plugin modules."""
from __future__ import annotations

import sys

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from types import ModuleType


def import_module(name: str, package: str = "") -> ModuleType:
    """Module ``name``, imported if needed: absolute, or ``.sub`` relative to ``package``."""
    if name.startswith("."):
        if name.startswith("..") or not package:
            raise ValueError(f"import_module: only '.sub' relative to a package, not {name!r}")
        name = package + name
    __import__(name)
    return sys.modules[name]
