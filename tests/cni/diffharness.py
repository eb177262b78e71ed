"""Differential harness: run a CNI plugin as a runtime does and read back what it did.

A plugin is exec'd with the CNI environment and the config on stdin, inside a throwaway
"host" namespace the test made (``nsenter --net=``), with ``CNI_PATH`` a tmp dir of
symlinks and a fresh container namespace. ``Harness.cycle`` runs ADD (and CHECK), reads
the result JSON and the state of both namespaces with ``ip -j -d`` and ``nft -j``, runs DEL
and checks nothing of the container is left. State is normalised into flat ``path -> value``
dicts (random MACs, ifindexes, generated host names replaced by what they mean), so two runs
of different plugins with the same config compare field by field; ``diff`` reports every
difference not on an explicit allow-list of documented ones.

Only namespaces made here are touched; they are deleted on exit, also on failure.
"""
from __future__ import annotations

import copy
import fnmatch
import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from pynetlink.transport import NetNS

from ..conftest import unique_name
from .invoke import Call, installed, invoke

REFERENCE_DIR = Path("/usr/lib/cni")
Setup = Callable[[NetNS], None]
Probe = Callable[[NetNS, NetNS, Any], Any]
Flat = dict[str, Any]

# link fields compared; everything else of `ip -j -d link` (counters, queues, ids) is noise
LINK_FIELDS = ("mtu", "operstate", "group", "promiscuity", "allmulti", "min_mtu", "max_mtu")
# bridge/port fields that hold ids made of random MACs or port numbers
NOISE = {"id", "no", "port_id", "port_no", "designated_port", "designated_cost", "designated_bridge",
         "designated_root", "bridge_id", "root_id", "root_port"}
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


def ip_j(ns: NetNS, *args: str) -> Any:
    out = run(["ip", "-j", "-d", "-n", ns.name, *args], check=True).stdout
    return json.loads(out) if out.strip() else []


def nft_j(ns: NetNS) -> list[dict[str, Any]]:
    """The namespace's nftables ruleset (iptables-nft rules included), handles dropped."""
    out = run(["nsenter", f"--net={ns.path}", "--", "nft", "-j", "list", "ruleset"], check=True).stdout
    items = json.loads(out)["nftables"] if out.strip() else []
    return [_drop(i, "handle") for i in items if "metainfo" not in i]


