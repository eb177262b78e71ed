"""pynetlink-macvlan: a macvlan on a host interface, inside the container.

Config (as the reference ``macvlan``): ``master`` (default: the interface of the host's IPv4
default route), ``mode`` (bridge, private, vepa, passthru; default bridge), ``mtu`` (0 or absent:
the parent's), ``linkInContainer`` (``master`` lives in the container namespace), ``ipam``
(optional: without it the link is only brought up). The MAC comes from ``CNI_ARGS`` ``MAC=``
or ``runtimeConfig.mac``. The link is created directly inside the container namespace under a
temporary name, renamed ``CNI_IFNAME`` there, then configured with the IPAM result.

``SubLink`` holds what macvlan and ipvlan share; ``pynetlink.cni.ipvlan`` subclasses it.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import re
from dataclasses import dataclass

from ..api import Handle, Link, Macvlan, Route
from ..errors import NetlinkError
from ..transport import NetNS, run_in
from .ipam import Ipam
from .linkutil import link_exists
from .skel import INVALID_CONFIG, UNKNOWN_CONTAINER, CNIError, Plugin, Request, Result

MACVLAN_MODES = ("bridge", "private", "vepa", "passthru")
TEMP_NAME = re.compile(r"pnl[0-9a-f]{10}")     # the link's name until it is renamed CNI_IFNAME
IO_FAILURE_CODE = 999


@dataclass(frozen=True)
class Options:
    master: str | None
    mode: str
    mtu: int | None
    mac: str | None
    in_container: bool
    ipam: Ipam


def _netns(path: str) -> NetNS:
    try:
        return NetNS.open(path)
    except OSError as e:
        raise CNIError(UNKNOWN_CONTAINER, f"container network namespace {path!r} cannot be opened: "
                       f"{e.strerror or e}") from None


class SubLink(Plugin):
    """A link of ``kind`` on a parent (``master``), created inside the container namespace."""

    kind = "macvlan"
    modes: tuple[str, ...] = MACVLAN_MODES
    default_mode = "bridge"
    takes_mac = True

    # -- config -------------------------------------------------------------------------
    def options(self, req: Request) -> Options:
        c = req.config
        master = c.get("master")
        if master is not None and (not isinstance(master, str) or not master):
            raise CNIError(INVALID_CONFIG, f"{self.kind}: \"master\" must be an interface name, got {master!r}")
        mode = c.get("mode") or self.default_mode
        if mode not in self.modes:
            raise CNIError(INVALID_CONFIG, f"{self.kind}: unknown mode {mode!r}",
                           f"\"mode\" must be one of {', '.join(self.modes)}")
        mtu = c.get("mtu")
        if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or mtu < 0):
            raise CNIError(INVALID_CONFIG, f"{self.kind}: \"mtu\" must be a non-negative integer, got {mtu!r}")
        in_ctr = c.get("linkInContainer", False)
        if not isinstance(in_ctr, bool):
            raise CNIError(INVALID_CONFIG, f"{self.kind}: \"linkInContainer\" must be true or false")
        if master is None and req.command == "ADD":
            master = self.chained_master(req)
        return Options(master, mode, mtu or None, self.mac_of(req), in_ctr, Ipam(req))

    def chained_master(self, req: Request) -> str | None:
        """No ``master``: the default-route interface (None here); ipvlan overrides it."""
        return None

    def mac_of(self, req: Request) -> str | None:
        """The MAC asked for: runtimeConfig.mac, else CNI_ARGS MAC."""
        mac = req.runtime_config.get("mac") or req.args.get("MAC")
        if mac is None or not self.takes_mac:    # ipvlan: the parent's MAC (as the reference, ignored)
            return None
        try:
            text = str(mac).lower()
            raw = bytes.fromhex(text.replace(":", ""))
            if len(raw) != 6 or text.count(":") != 5 or raw[0] & 1:     # unicast only
                raise ValueError
        except ValueError:
            raise CNIError(INVALID_CONFIG, f"{self.kind}: MAC {mac!r} is not a unicast MAC address "
                           "like 0a:58:c6:33:64:02") from None
        return text

    def spec(self, o: Options, ifname: str, netns: NetNS | None) -> Link:
        return Macvlan(ifname, parent=o.master or "", mode=o.mode, mtu=o.mtu, mac=o.mac, netns=netns)

    # -- commands -----------------------------------------------------------------------
    def add(self, req: Request) -> Result:
        o = self.options(req)
        ns = _netns(req.netns)
        o = self.create(req, o, ns)
        try:
            res = o.ipam.run(req, "ADD") or self.chained_addresses(req)
        except BaseException:
            self.remove(ns, req.ifname)
            raise
        try:
            mac = configure(ns, req.ifname, res, self.kind)
        except BaseException:
            self.remove(ns, req.ifname)
            o.ipam.run(req, "DEL")
            raise
        iface = {"name": req.ifname, "mac": mac, "sandbox": req.netns}
        ips = [dict(ip, interface=0) for ip in res.get("ips") or []]
        return {"interfaces": [iface], "ips": ips, "routes": res.get("routes") or [],
                "dns": res.get("dns") or {}}

    def chained_addresses(self, req: Request) -> Result:
        """The addresses to configure without an IPAM: none (ipvlan takes prevResult's)."""
        return {"ips": [], "routes": [], "dns": {}}

    def create(self, req: Request, o: Options, ns: NetNS) -> Options:
        """The link, inside ``ns`` under ``req.ifname``; returns ``o`` with the master resolved."""
        with Handle(ns if o.in_container else None) as h:
            master = o.master or default_interface(h, self.kind)
            try:
                parent = h.links.get(master)
            except FileNotFoundError:
                where = "container" if o.in_container else "host"
                raise CNIError(INVALID_CONFIG, f"{self.kind}: master {master!r} does not exist in the "
                               f"{where} namespace", "\"master\" names the parent interface") from None
            if o.mtu is not None and parent.mtu is not None and o.mtu > parent.mtu:
                raise CNIError(INVALID_CONFIG, f"{self.kind}: mtu {o.mtu} is larger than master {master}'s "
                               f"MTU {parent.mtu}", f"\"mtu\" must be in 0..{parent.mtu}")
            o = Options(master, o.mode, o.mtu, o.mac, o.in_container, o.ipam)
            tmp = f"pnl{os.urandom(5).hex()}"          # (TEMP_NAME) kernel 6.1 refuses a name the host has
            try:
                h.links.create(self.spec(o, tmp, None if o.in_container else ns))
            except NetlinkError as e:
                raise CNIError(IO_FAILURE_CODE, f"{self.kind}: creating {req.ifname} on {master} "
                               f"(mode {o.mode}) failed: {e}") from None
        with Handle(ns) as c:
            try:
                c.links.set(tmp, name=req.ifname)
            except BaseException as e:
                c.links.delete(tmp)
                if isinstance(e, FileExistsError):
                    raise CNIError(INVALID_CONFIG, f"container already has an interface named "
                                   f"{req.ifname}", "pass another CNI_IFNAME") from None
                raise
        return o

    def remove(self, ns: NetNS, ifname: str) -> None:
        """Delete ``ifname`` in ``ns`` if it is of our kind, and any temporary link of ours a
        killed ADD left there. Nothing there (or no ``ns``) is fine."""
        try:
            with Handle(ns) as h:
                for view in h.links.dump(kind=self.kind):
                    if view.name == ifname or TEMP_NAME.fullmatch(view.name):
                        try:
                            h.links.delete(view.name)
                        except FileNotFoundError:
                            pass
        except FileNotFoundError:
            pass

    def delete(self, req: Request) -> None:
        Ipam(req).run(req, "DEL")                          # not options(): DEL validates nothing else
        if not req.netns:
            return                                         # the container (and its link) is gone
        try:
            ns = NetNS.open(req.netns)
        except OSError:
            return
        self.remove(ns, req.ifname)

    def check(self, req: Request) -> None:
        o = self.options(req)
        prev = req.prev_result
        if prev is None:
            raise CNIError(INVALID_CONFIG, f"{self.kind}: CHECK needs prevResult")
        o.ipam.run(req, "CHECK")
        ns = _netns(req.netns)
        with Handle(None if not o.in_container else ns) as h:
            master = o.master or default_interface(h, self.kind)
            if not link_exists(h, master):
                raise CNIError(INVALID_CONFIG, f"{self.kind}: master {master!r} is gone")
            parent = h.links.get(master).index
        check_inside(ns, req.ifname, self.kind, o.mode, prev, (master, parent))


    def gc(self, req: Request) -> None:
        """The IPAM's GC (``cni.dev/valid-attachments``); links die with their containers."""
        Ipam(req).run(req, "GC")

    def status(self, req: Request) -> None:
        """Ready when the IPAM is (the master is looked up at ADD)."""
        Ipam(req).run(req, "STATUS")


def default_interface(h: Handle, kind: str) -> str:
    """The interface of the namespace's IPv4 default route (the reference's default master)."""
    for r in h.routes.dump(family=4):
        if r.dst == "default" and r.dev is not None:
            return str(h.links.get(r.dev).name)
    raise CNIError(INVALID_CONFIG, f"{kind}: no \"master\" given and the host has no IPv4 default route "
                   "to take it from", "set \"master\" to the parent interface")


def configure(ns: NetNS, ifname: str, res: Result, kind: str) -> str:
    """Inside the container: sysctls, addresses, the link up, routes; returns its MAC."""
    ifaces = [ipaddress.ip_interface(ip["address"]) for ip in res.get("ips") or []]
    gws: dict[int, str] = {}
    for ip in res.get("ips") or []:
        if ip.get("gateway"):
            gws.setdefault(ipaddress.ip_address(ip["gateway"]).version, ip["gateway"])

    def sysctls() -> None:
        if ifaces:                     # as the reference: only an interface given addresses
            _write(f"/proc/sys/net/ipv4/conf/{ifname}/arp_notify", "1")
        if any(i.version == 6 for i in ifaces):
            _write(f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6", "0")
    run_in(ns.path, sysctls)
    with Handle(ns) as h:
        try:
            with h.batch() as b:
                for i in ifaces:
                    if i.version == 4:           # brd + below /31, as the reference does
                        b.addresses.add(ifname, str(i), broadcast=i.network.prefixlen < 31 or None)
                    else:
                        b.addresses.add(ifname, str(i), flags=("nodad",))
                b.links.set(ifname, up=True)
                for r in res.get("routes") or []:
                    dst = ipaddress.ip_network(r["dst"], strict=False)
                    via = r.get("gw") or gws.get(dst.version)
                    b.routes.add(Route(str(dst) if dst.prefixlen else "default", via=via, dev=ifname,
                                       family=dst.version))
        except NetlinkError as e:
            raise CNIError(IO_FAILURE_CODE, f"{kind}: configuring {ifname} in the container failed: {e}") from None
        return str(h.links.get(ifname).mac)


def _write(path: str, value: str) -> None:
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError as e:
        if e.errno != errno.ENOENT or "ipv4" in path:     # no IPv6 in this kernel: nothing to do
            raise


def check_inside(ns: NetNS, ifname: str, kind: str, mode: str, prev: Result, parent: tuple[str, int]) -> None:
    """CHECK in the container: the interface of prevResult, of our kind and mode, on the
    master (``parent``: name, ifindex), with its addresses and routes (through their gateways)."""
    with Handle(ns) as h:
        try:
            view = h.links.get(ifname)
        except FileNotFoundError:
            raise CNIError(INVALID_CONFIG, f"{kind}: interface {ifname} is missing in the container") from None
        if view.kind != kind or getattr(view, "mode", mode) != mode:
            raise CNIError(INVALID_CONFIG, f"{kind}: {ifname} is a {view.kind} in mode "
                           f"{getattr(view, 'mode', None)}, expected {kind} mode {mode}")
        if view.link != parent[1]:
            raise CNIError(INVALID_CONFIG, f"{kind}: {ifname} is not on master {parent[0]}")
        mine = [i for i in prev.get("interfaces") or [] if i.get("name") == ifname]
        if mine and mine[0].get("mac") and kind == "macvlan" and str(view.mac) != mine[0]["mac"].lower():
            raise CNIError(INVALID_CONFIG, f"{kind}: {ifname} has MAC {view.mac}, prevResult says {mine[0]['mac']}")
        have = {f"{a.address}/{a.prefixlen}" for a in h.addresses.dump(ifname)}
        for ip in prev.get("ips") or []:
            want = str(ipaddress.ip_interface(ip["address"]))
            if want not in have:
                raise CNIError(INVALID_CONFIG, f"{kind}: {ifname} lacks address {want} of prevResult")
        routes = {(r.dst, r.via) for fam in (4, 6) for r in h.routes.dump(family=fam)}
        gws = {ipaddress.ip_address(ip["gateway"]).version: ip["gateway"] for ip in reversed(prev.get("ips") or [])
               if ip.get("gateway")}
        for r in prev.get("routes") or []:
            dst = ipaddress.ip_network(r["dst"], strict=False)
            key = (str(dst) if dst.prefixlen else "default", r.get("gw") or gws.get(dst.version))
            if key not in routes:
                raise CNIError(INVALID_CONFIG, f"{kind}: the route to {r['dst']} via {key[1]} of "
                               "prevResult is missing")


def plugin() -> Plugin:
    return SubLink()
