"""``Networks``: Docker-style networks on one host (a namespace), kept in a state directory.

```python
nets = Networks("h1", state_dir="/tmp/h1")          # host namespace; None = this one
nets.create("net01", driver="macvlan", options={"parent": "eth0"}, subnet="172.16.0.0/24",
            gateway="172.16.0.254", aux_addresses={"host1": "172.16.0.1"})
nets.connect("net01", "web01", ip="172.16.0.3")     # a namespace by name, path or pid
nets.connect_many("net01", ["c1", "c2", "c3"])      # one batch for the host side
nets.remove("net01", force=True)                    # everything it made, nothing else
```
Every change holds the host's lock, records its intent first and undoes its own steps on
failure; a run killed half-way is finished (or cleaned) by the next run of the same call.
Records of a host namespace that was deleted (even if a new one has its name now) are stale:
they are never shown, and the next change (or ``prune()``) drops them and releases their
addresses; ``forget_namespace(name)`` does it for a namespace just deleted.
"""
from __future__ import annotations

import builtins
import contextlib
import datetime
import hashlib
import ipaddress
import logging
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, Union

from .._bounded import Bounded
from ..api import Handle
from ..transport import NetNS
from . import attach, host, names, overlay, ports, probe
from .context import Ctx, Nat, opened
from .errors import CapacityError, Exists, InUse, NotFound, OptionError
from .ipam import IPAM
from .model import Endpoint, Network, parse_publish, publish_text
from .options import BRIDGED, NetworkConfig, Pool, container_addresses, make_pools, network_config
from .store import Store, default_state_dir, is_stale, ns_identity, overlaps, span, spans_of, subnets_of
from .undo import Undo
from ..transport.signals import deferred

NetnsRef = Union[NetNS, str, int, "os.PathLike[str]"]
log = logging.getLogger("pynetlink.networks")
DEFAULT_POOLS = [f"172.{n}.0.0/16" for n in range(17, 32)] + \
    [f"192.168.{n}.0/20" for n in range(0, 256, 16)]


@dataclass(frozen=True)
class Attach:
    """A container to connect, with its own options (for ``connect_many``)."""

    container: NetnsRef
    ip: str | Sequence[str] | None = None
    ifname: str | None = None
    publish: Sequence[str] = ()
    vlan: int | None = None                     # networks/ports.py: VLAN-aware bridge networks
    bandwidth: Mapping[str, Any] | None = None  # ingress/egress rate (bit/s) and burst (bytes)