def _drop(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return {k: _drop(v, key) for k, v in obj.items() if k != key}
    if isinstance(obj, list):
        return [_drop(v, key) for v in obj]
    return obj


@dataclass
class Raw:
    """State of one namespace as ip/nft print it."""

    links: list[dict[str, Any]]
    addrs: list[dict[str, Any]]
    routes: list[dict[str, Any]]
    nft: list[dict[str, Any]] = field(default_factory=list)


def raw_state(ns: NetNS, with_nft: bool = False) -> Raw:
    routes = ip_j(ns, "-4", "route", "show", "table", "all") + ip_j(ns, "-6", "route", "show", "table", "all")
    return Raw(ip_j(ns, "link", "show"), ip_j(ns, "addr", "show"), routes, nft_j(ns) if with_nft else [])


def settled(ns: NetNS, with_nft: bool = False, timeout: float = 3.0) -> Raw:
    """``raw_state`` once the kernel has stopped changing it on its own (carrier, IPv6
    link-local addresses and their routes appear asynchronously after a link goes up)."""
    deadline = time.monotonic() + timeout
    last = raw_state(ns, with_nft)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = raw_state(ns, with_nft)
        if _stable(now) == _stable(last) and _up_done(now):
            return now
        last = now
    return last


def _up_done(r: Raw) -> bool:
    """Every link set up has its carrier and its IPv6 link-local address (linkwatch and
    addrconf do that up to a second after the link went up)."""
    ll = {x["ifname"] for x in r.addrs for a in x.get("addr_info", []) if a["local"].startswith("fe80:")}
    return all("LOWER_UP" in x["flags"] and x["ifname"] in ll
               for x in r.links if "UP" in x["flags"] and "LOOPBACK" not in x["flags"])


def _stable(r: Raw) -> str:
    return json.dumps([[{k: v for k, v in x.items() if k != "stats64"} for x in r.links],
                       [[(a["local"], a.get("tentative")) for a in x.get("addr_info", [])] for x in r.addrs],
                       [_route_key(x) for x in r.routes], r.nft], sort_keys=True)


@dataclass
class Env:
    """The CNI environment of a call, apart from CNI_COMMAND and CNI_PATH."""

    netns: str
    ifname: str = "eth0"
    containerid: str = "ctr0123456789"
    args: str = ""


class Plugins:
    """A plugin dir: symlinks to the reference plugins, and pynetlink's plugins installed."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        for exe in sorted(REFERENCE_DIR.iterdir()) if REFERENCE_DIR.is_dir() else []:
            (path / exe.name).symlink_to(exe)
        installed(path)


def exec_plugin(host: NetNS, plugins: Plugins, ptype: str, command: str, conf: Mapping[str, Any],
                env: Env) -> Call:
    """Exec plugin ``ptype`` (from the plugin dir) in ``host`` as a runtime does."""
    return invoke(plugins.path / ptype, command, dict(conf), host=host.name, netns=env.netns,
                  container_id=env.containerid, ifname=env.ifname, args=env.args, path=[plugins.path])


# ---------------------------------------------------------------- normalisation

def _mac_class(mac: str | None, known: Mapping[str, str]) -> str | None:
    """A MAC as what it is: a known one by its name ('parent', 'given'), else 'random'."""
    if mac is None:
        return None
    mac = mac.lower()
    return known.get(mac, "random" if MAC_RE.match(mac) else mac)


def norm_links(raw: Raw, *, other: Mapping[int, str], macs: Mapping[str, str],
               rename: Mapping[str, str]) -> Flat:
    """Links by (renamed) name: kind, flags, mtu, master/parent by name, mode, MAC class."""
    flat: Flat = {}
    for link in raw.links:
        name = rename.get(link["ifname"], link["ifname"])
        p = f"links.{name}"
        info = link.get("linkinfo", {})
        flat[f"{p}.kind"] = info.get("info_kind")
        flat[f"{p}.flags"] = sorted(f for f in link.get("flags", []) if f != "LOWER_UP") + (
            ["LOWER_UP"] if "LOWER_UP" in link.get("flags", []) else [])
        flat[f"{p}.mac"] = _mac_class(link.get("address"), macs)
        for key in LINK_FIELDS:
            flat[f"{p}.{key}"] = link.get(key)
        flat[f"{p}.master"] = link.get("master")
        if "link_index" in link:           # parent in another namespace (link_netnsid)
            flat[f"{p}.parent"] = other.get(link["link_index"], "?")
        elif "link" in link:
            flat[f"{p}.parent"] = rename.get(link["link"], link["link"])
        for part, data in (("info", info.get("info_data", {})), ("port", info.get("info_slave_data", {}))):
            for k, v in sorted(data.items()):
                if k.endswith("_timer") or k in NOISE:
                    continue
                flat[f"{p}.{part}.{k}"] = _mac_class(v, macs) if isinstance(v, str) and MAC_RE.match(v) else v
    return flat


def norm_addrs(raw: Raw, *, rename: Mapping[str, str]) -> Flat:
    """Addresses by interface: prefix, scope, flags; link-local IPv6 (MAC-derived) as 'fe80::/64'."""
    flat: Flat = {}
    for link in raw.addrs:
        name = rename.get(link["ifname"], link["ifname"])
        for a in link.get("addr_info", []):
            local = a["local"]
            key = "fe80::/64" if local.startswith("fe80:") else f"{local}/{a['prefixlen']}"
            flags = sorted(k for k in ("noprefixroute", "nodad", "tentative", "dadfailed", "optimistic",
                                       "deprecated", "mngtmpaddr", "dynamic", "secondary")
                           if a.get(k))
            flat[f"addrs.{name}.{key}"] = {"scope": a.get("scope"), "broadcast": a.get("broadcast"),
                                           "flags": flags}
    return flat


def norm_routes(raw: Raw, *, rename: Mapping[str, str]) -> Flat:
    """Routes keyed by table, type, destination and device; fe80 ones keyed as 'fe80::/64'."""
    flat: Flat = {}
    for r in raw.routes:
        dev = r.get("dev")
        dev = rename.get(dev, dev) if dev else dev
        dst = r.get("dst", "")
        if dst.startswith("fe80::") and dst != "fe80::/64":
            dst = "fe80::(link-local host)"
        key = f"routes.{r.get('table', 'main')}.{r.get('type', 'unicast')}.{dst}.{dev}"
        flat[key] = {k: r.get(k) for k in ("gateway", "protocol", "scope", "prefsrc", "metric", "pref")
                     if r.get(k) is not None} | ({"flags": sorted(r["flags"])} if r.get("flags") else {})
    return flat


def norm_result(result: Any, macs: Mapping[str, str]) -> Flat:
    """A CNI result flattened: lists by index, MACs classified."""
    flat: Flat = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            if not v:
                flat[prefix] = {}
            for k, x in v.items():
                walk(f"{prefix}.{k}", x)
        elif isinstance(v, list):
            if not v:
                flat[prefix] = []
            for i, x in enumerate(v):
                walk(f"{prefix}[{i}]", x)
        elif prefix.endswith(".mac") and isinstance(v, str):
            flat[prefix] = _mac_class(v, macs)
        else:
            flat[prefix] = v
    walk("result", result)
    return flat


def _index(raw: Raw) -> dict[int, str]:
    return {link["ifindex"]: link["ifname"] for link in raw.links}


# ---------------------------------------------------------------- one cycle

@dataclass
class Outcome:
    """What one ADD/CHECK/DEL cycle of a plugin produced, raw and normalised."""

    add: Call
    check: Call | None
    delete: Call | None
    flat: Flat                                          # normalised, comparable
    ctr: Raw | None = None                              # raw container state after ADD
    host: Raw | None = None                             # raw host state after ADD
    leftovers: list[str] = field(default_factory=list)  # what DEL left behind


def with_datadir(conf: Mapping[str, Any], datadir: Path) -> dict[str, Any]:
    """``conf`` with every host-local style IPAM's ``dataDir`` (the plugin's own when it is
    host-local) and every portmap's ``stateDir`` in a tmp dir, unless already set (the default
    /var/lib/cni and /run must never be used by tests)."""
    conf = copy.deepcopy(dict(conf))
    for plugin in conf.get("plugins", [conf]):
        for section in (plugin, plugin.get("ipam")):
            if isinstance(section, dict) and str(section.get("type", "")).endswith("host-local"):
                section.setdefault("dataDir", str(datadir))
        if str(plugin.get("type", "")).endswith("portmap"):
            plugin.setdefault("stateDir", str(datadir.with_name(datadir.name + "-portmap")))
    return conf


OURS = {"bridge", "host-local", "portmap", "macvlan", "ipvlan"}


def to_pynetlink(conf: Mapping[str, Any]) -> dict[str, Any]:
    """``conf`` with every reference plugin type (main, chained, ``ipam``) replaced by pynetlink's."""
    def swap(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: (f"pynetlink-{v}" if k == "type" and v in OURS else swap(v)) for k, v in x.items()}
        if isinstance(x, list):
            return [swap(v) for v in x]
        return x
    return swap(copy.deepcopy(dict(conf)))  # type: ignore[no-any-return]


