"""The IPAM of an interface plugin (``ipam`` in its config), for every command.

``pynetlink-host-local`` (or an executable ``pynetlink cni install --names reference`` wrote
as ``host-local``) runs in-process: no process start. Any other type is exec'd from
``CNI_PATH`` as spec section 4 says. ``addresses`` finds an attachment's addresses for DEL/GC
even without prevResult when the store has host-local's layout (ours or Go's).

    ipam = Ipam(req)
    res = ipam.run(req, "ADD")          # {"ips": [...], "routes": [...], "dns": {...}} or None
    ipam.run(req, "DEL")
"""
from __future__ import annotations

from . import delegate, hostlocal, ipnet
from .skel import INVALID_CONFIG, CNIError, Request, Result, from_result

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Optional


class Ipam:
    """The ``ipam`` section of ``req.config`` (absent: no IPAM, ``run`` returns None)."""

    def __init__(self, req: Request) -> None:
        section = req.config.get("ipam") or {}
        if not isinstance(section, dict):
            raise CNIError(INVALID_CONFIG, "ipam must be a JSON object")
        self.type = str(section.get("type") or "")
        self.in_process = bool(self.type) and delegate.is_ours(self.type, req, hostlocal.TYPE)
        # a store with host-local's layout we can read (ours, or Go's host-local)
        self.readable_store = self.in_process or self.type == "host-local"

    def run(self, req: Request, command: str, *, converge: bool = False) -> Optional[Result]:
        """``command`` on the IPAM; the result of ADD (1.1.0 shape), else None. ``converge``:
        an ADD for an attachment that holds addresses (a killed ADD) gets them again
        (in-process only; a foreign IPAM decides itself)."""
        if not self.type:
            return None
        if not self.in_process:
            out = delegate.call(self.type, command, req)
            if command == "ADD" and out is None:
                raise CNIError(INVALID_CONFIG, f"ipam {self.type} returned no result")
            return None if out is None else from_result(out)
        if command == "ADD":
            return hostlocal.allocate(hostlocal.parse_config(req), req.container_id, req.ifname, converge=converge)
        {"DEL": hostlocal.HostLocal().delete, "CHECK": hostlocal.HostLocal().check,
         "GC": hostlocal.HostLocal().gc, "STATUS": hostlocal.HostLocal().status}[command](req)
        return None

    def addresses(self, req: Request) -> list[str]:
        """The attachment's addresses (CIDR): prevResult's, else the reservation's."""
        try:
            prev = req.prev_result
            found = [str(ipnet.ip_interface(ip["address"])) for ip in (prev or {}).get("ips") or []]
            if found:
                return found
        except (CNIError, TypeError, KeyError, AttributeError, ValueError):   # a malformed prevResult
            pass
        if not self.readable_store:
            return []
        try:
            cfg = hostlocal.parse_config(req)
        except CNIError:             # a config ADD would refuse: the subnets are unknown
            return []
        nets = [r.subnet for rs in cfg.range_sets for r in rs]
        return [f"{a}/{next(n.prefixlen for n in nets if a in n)}"
                for a in hostlocal.held(cfg, req.container_id, req.ifname)]

    def reserved(self, req: Request) -> tuple[list[str], set[str]]:
        """(subnets, reserved addresses) of a host-local-layout store (GC of NAT state)."""
        if not self.readable_store:
            return [], set()
        cfg = hostlocal.parse_config(req)
        return ([str(r.subnet) for rs in cfg.range_sets for r in rs],
                {str(a) for a in hostlocal.Store(cfg.data_dir, cfg.network).reservations()})