class Networks:
    """The networks of one host namespace (``host=None``: the caller's own)."""

    def __init__(self, host: NetnsRef | None = None, *,
                 state_dir: str | os.PathLike[str] | None = None,
                 ipam_dir: str | os.PathLike[str] | None = None) -> None:
        """``state_dir`` holds this host's records (default /run/pynetlink, or
        /run/pynetlink/netns/NAME for a named host namespace); ``ipam_dir`` the address
        allocations (default: ``state_dir``). Hosts sharing one ``ipam_dir`` never hand out
        the same address on networks of the same name (a macvlan LAN across hosts)."""
        self.host = None if host is None else _open_ns(host, "host")
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir(self.host)
        self.ipam_dir = Path(ipam_dir) if ipam_dir is not None else self.state_dir
        self.store = Store(self.state_dir)
        self.dropped: builtins.list[Network] = []    # stale records this instance dropped
        self._hosted: tuple[int, builtins.list[int] | None, Handle] | None = None
        self._nat = Nat()               # the host's nftables socket and what it saw (as _hosted)
        self._ipams: Bounded[tuple[str, tuple[Pool, ...], str], IPAM] = Bounded(1024)    # see _ipam
        weakref.finalize(self, self._nat.close)

    def _handle(self) -> Handle:
        """The host's rtnetlink Handle, kept open across changes (a connect of one container
        does not start a namespace helper for it each time); a new one when the host
        namespace was replaced, and in a forked child (never the parent's socket).
        ``close`` (or garbage collection) closes it."""
        key = (os.getpid(), self._identity())
        if self._hosted is None or self._hosted[:2] != key:
            self.close()
            h = Handle(self.host)
            weakref.finalize(self, h.close)
            self._hosted = (*key, h)
        return self._hosted[2]

    def close(self) -> None:
        """Close the host Handle and nftables socket this instance keeps (opened again when
        needed)."""
        if self._hosted is not None:
            self._hosted[2].close()      # in a forked child: its own copy of the descriptor
            self._hosted = None
        self._nat.close()

    def _opened(self, rec: dict[str, Any]) -> contextlib.AbstractContextManager[Ctx]:
        """A Ctx for a change of ``rec`` on this instance's host Handle and nftables socket."""
        handle = self._handle()
        return opened(self.host, self.store, rec, handle, self._nat)

    def __repr__(self) -> str:
        return f"Networks({self.host!r}, state_dir={str(self.state_dir)!r})"

    # -- reading ----------------------------------------------------------------------------
    def get(self, name: str) -> Network:
        rec = self.store.load(name)
        if self._stale(rec, self._identity()):
            raise NotFound(f"no network named {name!r}: its record is stale (it belonged to "
                           f"{self._host_label()} before that namespace was deleted)")
        return Network.from_record(rec)

    def list(self) -> builtins.list[Network]:
        """The networks of this host (stale records of a deleted namespace are left out)."""
        ident = self._identity()
        return [Network.from_record(r) for r in self.store.all() if not self._stale(r, ident)]

    # -- stale records ------------------------------------------------------------------------
    def _identity(self) -> builtins.list[int] | None:
        return None if self.host is None else ns_identity(self.host.path)

    def _stale(self, rec: dict[str, Any], ident: builtins.list[int] | None) -> bool:
        """The caller's own namespace (``host=None``) is never judged: another namespace
        sharing the state directory does not make its records stale."""
        return self.host is not None and is_stale(rec, ident)

    def prune(self) -> builtins.list[Network]:
        """Drop the records of a host namespace that is gone or was replaced by a new one of
        the same name (see ``forget_namespace``); returns the networks dropped. Every change
        does this first, so it is only needed to clean up without changing anything."""
        with self.store.locked():
            return self._prune()

    def _prune(self) -> builtins.list[Network]:
        if self.host is None:
            return []
        ident = self._identity()
        out = [_drop(self.store, self.store.load(r["config"]["name"]), self.ipam_dir, self._host_label())
               for r in self.store.summaries() if is_stale(r, ident)]
        self.dropped += out
        return out

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The host's lock, with stale records dropped first."""
        with self.store.locked():
            self._prune()
            yield

    def _ipam(self, rec: dict[str, Any], cfg: NetworkConfig | None = None) -> IPAM:
        """The network's allocations, in the IPAM directory its record names (the one it was
        created with), whatever this instance's ``ipam_dir``; ``cfg``: the record's config,
        parsed already."""
        cfg = cfg or NetworkConfig.from_dict(rec["config"])
        key = (cfg.name, cfg.pools, str(rec.get("ipam_dir") or self.ipam_dir))
        got = self._ipams.get(key)          # (an IPAM keeps no state between calls)
        if got is None:
            got = self._ipams.put(key, IPAM(cfg.name, cfg.pools, key[2]))
        return got

    # -- create / remove ---------------------------------------------------------------------
    def create(self, name: str, *, driver: str = "bridge",
               options: Mapping[str, str] | Sequence[str] | None = None,
               subnet: str | Sequence[str] | None = None, gateway: str | Sequence[str] | None = None,
               ip_range: str | Sequence[str] | None = None,
               aux_addresses: Mapping[str, str] | Sequence[str] | None = None,
               exist_ok: bool = False, ipv6: bool | None = None, internal: bool = False,
               labels: Mapping[str, str] | Sequence[str] | None = None) -> Network:
        """Create a network from Docker's options (see ``network_config``)."""
        cfg = network_config(name, driver=driver, options=options, subnet=subnet, gateway=gateway,
                             ip_range=ip_range, aux_addresses=aux_addresses, ipv6=ipv6,
                             internal=internal, labels=labels)
        return self.create_from(cfg, exist_ok=exist_ok)

    def create_from(self, cfg: NetworkConfig, *, exist_ok: bool = False) -> Network:
        """Create a network from a checked config; an interrupted earlier create is finished."""
        with self._locked():
            others = [r for r in self.store.summaries() if r["config"]["name"] != cfg.name]
            if self.store.exists(cfg.name):
                rec = self.store.load(cfg.name)
                if rec["state"] == "ready":
                    same = _same(NetworkConfig.from_dict(rec["config"]), cfg)
                    if exist_ok and same:
                        return Network.from_record(rec)
                    raise Exists(f"network {cfg.name} exists already"
                                 + ("" if same else " with other options") + "; remove it first")
                with self._opened(rec) as ctx:      # interrupted: clean, redo
                    host.teardown(ctx, others)
            if not cfg.pools:
                cfg = cfg.with_pools(self._default_pool(others))
            if cfg.ipv6 and not any(p.version == 6 for p in cfg.pools):
                cfg = cfg.with_pools(cfg.pools + _default_v6_pool(cfg.name, others))
            self._check_conflicts(cfg, others)
            probe.require_kinds(self.host, cfg)          # a missing link kind fails here, not at connect
            rec = {"config": cfg.to_dict(), "id": names.network_id(cfg.name), "state": "creating",
                   "host": self._host_label(), "host_ns": self._identity(),
                   "ipam_dir": str(self.ipam_dir), "made": {}, "endpoints": {},
                   "created": datetime.datetime.now(datetime.timezone.utc).isoformat()}
            with self._opened(rec) as ctx, Undo() as undo:
                with deferred():
                    self.store.save(rec)
                    undo.push(f"forget network {cfg.name}", lambda: self.store.delete(cfg.name))
                host.build(ctx, undo)
                with deferred():             # ready and committed, or rolled back
                    rec["state"] = "ready"
                    ctx.save()
                    undo.commit()
            return Network.from_record(rec)

    def _host_label(self) -> str:
        return "" if self.host is None else (self.host.name or self.host.path)

    def _default_pool(self, others: builtins.list[dict[str, Any]]) -> tuple[Pool, ...]:
        used = [s for r in others for s in spans_of(r)]
        for cand in DEFAULT_POOLS:
            mine = span(ipaddress.ip_network(cand))
            if not any(overlaps(mine, u) for u in used):
                return make_pools(cand)
        raise OptionError("--subnet", "every default pool is in use; give a --subnet")

    def _check_conflicts(self, cfg: NetworkConfig, others: builtins.list[dict[str, Any]]) -> None:
        mine = [(p, span(p.subnet)) for p in cfg.pools]
        for rec in others:             # summaries: compared without parsing their configs
            theirs = spans_of(rec)
            for p, s in mine:
                if any(overlaps(s, t) for t in theirs):
                    q = next(q for q in subnets_of(rec) if overlaps(s, span(q)))
                    raise OptionError("--subnet", f"{p.subnet} overlaps {q} of network "
                                                  f"{rec['config']['name']}")
            if cfg.parent and rec["config"].get("parent") == cfg.parent:
                raise Exists(f"network {rec['config']['name']} already uses parent interface {cfg.parent}")
            if cfg.bridged and cfg.bridge_name and rec["config"].get("driver") in BRIDGED \
                    and rec.get("made", {}).get("bridge") == cfg.bridge_name:
                raise Exists(f"network {rec['config']['name']} already uses bridge {cfg.bridge_name}")

    def remove(self, name: str, *, force: bool = False) -> None:
        """Remove a network and everything it made; ``force`` disconnects its containers first."""
        with self._locked():
            rec = self.store.load(name)
            if rec.get("endpoints") and not force and rec["state"] == "ready":
                n = len(rec["endpoints"])
                raise InUse(f"network {name} has {n} container{'s' * (n != 1)} connected; "
                            "disconnect them or remove with force")
            rec["state"] = "removing"
            self.store.save(rec)
            others = [r for r in self.store.summaries() if r["config"]["name"] != name]
            with self._opened(rec) as ctx:
                ipam = self._ipam(rec)
                eps = list(ctx.endpoints.values())
                if eps:
                    attach.detach_many(ctx, ipam, eps)
                host.teardown(ctx, others)
                ipam.destroy(only_if_empty=True)
            self.store.delete(name)

    # -- connect / disconnect ------------------------------------------------------------------
    def connect(self, network: str, container: NetnsRef, *, ip: str | Sequence[str] | None = None,
                ifname: str | None = None, publish: Sequence[str] = (), vlan: int | None = None,
                bandwidth: Mapping[str, Any] | None = None) -> Endpoint:
        """Connect one container (a namespace by NetNS, name, path or pid); ``vlan`` and
        ``bandwidth``: networks/ports.py."""
        return self.connect_many(network, [Attach(container, ip, ifname, publish, vlan, bandwidth)])[0]

    def connect_many(self, network: str, containers: Iterable[NetnsRef | Attach], *,
                     progress: attach.Progress | None = None,
                     spread: Sequence[str] = ()) -> builtins.list[Endpoint]:
        """Connect many containers in one go: all of them, or (on error) none.

        A container connected already is not an error if the call asks for nothing it does
        not have (an address, ``ifname`` or ports given that differ: Exists): its endpoint is
        returned as it is, so re-running a completed (or interrupted) call converges.

        A bridge holds at most 1023 ports; with ``spread`` (names of other networks) the
        containers that do not fit on ``network`` go to those, in order.
        """
        items = [c if isinstance(c, Attach) else Attach(c) for c in containers]
        if not spread:
            return self._connect(network, items, progress)
        nets = [network, *spread]
        placed = self._placed(nets, items)        # connected by an earlier run: stay there
        found: dict[int, Endpoint] = {}
        for net in nets:
            mine = [i for i, n in placed.items() if n == net]
            if mine:
                found.update(zip(mine, self._connect(net, [items[i] for i in mine], None)))
        todo = [i for i in range(len(items)) if i not in placed]
        done = 0
        for net in nets:
            room = self._room(net)
            chunk, todo = todo[:room], todo[room:]
            if chunk:
                def sub(i: int, n: int, base: int = done, left: int = len(todo)) -> None:
                    if progress is not None:
                        progress(base + i, base + n + left)
                found.update(zip(chunk, self._connect(net, [items[i] for i in chunk], sub)))
                done += len(chunk)
            if not todo:
                return [found[i] for i in range(len(items))]
        raise CapacityError(f"{len(todo)} containers did not fit on {network} and "
                            f"{', '.join(spread)} (the first {done} were connected)")

    def _placed(self, nets: Sequence[str], items: Sequence[Attach]) -> dict[int, str]:
        """Which of ``nets`` each item is connected to already (index -> network)."""
        out: dict[int, str] = {}
        for net in nets:
            rec = self.store.load(net)
            eps = {e["id"] for e in rec.get("endpoints", {}).values() if e["state"] == "connected"}
            for i, item in enumerate(items):
                if i not in out and names.endpoint_id(rec["id"], _open_ns(item.container, "container").path) in eps:
                    out[i] = net
        return out

    def _room(self, network: str) -> int:
        net = self.get(network)
        if not net.config.bridged:
            return 1 << 30
        with self._opened(self.store.load(network)) as ctx:
            return max(0, attach.BRIDGE_MAX_PORTS - len(ctx.handle.links.dump(master=net.bridge)))

    def _connect(self, network: str, items: Sequence[Attach],
                 progress: attach.Progress | None) -> builtins.list[Endpoint]:
        with self._locked():
            rec = self.store.load(network)
            if rec["state"] != "ready":
                raise NotFound(f"network {network} is {rec['state']}, not ready; "
                               "re-run its create (or remove it)")
            with self._opened(rec) as ctx:
                cfg = ctx.config
                wants, stale, there = self._wants(ctx, cfg, items)
                if stale:                       # interrupted connects: clean, then redo
                    attach.clean_stale(ctx, stale)
                eps: builtins.list[dict[str, Any]] = []
                if wants:
                    with Undo() as undo:
                        eps = attach.attach_many(ctx, self._ipam(rec, cfg), wants, undo, progress)
                        undo.commit()
            made = iter(eps)
            return [Endpoint.from_dict(there[i] if i in there else next(made))
                    for i in range(len(items))]

    def _wants(self, ctx: Ctx, cfg: NetworkConfig, items: Sequence[Attach]) -> tuple[
            builtins.list[attach.Want], builtins.list[dict[str, Any]], dict[int, dict[str, Any]]]:
        """What to connect, the endpoints of interrupted connects to clean first, and the
        items already connected with the same options (index -> endpoint)."""
        wants, stale, seen, there = [], [], set(), {}
        host_ino = os.stat(self.host.path if self.host else "/proc/self/ns/net").st_ino
        taken = self._ifnames_in_use(cfg.name)
        for i, item in enumerate(items):
            ns = _open_ns(item.container, "container")
            if os.stat(ns.path).st_ino == host_ino:
                raise OptionError("container", f"{item.container!r} is the host namespace itself")
            ep_id = names.endpoint_id(ctx.id, ns.path)
            if ep_id in seen:
                raise OptionError("container", f"{item.container!r} is listed twice")
            seen.add(ep_id)
            ips = [item.ip] if isinstance(item.ip, str) else list(item.ip or ())
            explicit = container_addresses(cfg.pools, ips)
            pubs = [publish_text(parse_publish(p)) for p in item.publish]
            if item.publish and not cfg.bridged:
                raise OptionError("--publish", f"publishing ports needs a bridge network, "
                                               f"{cfg.name} is {cfg.driver}")
            attach.check_publish(cfg, _label(item.container, ns), item.publish)
            if item.vlan is not None or item.bandwidth is not None:
                from .ports import check_attach
                check_attach(cfg, item.vlan, item.bandwidth)
            if item.ifname is not None:
                from .options import ifname as check_ifname
                check_ifname(item.ifname, "ifname")
            old = ctx.endpoints.get(ep_id)
            if old is not None and old["state"] == "connected":
                there[i] = _already(cfg.name, item, old, explicit, pubs)
                continue
            if old is not None:
                stale.append(old)
            ifname = item.ifname or self._next_ifname(taken.get(ns.path, set()))
            taken.setdefault(ns.path, set()).add(ifname)
            wants.append(attach.Want(_label(item.container, ns), ns, ep_id, ifname, explicit,
                                     tuple(item.publish), item.vlan, item.bandwidth))
        return wants, stale, there

    def _ifnames_in_use(self, network: str) -> dict[str, set[str]]:
        """Interface names our other networks gave each container (eth0, eth1, ...)."""
        out: dict[str, set[str]] = {}
        for rec in self.store.summaries():
            if rec["config"]["name"] == network:
                continue
            for netns, ifname in rec["ifnames"].items():
                out.setdefault(netns, set()).add(ifname)
        return out

    @staticmethod
    def _next_ifname(used: set[str]) -> str:
        n = 0
        while f"eth{n}" in used:
            n += 1
        return f"eth{n}"

    # -- overlay: containers on other hosts (networks/overlay.py) ---------------------------
    def add_remotes(self, network: str, remotes: Iterable[overlay.Remote]) -> None:
        """Static entries for containers on other hosts (``overlay.add_remotes``)."""
        with self._locked(), opened(self.host, self.store, self.store.load(network)) as ctx:
            overlay.add_remotes(ctx, builtins.list(remotes))

    def remove_remotes(self, network: str, macs: Iterable[str]) -> None:
        with self._locked(), opened(self.host, self.store, self.store.load(network)) as ctx:
            overlay.remove_remotes(ctx, builtins.list(macs))

    def disconnect(self, network: str, container: NetnsRef) -> None:
        """Disconnect one container (its namespace may already be gone)."""
        self.disconnect_many(network, [container])

    def disconnect_many(self, network: str, containers: Iterable[NetnsRef]) -> None:
        with self._locked():
            rec = self.store.load(network)
            with self._opened(rec) as ctx:
                eps = [self._find(ctx, c) for c in containers]
                attach.detach_many(ctx, self._ipam(rec, ctx.config), eps)

    def _find(self, ctx: Ctx, container: NetnsRef) -> dict[str, Any]:
        label = container if isinstance(container, str) else str(container)
        try:
            ns = _open_ns(container, "container")
            ep = ctx.endpoints.get(names.endpoint_id(ctx.id, ns.path))
            if ep is not None:
                return ep
        except NotFound:
            pass
        for ep in ctx.endpoints.values():      # a namespace that is gone: by the name given
            if label in (ep["container"], ep["netns"]):
                return ep
        raise NotFound(f"container {label} is not connected to network {ctx.config.name}")