class Harness:
    """Throwaway namespaces and a plugin dir for differential runs (a context manager)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.plugins = Plugins(tmp / "plugins")
        self.made: list[NetNS] = []
        self._runs = 0

    def __enter__(self) -> "Harness":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def netns(self, tag: str) -> NetNS:
        ns = NetNS.create(unique_name(tag))
        self.made.append(ns)
        ns.set_sysctl("net.ipv6.conf.all.accept_dad", 0)
        ns.set_sysctl("net.ipv6.conf.default.accept_dad", 0)
        run(["ip", "-n", ns.name, "link", "set", "lo", "up"], check=True)
        return ns

    def close(self) -> None:
        for ns in reversed(self.made):
            try:
                ns.delete()
            except FileNotFoundError:
                pass
        self.made.clear()

    def cycle(self, conf: Mapping[str, Any], setup: Setup | None = None, *,
              env: Mapping[str, str] = {}, check: bool = True, with_nft: bool = False,
              macs: Mapping[str, str] = {}, keep: bool = False, ctr_setup: Setup | None = None,
              probe: Probe | None = None) -> Outcome:
        """ADD (then CHECK and DEL) of ``conf`` (one plugin's config, or a conflist with
        ``plugins``: each ADDed in order with the previous result, DELeted in reverse) in
        fresh namespaces, the plugins found by their ``type`` in the plugin dir.

        ``setup(host)`` prepares the host namespace (a parent link...), ``ctr_setup(ctr)`` the
        container's. ``env``: Env fields (ifname, containerid, args). ``macs``: MAC -> name,
        for MACs with a meaning ('given'). ``probe(host, ctr, result)`` after ADD: its value is
        compared as ``probe`` (traffic, say). ``keep``: no CHECK/DEL (namespaces go at close)."""
        self._runs += 1
        host, ctr = self.netns("h"), self.netns("c")
        if setup is not None:
            setup(host)
        if ctr_setup is not None:
            ctr_setup(ctr)
        datadir = self.tmp / f"ipam{self._runs}"
        conf = with_datadir(conf, datadir)
        e = Env(netns=ctr.path, **env)
        host_before, ctr_before = settled(host, with_nft), settled(ctr)
        add = self.chain(host, conf, "ADD", e)
        host_after, ctr_after = settled(host, with_nft), settled(ctr)
        known = dict(macs)
        for link in host_before.links:
            if link.get("address"):
                known.setdefault(link["address"].lower(), f"host:{link['ifname']}")
        flat = self.normalise(add, host_before, host_after, ctr_after, known, ctr)
        flat |= {f"ipam.{k}": v for k, v in store(datadir).items()}
        if probe is not None and add.rc == 0:
            flat["probe"] = probe(host, ctr, add.json)
        chk = dele = None
        left: list[str] = []
        if add.rc != 0:                     # a failed ADD must leave nothing either
            left = leftovers(host_before, host_after, ctr_before, ctr_after)
        elif not keep:
            if check and conf.get("cniVersion") not in ("0.3.0", "0.3.1"):
                chk = self.chain(host, conf, "CHECK", e, add.json)
            dele = self.chain(host, conf, "DEL", e, add.json)
            ips = [str(i["address"]).split("/")[0] for i in (add.json or {}).get("ips") or []]
            left = leftovers(host_before, raw_state(host, with_nft), ctr_before, raw_state(ctr), ips)
            left += [f"IPAM store {k}" for k in store(datadir) if not k.endswith(("/lock", "last_reserved_ip.0",
                                                                                   "last_reserved_ip.1"))]
        return Outcome(add, chk, dele, flat, ctr_after, host_after, left)

    def chain(self, host: NetNS, conf: Mapping[str, Any], command: str, e: Env, prev: Any = None) -> Call:
        """``command`` through the plugins of ``conf`` as a runtime does (libcni): ADD in
        order, each given the previous result; CHECK in order and DEL in reverse, each given
        ``prev``. Stops at the first failure; returns the failing or the last call."""
        plugins = [{"cniVersion": conf["cniVersion"], "name": conf["name"], **p}
                   for p in conf.get("plugins", [conf])]
        if command == "DEL":
            plugins.reverse()
        call: Call | None = None
        for p in plugins:
            if prev is not None:
                p["prevResult"] = prev
            call = exec_plugin(host, self.plugins, p["type"], command, p, e)
            if call.rc != 0:
                return call
            if command == "ADD":
                prev = call.json
        assert call is not None
        return call

    @staticmethod
    def normalise(add: Call, host_before: Raw, host_after: Raw, ctr: Raw, macs: Mapping[str, str],
                  ctr_ns: NetNS) -> Flat:
        """Container state, the host's changes and the result as one flat dict. New host veths
        read 'host-veth0', 'host-veth1'... (their names are random in the reference); in the
        result the container's path reads '<CNI_NETNS>' and a MAC of a link 'ctr:NAME' or
        'host:NAME'."""
        before = {link["ifname"] for link in host_before.links}
        new_veths = sorted(x["ifname"] for x in host_after.links if x["ifname"] not in before
                           and x.get("linkinfo", {}).get("info_kind") == "veth")
        rename = {n: f"host-veth{i}" for i, n in enumerate(new_veths)}
        hidx = {i: rename.get(n, n) for i, n in _index(host_after).items()}
        flat: Flat = {"rc": add.rc}
        if add.rc != 0:
            err = add.json if isinstance(add.json, dict) else {"raw": add.json}
            flat["error.code"] = err.get("code")
            return flat
        named: dict[str, str] = {}         # links sharing a MAC: the first by (normalised) name
        for name, mac in sorted((rename.get(x["ifname"], x["ifname"]), x["address"].lower())
                                for x in host_after.links if x.get("address") and x["ifname"] not in before):
            named.setdefault(mac, f"host:{name}")
        named |= {x["address"].lower(): f"ctr:{x['ifname']}" for x in ctr.links if x.get("address")}
        flat |= {k: "<CNI_NETNS>" if v == ctr_ns.path else rename.get(v, v) if isinstance(v, str) else v
                 for k, v in norm_result(add.json, {**macs, **named}).items()}
        flat |= {f"ctr.sysctl.{k}": v for k, v in sysctls(ctr_ns, [x["ifname"] for x in ctr.links]).items()}
        flat |= {f"ctr.{k}": v for k, v in norm_ns(ctr, hidx, macs, {}).items()}
        hb = norm_ns(host_before, _index(ctr), macs, {})
        ha = norm_ns(host_after, _index(ctr), macs, rename)
        for k in sorted(set(hb) | set(ha)):
            if hb.get(k) != ha.get(k):
                flat[f"host.{k}"] = ha.get(k, "<gone>")
        if host_after.nft != host_before.nft:
            flat["host.nft"] = "changed"
        return flat


def norm_ns(raw: Raw, other: Mapping[int, str], macs: Mapping[str, str], rename: Mapping[str, str]) -> Flat:
    """A namespace's links, addresses and routes, normalised (``other``: the peer namespace's
    ifindex -> name, for links whose parent or peer is there)."""
    return (norm_links(raw, other=other, macs=macs, rename=rename) | norm_addrs(raw, rename=rename)
            | norm_routes(raw, rename=rename))


def store(datadir: Path) -> dict[str, str]:
    """An IPAM dataDir's files (host-local's layout) -> content: path relative to the dir."""
    if not datadir.is_dir():
        return {}
    return {str(p.relative_to(datadir)): p.read_text() for p in sorted(datadir.rglob("*")) if p.is_file()}


SYSCTLS = ("ipv4/conf/{}/arp_notify", "ipv4/conf/{}/proxy_arp", "ipv4/conf/{}/forwarding",
           "ipv6/conf/{}/disable_ipv6", "ipv6/conf/{}/accept_ra", "ipv6/conf/{}/accept_dad",
           "ipv4/ip_forward")


def sysctls(ns: NetNS, ifnames: list[str]) -> dict[str, str]:
    """The per-interface sysctls plugins set (arp_notify, disable_ipv6...) of ``ifnames``."""
    keys = sorted({k.format(n) for n in ifnames for k in SYSCTLS})
    script = 'for k in "$@"; do printf "%s=%s\\n" "$k" "$(cat /proc/sys/net/$k 2>/dev/null)"; done'
    out = run(["nsenter", f"--net={ns.path}", "--", "sh", "-c", script, "sh", *keys], check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def leftovers(host_before: Raw, host_after: Raw, ctr_before: Raw, ctr_after: Raw,
              addresses: list[str] = []) -> list[str]:
    """What a DEL left of the container: links, addresses, routes beyond the fresh container
    namespace's; in the host, new links other than bridges (a bridge is the network's and
    stays, as the reference leaves it, with its addresses and routes), and any nftables
    object naming one of the container's ``addresses``."""
    out = []
    for what, b, a in (("container", ctr_before, ctr_after), ("host", host_before, host_after)):
        bl = {x["ifname"] for x in b.links}
        shared = {x["ifname"] for x in a.links if what == "host" and x["ifname"] not in bl
                  and x.get("linkinfo", {}).get("info_kind") == "bridge"}
        out += [f"{what} link {x['ifname']}" for x in a.links if x["ifname"] not in bl | shared]
        ba = {(x["ifname"], i["local"]) for x in b.addrs for i in x.get("addr_info", [])}
        out += [f"{what} address {n} {ad}" for n, ad in
                ((x["ifname"], i["local"]) for x in a.addrs for i in x.get("addr_info", []))
                if (n, ad) not in ba and n not in shared]
        br = {json.dumps(_route_key(r)) for r in b.routes}
        out += [f"{what} route {k}" for r in a.routes if r.get("dev") not in shared
                for k in [json.dumps(_route_key(r))] if k not in br]
        text = json.dumps(a.nft)
        out += [f"{what} nftables still names {ip}" for ip in addresses if f'"{ip}"' in text]
    return out


