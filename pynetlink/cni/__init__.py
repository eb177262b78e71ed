"""CNI plugins (spec 1.1.0) on pynetlink: bridge, host-local IPAM, portmap, macvlan, ipvlan.

Each plugin is an executable ``pynetlink cni install DIR`` writes; it calls
``pynetlink.cni.run(type_name)`` (``skel.run``). See docs/cni.md and the ``skel`` module.
Importing this package loads only ``skel``: a plugin's VERSION call needs nothing else.
"""
from .skel import run

__all__ = ["run"]
