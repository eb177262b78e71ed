"""CNI plugins (spec 1.1.0) on pynetlink: bridge, host-local IPAM, portmap, macvlan, ipvlan.

Each plugin is an executable ``pynetlink cni install DIR`` writes; it calls
``pynetlink.cni.skel.run(type_name)``. See docs/cni.md and the ``skel`` module.
This package imports nothing at import time: a plugin's VERSION call loads only ``skel``.
"""
