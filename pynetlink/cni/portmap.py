"""``pynetlink-portmap``: published ports (``runtimeConfig.portMappings``) as nftables map elements.

A chained plugin: it takes the container's addresses from ``prevResult`` and passes that
result on unchanged. Each mapping ``{hostPort, containerPort, protocol, hostIP}`` is one
element of ``DockerNat``'s publish maps in the table ``inet pynetlink_portmap`` (one
element per container address family), so ADD and DEL cost the same whatever the number
of ports on the node. PREROUTING and OUTPUT translate only connections to a local address
of the host (``fib daddr type local``), as Docker does.

With ``snat`` (default true, as the reference plugin):

- hairpin: a container connecting to a published port through a host address (its own
  port or another container's on the same bridge) is masqueraded, so the answer comes back
  through the host: an element (container subnet, container address, proto, port) of the set
  ``hairpin4``/``hairpin6``. A container reaching *itself* also needs ``hairpinMode`` on its
  bridge port (pynetlink-bridge ``"hairpinMode": true``).
- localhost: ``127.0.0.1:hostPort`` from the host works: the host interface routing to the
  container gets ``route_localnet=1`` and connections from 127.0.0.0/8 leaving to a
  container are masqueraded. IPv6 has no such sysctl: ``[::1]:hostPort`` is not forwarded.

Which elements an attachment owns is recorded, before they are made, in
``<stateDir>/<network>/<containerID>.<ifname>`` (default stateDir /run/pynetlink/cni-portmap),
so DEL and GC remove exactly those, also after a killed ADD and without prevResult.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os

from ..errors import ExistsError
from ..nft import DockerNat, Ip, Ip6, Masquerade, Meta, Nftables, Publish, Rule, Set, Th
from ..transport.flow import Flow
from .masq import remove_elements
from . import jsonlite as json
from .skel import INTERNAL, INVALID_CONFIG, CNIError, Plugin, Request, Result

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional
else:
    from .._lighttyping import Optional

TABLE, FAMILY = "pynetlink_portmap", "inet"
DEFAULT_STATE_DIR = "/run/pynetlink/cni-portmap"
HAIRPIN = {4: Set("hairpin4", ("ipv4_addr", "ipv4_addr", "inet_proto", "inet_service"), flags="interval"),
           6: Set("hairpin6", ("ipv6_addr", "ipv6_addr", "inet_proto", "inet_service"), flags="interval")}
Entry = tuple[Optional[str], str, int, str, int, str]   # host_addr, proto, host_port, to, to_port, subnet


class PortmapNat(DockerNat):
    """DockerNat (which translates only connections to a local address) plus the POSTROUTING
    masquerade of hairpin and localhost connections."""

    def _structure(self, tx: Any, *, exist_ok: bool = True) -> Any:
        super()._structure(tx, exist_ok=exist_ok)
        for s in HAIRPIN.values():
            tx.add_set(self.table, s, family=self.family)
        tx.flush(self.table, "POSTROUTING", family=self.family)
        for r in snat_rules():
            tx.add_rule(self.table, "POSTROUTING", r, family=self.family)
        return tx

    def _in_place(self) -> Flow[bool]:
        """One GETSET instead of DockerNat's rule dumps: the structure is made in one
        transaction whose last object is ``hairpin6``, so if that exists, all of it does
        (a table someone edited by hand is not repaired: delete it to rebuild)."""
        return (yield from self.nft._has_set_flow(self.table, HAIRPIN[6].name, family=self.family))

    def published(self) -> list[Publish]:
        """The publications, from the four maps only (no dump and decode of the rules)."""
        out: list[Publish] = []
        for v in self.versions:
            for m in self.maps(v)[:2]:
                try:
                    elements = self.nft.elements(self.table, m, family=self.family)
                except FileNotFoundError:
                    continue
                for key, value in elements.items():
                    host_addr = str(key[0]) if len(key) == 3 else None
                    out.append(Publish(int(key[-1]), str(value[0]), int(value[1]), str(key[-2]), host_addr))
        return out


def snat_rules() -> list[Rule]:
    out = []
    for v, f in ((4, Ip), (6, Ip6)):
        out.append(Rule([Meta.nfproto(f"ipv{v}"), (f.saddr & f.daddr & Meta.l4proto & Th.dport).in_set(HAIRPIN[v].name)],
                        [Masquerade()], comment=f"pynetlink portmap hairpin v{v}"))
    out.append(Rule([Meta.nfproto("ipv4"), Ip.saddr == "127.0.0.0/8", Ip.daddr != "127.0.0.0/8"], [Masquerade()],
                    comment="pynetlink portmap localhost"))
    return out


def mappings(req: Request) -> list[dict[str, Any]]:
    """``runtimeConfig.portMappings``, validated."""
    pms = req.runtime_config.get("portMappings") or []
    if not isinstance(pms, list):
        raise CNIError(INVALID_CONFIG, "runtimeConfig.portMappings must be a list")
    out = []
    for i, pm in enumerate(pms):
        where = f"runtimeConfig.portMappings[{i}]"
        if not isinstance(pm, dict):
            raise CNIError(INVALID_CONFIG, f"{where} must be an object")
        proto = str(pm.get("protocol") or "tcp").lower()
        if proto not in ("tcp", "udp"):
            raise CNIError(INVALID_CONFIG, f"{where}.protocol {pm.get('protocol')!r}: use tcp or udp")
        ports = []
        for key in ("hostPort", "containerPort"):
            p = pm.get(key)
            if not isinstance(p, int) or isinstance(p, bool) or not 0 < p < 65536:
                raise CNIError(INVALID_CONFIG, f"{where}.{key} {p!r} is not a port (1..65535)")
            ports.append(p)
        host_ip = pm.get("hostIP") or None
        if host_ip is not None:
            try:
                host_ip = str(ipaddress.ip_address(host_ip))
            except ValueError:
                raise CNIError(INVALID_CONFIG, f"{where}.hostIP {host_ip!r} is not an address") from None
            if ipaddress.ip_address(host_ip).is_unspecified:
                host_ip = None if host_ip == "0.0.0.0" else host_ip
        out.append({"hostPort": ports[0], "containerPort": ports[1], "protocol": proto, "hostIP": host_ip})
    return out


def entries(req: Request, prev: Optional[Result]) -> list[Entry]:
    """(host_addr, proto, host_port, to, to_port, subnet) for each mapping and container address."""
    addrs = [ipaddress.ip_interface(ip["address"]) for ip in (prev or {}).get("ips") or []]
    out: list[Entry] = []
    for pm in mappings(req):
        host_ip = pm["hostIP"]
        want = ipaddress.ip_address(host_ip).version if host_ip and host_ip != "::" else None
        if host_ip == "::":
            host_ip, want = None, 6
        for a in addrs:
            if want is None or a.version == want:
                out.append((host_ip, pm["protocol"], pm["hostPort"], str(a.ip), pm["containerPort"], str(a.network)))
    return out


class Records:
    """What each attachment published, one small JSON file each (``os.path``, not ``pathlib``:
    pathlib pulls in ``re``, ``enum`` and ``urllib``, ~3 ms of each plugin process)."""

    def __init__(self, req: Request) -> None:
        self.dir = os.path.join(str(req.config.get("stateDir") or DEFAULT_STATE_DIR), req.name)

    def path(self, cid: str, ifname: str) -> str:
        return os.path.join(self.dir, f"{cid}:{ifname}")

    def read(self, cid: str, ifname: str) -> list[Entry]:
        try:
            with open(self.path(cid, ifname), encoding="utf-8") as f:
                return [tuple(e) for e in json.loads(f.read())]
        except (OSError, ValueError):
            return []

    def write(self, cid: str, ifname: str, items: list[Entry]) -> None:
        os.makedirs(self.dir, exist_ok=True)
        tmp = os.path.join(self.dir, f".{cid}:{ifname}.{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(items))
        os.replace(tmp, self.path(cid, ifname))

    def drop(self, cid: str, ifname: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(cid, ifname))

    def all(self) -> list[tuple[str, str]]:
        try:
            names = [n for n in os.listdir(self.dir) if not n.startswith(".")]
        except FileNotFoundError:
            return []
        return [tuple(n.split(":", 1)) for n in names if ":" in n]  # type: ignore[misc]


def _publish(e: Entry) -> Publish:
    return Publish(e[2], e[3], e[4], e[1], e[0])


def _hairpin_key(e: Entry) -> tuple[str, str, str, int]:
    return (e[5], e[3], e[1], e[4])


def _key(version: int, host_addr: Optional[str], proto: str, port: int) -> tuple[int, Optional[str], str, int]:
    return (version, host_addr, proto, port)


def unpublish(nat: PortmapNat, items: list[Entry]) -> None:
    """Remove the elements of ``items`` that still point at their container (a port another
    container took since is left alone), in one transaction."""
    if not items:
        return
    current = {_key(p.version, p.host_addr, p.proto, p.host_port): (p.to, p.to_port) for p in nat.published()}
    steps: list[tuple[Any, Any]] = []
    for e in set(items):
        v = ipaddress.ip_address(e[3]).version
        if current.get(_key(v, e[0], e[1], e[2])) == (e[3], e[4]):
            pub, pub_addr, _, _ = nat.maps(v)
            steps.append((pub_addr if e[0] else pub, _publish(e).key))
        steps.append((HAIRPIN[v], _hairpin_key(e)))
    remove_elements(nat.nft, TABLE, FAMILY, steps)


def publish(nat: PortmapNat, items: list[Entry]) -> None:
    """Publish ``items``; those already published to the same place are fine (a chained
    portmap after a bridge that mapped the ports itself), a port published elsewhere is an
    error (code 7) and nothing is added."""
    current = {_key(p.version, p.host_addr, p.proto, p.host_port): p for p in nat.published()}
    todo = []
    for e in items:
        have = current.get(_key(ipaddress.ip_address(e[3]).version, e[0], e[1], e[2]))
        if have is None:
            todo.append(e)
        elif (have.to, have.to_port or have.host_port) != (e[3], e[4]):
            raise CNIError(INVALID_CONFIG, f"host port {have.proto} {have.host_addr or '*'}:{have.host_port} "
                           f"is already published (to {have.to}:{have.to_port})")
    if todo:
        try:
            nat.publish(*[_publish(e) for e in todo])
        except ExistsError:          # published by a concurrent ADD meanwhile
            raise CNIError(INVALID_CONFIG, "host port(s) " + ", ".join(f"{e[1]} {e[0] or '*'}:{e[2]}" for e in todo)
                           + " were published by someone else meanwhile") from None


def _sysctl_is_1(dev: str) -> bool:
    try:
        with open(f"/proc/sys/net/ipv4/conf/{dev}/route_localnet") as f:
            return f.read().strip() == "1"
    except OSError:
        return False


def route_localnet(items: list[Entry], prev: Result) -> None:
    """``route_localnet=1`` on the host interface routing to each IPv4 container address
    (nothing to do, and no netlink, when prevResult's host interfaces have it already)."""
    host_ifaces = [i["name"] for i in prev.get("interfaces") or [] if not i.get("sandbox")]
    if host_ifaces and _sysctl_is_1(host_ifaces[0]):
        return
    from ..api import Handle          # only here: the portmap plugin otherwise needs no rtnetlink
    with Handle() as h:
        for to in {e[3] for e in items if ipaddress.ip_address(e[3]).version == 4}:
            route = h.routes.get(to)
            dev = h.links.get(route.dev).name if route.dev else None
            if dev:
                path = f"/proc/sys/net/ipv4/conf/{dev}/route_localnet"
                with open(path) as f:
                    if f.read().strip() == "1":
                        continue
                with open(path, "w") as f:
                    f.write("1")


class Portmap(Plugin):
    """ADD publishes, DEL unpublishes what the attachment owns, CHECK looks, GC sweeps."""

    def add(self, req: Request) -> Result:
        prev = req.prev_result
        if prev is None:
            raise CNIError(INVALID_CONFIG, "pynetlink-portmap is a chained plugin: it needs a prevResult",
                           "put it after an interface plugin (e.g. pynetlink-bridge) in a conflist")
        items = entries(req, prev)
        if not items:
            return prev
        snat = req.config.get("snat", True)
        records = Records(req)
        stale = records.read(req.container_id, req.ifname)
        records.write(req.container_id, req.ifname, sorted(set(stale) | set(items), key=str))
        with Nftables() as nft:
            nat = PortmapNat(nft, TABLE, FAMILY)
            unpublish(nat, [e for e in stale if e not in items])     # left by an ADD that was killed
            try:
                publish(nat, items)
            except CNIError:
                records.write(req.container_id, req.ifname, [e for e in stale if e in items])
                raise
            if snat:
                tx = nft.transaction()
                for v, s in HAIRPIN.items():
                    keys = [_hairpin_key(e) for e in items if ipaddress.ip_address(e[3]).version == v]
                    if keys:
                        tx.add_elements(TABLE, s, keys, family=FAMILY)
                tx.commit()
        records.write(req.container_id, req.ifname, items)
        if snat:
            route_localnet(items, prev)
        return prev

    def delete(self, req: Request, nft: Optional[Nftables] = None) -> None:
        """Unpublish what the attachment owns (on ``nft``, else a socket of its own)."""
        records = Records(req)
        items = records.read(req.container_id, req.ifname)
        try:
            prev = req.prev_result
            if prev is not None:
                items += entries(req, prev)
        except (CNIError, TypeError, KeyError, ValueError):      # ADD would refuse these: the records suffice
            pass
        if items:
            with contextlib.nullcontext(nft) if nft is not None else Nftables() as n:
                unpublish(PortmapNat(n, TABLE, FAMILY), items)
        records.drop(req.container_id, req.ifname)

    def check(self, req: Request) -> None:
        prev = req.prev_result
        items = entries(req, prev) if prev else []
        with Nftables() as nft:
            have = {(p.host_addr, p.proto, p.host_port, p.to, p.to_port) for p in PortmapNat(nft, TABLE, FAMILY).published()}
        for e in items:
            if e[:5] not in have:
                raise CNIError(INTERNAL, f"port {e[1]} {e[0] or '*'}:{e[2]} is not published to {e[3]}:{e[4]}")

    def gc(self, req: Request) -> None:
        records = Records(req)
        valid = req.valid_attachments
        stale = [a for a in records.all() if a not in valid]
        if not stale:
            return
        with Nftables() as nft:
            nat = PortmapNat(nft, TABLE, FAMILY)
            for cid, ifname in stale:
                unpublish(nat, records.read(cid, ifname))
                records.drop(cid, ifname)


def plugin() -> Plugin:
    return Portmap()
