"""``pynetlink-bridge``: the Docker model (bridge, veth pair, gateway, masquerade) as a CNI plugin.

ADD: IPAM first (pynetlink's host-local in-process, any other type exec'd from CNI_PATH),
then the bridge (made if missing), a veth pair whose host end has a name derived from
(network, containerID, ifname), so a later DEL or ADD finds what a killed ADD left, the
container end made directly as ``CNI_IFNAME`` in ``CNI_NETNS``, its addresses and routes,
the gateway address on the bridge (``isGateway``), forwarding, and the masquerade elements
(``ipMasq``, see ``masq``; sent as raw nftables messages by ``masqraw``, the library's path
where that fails). A failure undoes what the ADD did and releases the addresses.

DEL never fails on what is gone: it deletes the host veth by its name (the container end
goes with it; no netns needed; started before this module loads where it can be, see
``bridgedel``), removes the masquerade elements of the addresses the
reservation (or prevResult) names (on a helper thread, while the veth's deletion waits in the
kernel), then releases the reservation.
"""
from __future__ import annotations

import errno
import os

from ..errors import InvalidArgument
from . import ipnet
from .bridgedel import alias_of, crc32, host_veth_name  # noqa: F401 (crc32: this module's API)
from .ipam import Ipam
from .skel import (INTERNAL, INVALID_CONFIG, INVALID_ENVIRONMENT, NOT_AVAILABLE, UNSUPPORTED_FIELD, CNIError, Plugin,
                   Request, Result)

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Optional
    from ..api import Handle
# the api layer (and rtnetlink below it) is imported where it is used: a DEL whose veth
# deletion started early (bridgedel, masqraw) needs only the IPAM store

TYPE = "pynetlink-bridge"
FORWARDING = {4: "net/ipv4/ip_forward", 6: "net/ipv6/conf/all/forwarding"}


class Conf:
    """The bridge plugin's fields (docs/cni.md lists them). Only ADD and CHECK validate what
    they use: DEL, GC and STATUS go on with a config ADD would refuse (cleanup first)."""

    def __init__(self, req: Request) -> None:
        c = req.config
        strict = req.command in ("ADD", "CHECK")
        self.bridge = str(c.get("bridge") or "cni0")
        if strict and (len(self.bridge) > 15 or "/" in self.bridge or " " in self.bridge):
            raise CNIError(INVALID_CONFIG, f"bridge {self.bridge!r} is not an interface name")
        self.is_default_gw = _bool(c, "isDefaultGateway", strict)
        self.is_gw = _bool(c, "isGateway", strict) or self.is_default_gw
        self.force_address = _bool(c, "forceAddress", strict)
        self.ip_masq = _bool(c, "ipMasq", strict)
        self.hairpin = _bool(c, "hairpinMode", strict)
        self.promisc = _bool(c, "promiscMode", strict)
        mtu = c.get("mtu")
        if strict:
            if c.get("vlan") or c.get("vlanTrunk"):
                raise CNIError(UNSUPPORTED_FIELD, f"vlan: {c.get('vlan') or c.get('vlanTrunk')!r} is not "
                               "supported by pynetlink-bridge")
            if mtu is not None and (not isinstance(mtu, int) or isinstance(mtu, bool) or not 68 <= mtu <= 65535):
                raise CNIError(INVALID_CONFIG, f"mtu: {mtu!r} is not an MTU (68..65535)")
        self.mtu: Optional[int] = mtu if isinstance(mtu, int) else None
        self.ipam = Ipam(req)
        self.host_veth = host_veth_name(req.name, req.container_id, req.ifname)
        self.alias = alias_of(req.name, req.container_id, req.ifname)
        # ``capabilities.portMappings`` on the bridge: it maps the ports itself, saving the
        # portmap plugin's process start (see docs/cni.md)
        caps = c.get("capabilities") or {}
        self.portmap = isinstance(caps, dict) and caps.get("portMappings") is True


def _bool(c: dict[str, Any], key: str, strict: bool = True) -> bool:
    v = c.get(key, False)
    if not isinstance(v, bool):
        if strict:
            raise CNIError(INVALID_CONFIG, f"{key}: {v!r} is not true or false")
        return bool(v)
    return v