def _route_key(r: Mapping[str, Any]) -> dict[str, Any]:
    return {k: r.get(k) for k in ("table", "type", "dst", "dev", "gateway")}


# ---------------------------------------------------------------- comparison

@dataclass(frozen=True)
class Difference:
    path: str
    reference: Any
    ours: Any


def diff(reference: Flat, ours: Flat, allow: Mapping[str, str] = {}) -> list[Difference]:
    """Every path whose values differ, except those on the allow-list (the path itself, or an
    fnmatch pattern; each mapped to the documented reason)."""
    out = []
    for k in sorted(set(reference) | set(ours)):
        a, b = reference.get(k, "<absent>"), ours.get(k, "<absent>")
        if a != b and not any(k == pat or fnmatch.fnmatchcase(k, pat) for pat in allow):
            out.append(Difference(k, a, b))
    return out


def assert_same(ref: Outcome, ours: Outcome, allowed: Mapping[str, str], ref_check_fails: str = "") -> None:
    """No difference beyond ``allowed``; CHECK and DEL succeed and DEL leaves nothing (for the
    reference, CHECK fails with ``ref_check_fails`` when that is given: a reference bug). A
    failed ADD of ours leaves nothing (the reference's may: runtimes DEL after a failed ADD)."""
    d = diff(ref.flat, ours.flat, allowed)
    assert not d, f"differences beyond the documented ones:\n{explain(d)}"
    for o, who in ((ref, "reference"), (ours, "pynetlink")):
        if o.add.rc == 0:
            assert o.delete is not None and o.delete.rc == 0, f"{who}: {o.delete}"
            if o is ref and ref_check_fails:
                assert o.check is not None and ref_check_fails in o.check.stdout, o.check
            else:
                assert o.check is None or o.check.rc == 0, f"{who}: {o.check}"
        if o.add.rc == 0 or o is ours:     # a failed ADD: the reference may leave it to the DEL
            assert o.leftovers == [], f"{who} left {o.leftovers}"


def explain(diffs: list[Difference]) -> str:
    return "\n".join(f"  {d.path}: reference={d.reference!r} ours={d.ours!r}" for d in diffs)


# ---------------------------------------------------------------- host set-ups

def lan_parent(name: str = "eth0", addr: str = "198.51.100.10/24", gw: str | None = "198.51.100.1",
               mtu: int | None = None) -> Setup:
    """Host set-up: ``name`` is a veth whose other end ('lan0') stays in the host namespace,
    up, with ``addr`` and a default route via ``gw`` (the reference's default master)."""
    def setup(host: NetNS) -> None:
        cmds = [["link", "add", name, *(["mtu", str(mtu)] if mtu else []), "type", "veth", "peer",
                 "name", "lan0"], ["link", "set", "lan0", "up"], ["link", "set", name, "up"],
                ["addr", "add", addr, "dev", name]]
        if gw:
            cmds.append(["route", "add", "default", "via", gw, "dev", name])
        for c in cmds:
            run(["ip", "-n", host.name, *c], check=True)
    return setup