def forget_namespace(name: str, *, state_dir: str | os.PathLike[str] | None = None,
                     ipam_dir: str | os.PathLike[str] | None = None) -> builtins.list[Network]:
    """Drop the network records of the named host namespace ``name`` after it was deleted
    (``pynetlink netns del`` does this): its links, addresses, routes, sysctls and nftables
    rules died with it; the records go, and the addresses they hold are released. If a new
    namespace has the name already, only records of the old one go. ``state_dir`` defaults
    to the named host's (/run/pynetlink/netns/NAME). Returns the networks dropped."""
    ns = NetNS.named(name)
    store = Store(Path(state_dir) if state_dir is not None else default_state_dir(ns))
    if not store.dir.is_dir():
        return []
    fallback = Path(ipam_dir) if ipam_dir is not None else store.dir
    with store.locked():
        ident = ns_identity(ns.path)
        return [_drop(store, store.load(r["config"]["name"]), fallback, name)
                for r in store.summaries() if is_stale(r, ident)]


def _drop(store: Store, rec: dict[str, Any], ipam_dir: Path, host: str) -> Network:
    """Forget a stale record (its host namespace is gone): what it made in the kernel went
    with the namespace (leftover container links are removed if provably ours); the
    addresses of its endpoints are released in the store it recorded."""
    net = Network.from_record(rec)
    cfg = net.config
    eps = list(rec.get("endpoints", {}).values())
    links = sum(attach.remove_orphan(net.id, ep) for ep in eps)
    ipam = IPAM(cfg.name, cfg.pools, rec.get("ipam_dir") or ipam_dir)
    released = ipam.release_many([ep["id"] for ep in eps])
    ipam.destroy(only_if_empty=True)
    store.delete(cfg.name)
    log.warning("dropped the stale record of network %s (%s): its host namespace %s was deleted; "
                "released %d address set(s)%s", cfg.name, net.state, host or "(unnamed)",
                len(released), f", deleted {links} leftover container link(s)" if links else "")
    return net