# -- the host --------------------------------------------------------------------------------
def _sysctl(path: str, value: str) -> None:
    with open(f"/proc/sys/{path}") as f:
        if f.read().strip() == value:
            return
    with open(f"/proc/sys/{path}", "w") as f:
        f.write(value)


def ensure_bridge(h: Handle, conf: Conf) -> Any:
    """The bridge, made (up, with a MAC of its own) if missing; error if the name is not a bridge."""
    try:
        view = h.links.get(conf.bridge)
    except FileNotFoundError:
        mac = ":".join(f"{b:02x}" for b in bytes([0x02]) + os.urandom(5))
        from ..api import Bridge               # the link kinds load when ADD makes links
        try:
            h.links.create(Bridge(conf.bridge, mtu=conf.mtu, mac=mac), up=True)
        except FileExistsError:          # another ADD made it meanwhile
            pass
        view = h.links.get(conf.bridge)
    if view.kind != "bridge":
        raise CNIError(INVALID_CONFIG, f"{conf.bridge} exists and is a {view.kind or 'device'}, not a bridge",
                       "choose another \"bridge\" name")
    if not view.up or (conf.promisc and "promisc" not in view.flags):
        h.links.set(conf.bridge, up=True, promisc=True if conf.promisc else None)
    return view


def gateway_addresses(h: Handle, conf: Conf, ips: list[dict[str, Any]]) -> None:
    """Put each gateway on the bridge (``isGateway``), as the reference: another IPv4 address
    (or an overlapping IPv6 one) is an error unless ``forceAddress`` replaces it."""
    dumped = h.addresses.dump(conf.bridge)
    # by version, parsed when a gateway of that version is wanted: the other family's addresses
    # (an IPv4 network's bridge has its IPv6 link-local one) neither match nor conflict
    have: dict[int, list[Any]] = {}
    for ip in ips:
        if not ip.get("gateway"):
            continue
        net = ipnet.ip_interface(ip["address"]).network
        want = ipnet.ip_interface(f"{ip['gateway']}/{net.prefixlen}")
        same = have.get(want.version)
        if same is None:
            same = have[want.version] = [ipnet.ip_interface(f"{a.address}/{a.prefixlen}") for a in dumped
                                         if (":" in a.address) == (want.version == 6)]
        if any(a == want for a in same):
            continue
        for a in same:
            if a.version == 6 and not a.network.overlaps(want.network):
                continue
            if a.version == 6 and a.ip.is_link_local:
                continue
            if not conf.force_address:
                raise CNIError(INVALID_CONFIG, f"{conf.bridge} already has the address {a}, not {want}",
                               "set \"forceAddress\": true to replace it, or use another bridge")
            h.addresses.delete(conf.bridge, str(a))
        try:
            h.addresses.add(conf.bridge, str(want), broadcast=True if want.version == 4 else None)
        except FileExistsError:
            pass
        same.append(want)


def remove_host_veth(h: Handle, conf: Conf, meanwhile: Optional[Callable[[], Any]] = None) -> bool:
    """Delete the attachment's host veth (its container end goes with it) if it is there and
    carries the attachment's alias; a link of that name owned by another attachment (a hash
    collision) is left alone. Returns whether one was deleted.

    ``meanwhile`` runs on a helper thread while the deletion waits in the kernel (RCU grace
    periods, ~15 ms), or here when there is nothing to delete; its error is raised once the
    deletion is over."""
    task = None
    try:
        try:
            view = h.links.get(conf.host_veth)
            if view.alias is not None and view.alias != conf.alias:
                return False
            if meanwhile is not None:
                from .background import Background
                task, meanwhile = Background(meanwhile), None
            h.links.delete(conf.host_veth)
            return True
        except (FileNotFoundError, OSError) as e:
            if getattr(e, "errno", None) in (errno.ENODEV, errno.ENOENT):
                return False
            raise
    finally:
        if task is not None:
            task.wait()
        elif meanwhile is not None:
            meanwhile()


def routes_of(res: Result, conf: Conf) -> list[dict[str, Any]]:
    """IPAM routes, plus a default route per family with a gateway (``isDefaultGateway``)."""
    routes = [dict(r) for r in res.get("routes") or []]
    if conf.is_default_gw:
        for ip in res.get("ips") or []:
            gw = ip.get("gateway")
            if not gw:
                continue
            dst = "0.0.0.0/0" if ipnet.ip_address(gw).version == 4 else "::/0"
            if not any(r["dst"] == dst for r in routes):
                routes.append({"dst": dst, "gw": gw})
    return routes


def _gateway_for(res: Result, version: int) -> Optional[str]:
    return next((ip["gateway"] for ip in res.get("ips") or []
                 if ip.get("gateway") and ipnet.ip_address(ip["gateway"]).version == version), None)


def configure_container(req: Request, res: Result, routes: list[dict[str, Any]]) -> tuple[str, Optional[int]]:
    """Inside CNI_NETNS: the interface up, its addresses, its routes. Returns (mac, mtu)."""
    from ..api import Handle, NetNS, Route
    if any(ipnet.ip_interface(ip["address"]).version == 4 for ip in res.get("ips") or []):
        NetNS.open(req.netns).set_sysctl(f"net.ipv4.conf.{req.ifname}.arp_notify", 1)   # gratuitous ARP when up
    with Handle(req.netns) as h:
        with h.batch() as b:
            b.links.set(req.ifname, up=True)
            for ip in res.get("ips") or []:
                iface = ipnet.ip_interface(ip["address"])
                v6 = iface.version == 6
                b.addresses.add(req.ifname, str(iface), flags=("nodad",) if v6 else (),
                                broadcast=None if v6 else True)
        with h.batch() as b:
            for r in routes:
                version = ipnet.ip_network(r["dst"], strict=False).version
                gw = r.get("gw") or _gateway_for(res, version)
                dst = "default" if ipnet.ip_network(r["dst"], strict=False).prefixlen == 0 else r["dst"]
                # appended, not exclusive: a container on a second network gets its default
                # route too (the reference plugin adds it without NLM_F_EXCL as well)
                b.routes.append(Route(dst, via=gw, dev=req.ifname, family=version) if gw
                                else Route(dst, dev=req.ifname, family=version))
        view = h.links.get(req.ifname)
        return str(view.mac), view.mtu


def addresses_in_container(req: Request) -> list[str]:
    """CNI_IFNAME's global addresses in CNI_NETNS (DEL's last resort for a foreign IPAM
    without prevResult); none if the namespace or interface is gone."""
    if not req.netns:
        return []
    from ..api import Handle
    try:
        with Handle(req.netns) as h:
            return [f"{a.address}/{a.prefixlen}" for a in h.addresses.dump(req.ifname)
                    if not ipnet.ip_address(a.address).is_link_local]
    except (OSError, InvalidArgument):          # no namespace, no interface
        return []


def nftables() -> Any:
    """An nftables socket, imported on first use: a bridge without ``ipMasq`` or port
    mappings never loads pynetlink.nft."""
    from ..nft.ruleset import Nftables
    return Nftables()


def dns_of(req: Request, res: Result) -> dict[str, Any]:
    """The config's ``dns`` when it sets anything (as the reference bridge), else the IPAM's."""
    conf_dns = req.config.get("dns")
    if isinstance(conf_dns, dict) and any(conf_dns.get(k) for k in ("nameservers", "domain", "search", "options")):
        return dict(conf_dns)
    return dict(res.get("dns") or {})


def container_mac(req: Request) -> Optional[str]:
    """The MAC asked for: ``CNI_ARGS`` ``MAC=`` or ``runtimeConfig.mac`` (capability ``mac``)."""
    for where, value in (("CNI_ARGS MAC", req.args.get("MAC")), ("runtimeConfig.mac", req.runtime_config.get("mac"))):
        if not value:
            continue
        parts = str(value).split(":")
        if len(parts) != 6 or not all(len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts):
            raise CNIError(INVALID_ENVIRONMENT if where.startswith("CNI") else INVALID_CONFIG,
                           f"{where} {value!r} is not a MAC address like 02:42:ac:11:00:02")
        if int(parts[0], 16) & 1:
            raise CNIError(INVALID_ENVIRONMENT if where.startswith("CNI") else INVALID_CONFIG,
                           f"{where} {value!r} is a multicast address: the first octet must be even")
        return str(value).lower()
    return None