def _open_ns(ref: NetnsRef, what: str) -> NetNS:
    try:
        return NetNS.open(ref)
    except FileNotFoundError:
        raise NotFound(f"no {what} network namespace {ref!r}") from None


def _label(ref: NetnsRef, ns: NetNS) -> str:
    if isinstance(ref, NetNS):
        return ref.name or ref.path
    return os.fspath(ref) if not isinstance(ref, int) else str(ref)


def _already(network: str, item: Attach, old: dict[str, Any], explicit: Mapping[int, Any],
             pubs: Sequence[str]) -> dict[str, Any]:
    """``old``, the endpoint of a container connected already, if ``item`` asks for nothing
    else (an address, interface name, ports, vlan or bandwidth given that differ); else
    Exists says what."""
    have = [a.split("/")[0] for a in old["addresses"]]
    diff = [f"ip {a} (it has {', '.join(have)})" for a in map(str, explicit.values()) if a not in have]
    if item.ifname is not None and item.ifname != old["ifname"]:
        diff.append(f"ifname {item.ifname} (it has {old['ifname']})")
    if sorted(pubs) != sorted(old.get("publish", ())):
        diff.append(f"publish {', '.join(pubs) or 'none'} "
                    f"(it has {', '.join(old.get('publish', ())) or 'none'})")
    diff += ports.differences(item.vlan, item.bandwidth, old)
    if diff:
        raise Exists(f"container {item.container} is already connected to network {network} "
                     f"(as {old['ifname']} {', '.join(old['addresses'])}) with other options: "
                     f"{'; '.join(diff)}; disconnect it first to change them")
    return old


def _same(a: NetworkConfig, b: NetworkConfig) -> bool:
    """Whether ``a`` (made) is what ``b`` asks for; pools ``b`` left to create (none, or no
    IPv6 one with ``ipv6``) may be anything."""
    if a.to_dict() == b.to_dict() or (not b.pools and a.with_pools(()) == b):
        return True
    asked = {p.version for p in b.pools}
    return set(b.pools) <= set(a.pools) and all(p.version not in asked for p in a.pools
                                                 if p not in b.pools) and a.with_pools(()) == b.with_pools(())


def _default_v6_pool(name: str, others: builtins.list[dict[str, Any]]) -> tuple[Pool, ...]:
    """A unique local /64 (fd00::/8, RFC 4193) for ``--ipv6`` without an IPv6 subnet: its
    global ID is drawn from the network's name, so a re-run picks the same one."""
    used = [s for r in others for s in spans_of(r)]
    for n in range(64):
        digest = hashlib.sha256(f"ula:{name}:{n}".encode()).digest()
        net = ipaddress.IPv6Network((b"\xfd" + digest[:5] + bytes(10), 64))
        if not any(overlaps(span(net), u) for u in used):
            return make_pools(str(net))
    raise OptionError("--ipv6", "no free IPv6 pool found; give an IPv6 --subnet")