def chained(req: Request, prev: Result) -> Request:
    """``req`` as the next plugin of a chain sees it: ``prevResult`` = ``prev``."""
    from .skel import to_result
    return Request(req.command, req.container_id, req.netns, req.ifname, req.args, req.path,
                   {**req.config, "prevResult": to_result(prev, req.version)}, req.stdin, req.env)


class BridgePlugin(Plugin):
    """ADD, DEL, CHECK, STATUS, GC of the bridge plugin."""

    def add(self, req: Request) -> Result:
        conf = Conf(req)
        mac = container_mac(req)
        res = conf.ipam.run(req, "ADD", converge=True) or {"ips": [], "routes": [], "dns": {}}
        try:
            return self._add(req, conf, res, mac)
        except BaseException:
            self._undo(req, conf, res)
            raise

    def _add(self, req: Request, conf: Conf, res: Result, mac: Optional[str]) -> Result:
        ips = [dict(ip) for ip in res.get("ips") or []]
        return self._attach(req, conf, res, mac, ips, routes_of(res, conf))

    def _attach(self, req: Request, conf: Conf, res: Result, mac: Optional[str], ips: list[dict[str, Any]],
                routes: list[dict[str, Any]]) -> Result:
        from ..api import BridgePort, Handle, Veth      # not loaded by DEL
        with Handle() as h:
            br = ensure_bridge(h, conf)
            remove_host_veth(h, conf)                     # left by an ADD that was killed
            try:
                # alias and hairpin after the create, not with it: pynetlink sends those as
                # follow-up messages by name, which would reach another link of that name
                h.links.create(Veth(conf.host_veth, peer=req.ifname, peer_netns=req.netns, master=conf.bridge,
                                    mtu=conf.mtu, peer_mtu=conf.mtu, peer_mac=mac), up=True)
            except FileExistsError:
                from .linkutil import link_exists       # only on this error path
                if link_exists(h, conf.host_veth):
                    raise CNIError(INTERNAL, f"host interface {conf.host_veth} belongs to another attachment "
                                   "(a name hash collision)", "rename the container's interface (CNI_IFNAME)") from None
                raise CNIError(INVALID_ENVIRONMENT, f"the container already has an interface named "
                               f"{req.ifname} (CNI_IFNAME)", f"netns {req.netns}") from None
            except FileNotFoundError:
                raise CNIError(INVALID_ENVIRONMENT, f"CNI_NETNS {req.netns} does not exist") from None
            h.links.set(conf.host_veth, alias=conf.alias)
            if conf.hairpin:
                h.links.set_port(conf.host_veth, BridgePort(hairpin=True))
            if conf.is_gw:
                gateway_addresses(h, conf, ips)
                for v in {ipnet.ip_interface(ip["address"]).version for ip in ips}:
                    _sysctl(FORWARDING[v], "1")
            host = h.links.get(conf.host_veth)
            br = h.links.get(conf.bridge)
        cmac, cmtu = configure_container(req, {**res, "ips": ips}, routes)
        if conf.ip_masq and ips:
            from . import masqraw                       # raw: without nftables' layers
            if not masqraw.add([ipnet.ip_interface(ip["address"]) for ip in ips]):
                from . import masq                      # what it could not do, with its error
                with nftables() as nft:
                    masq.add(nft, [ip["address"] for ip in ips])
        ctr: dict[str, Any] = {"name": req.ifname, "mac": cmac, "sandbox": req.netns}
        if cmtu:
            ctr["mtu"] = cmtu
        out: Result = {"interfaces": [{"name": conf.bridge, "mac": str(br.mac)},
                                      {"name": conf.host_veth, "mac": str(host.mac)}, ctr],
                       "ips": [{**ip, "interface": 2} for ip in ips],
                       "routes": routes, "dns": dns_of(req, res)}
        if conf.portmap and req.runtime_config.get("portMappings"):
            from .portmap import Portmap
            Portmap().add(chained(req, out))
        return out

    def _undo(self, req: Request, conf: Conf, res: Result) -> None:
        try:
            if conf.portmap:
                from .portmap import Portmap
                Portmap().delete(req)
            from ..api import Handle
            with Handle() as h:
                remove_host_veth(h, conf)
            if conf.ip_masq and res.get("ips"):
                from . import masq
                with nftables() as nft:
                    masq.remove(nft, [ip["address"] for ip in res["ips"]])
        finally:
            conf.ipam.run(req, "DEL")

    def delete(self, req: Request) -> None:
        conf = Conf(req)
        if req.prelude is not None:                 # the veth's deletion started before the imports
            self._delete_started(req, conf)
            return
        # the attachment's addresses: prevResult's, the reservation's, or, last, the
        # container's (read before its interface goes)
        addresses = (conf.ipam.addresses(req) or addresses_in_container(req)) if conf.ip_masq else []
        # the NAT and port cleanup, then the release of the addresses (the reference plugin
        # releases them before deleting its veth), run while the veth's deletion waits in the
        # kernel, and so does the close of the nftables socket (which waits for the deferred
        # release of the deleted set elements, another RCU grace period)
        from ..api import Handle
        with Handle() as h:
            remove_host_veth(h, conf, meanwhile=lambda: self._delete_nat_and_release(req, conf, addresses))

    def _delete_started(self, req: Request, conf: Conf) -> None:
        """DEL while ``req.prelude`` (bridgedel) deletes the host veth (and first, with
        ``ipMasq``, the masquerade elements: masqraw): the NAT it did not do, the ports and the
        addresses' release here meanwhile, then the deletion's outcome (through the library
        if the prelude could not tell)."""
        try:
            nat = req.prelude.nat
            if nat is not None and nat.wait():          # before the addresses are released
                addresses: list[str] = []
            else:
                addresses = conf.ipam.addresses(req) if conf.ip_masq else []
            self._delete_nat_and_release(req, conf, addresses)
        finally:
            done = req.prelude.wait()
        if done is None:
            from ..api import Handle
            with Handle() as h:
                remove_host_veth(h, conf)

    @classmethod
    def _delete_nat_and_release(cls, req: Request, conf: Conf, addresses: list[str]) -> None:
        cls._delete_nat(req, conf, addresses)
        conf.ipam.run(req, "DEL")

    @staticmethod
    def _delete_nat(req: Request, conf: Conf, addresses: list[str]) -> None:
        """DEL's masquerade elements (of ``addresses``) and port mappings."""
        if conf.portmap or addresses:
            from . import masq
            with nftables() as nft:                        # one socket for both
                if conf.portmap:
                    from .portmap import Portmap
                    Portmap().delete(req, nft)
                masq.remove(nft, addresses)

    def check(self, req: Request) -> None:
        from .check import check_bridge
        conf = Conf(req)
        conf.ipam.run(req, "CHECK")
        check_bridge(req, conf)
        if conf.portmap:
            from .portmap import Portmap
            Portmap().check(req)

    def status(self, req: Request) -> None:
        conf = Conf(req)
        if not os.path.isdir("/sys/class/net") or not os.access("/proc/sys/net", os.R_OK):
            raise CNIError(NOT_AVAILABLE, "no /sys/class/net or /proc/sys/net: cannot manage links")
        if conf.ip_masq or conf.portmap:
            try:
                with nftables() as nft:
                    nft.generation()
            except OSError as e:
                raise CNIError(NOT_AVAILABLE, f"nftables is not usable (ipMasq/portMappings need it): {e}") from None
        conf.ipam.run(req, "STATUS")

    def gc(self, req: Request) -> None:
        conf = Conf(req)
        conf.ipam.run(req, "GC")
        if conf.portmap:
            from .portmap import Portmap
            Portmap().gc(req)
        subnets, keep = conf.ipam.reserved(req)
        if conf.ip_masq and subnets:
            from . import masq
            with nftables() as nft:
                masq.gc(nft, subnets, keep)


def plugin() -> Plugin:
    return BridgePlugin()
