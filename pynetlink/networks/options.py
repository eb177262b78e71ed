"""The option language of ``docker network create``, checked before anything changes.

``network_config()`` turns ``-d``, ``-o KEY=VALUE``, ``--subnet``, ``--gateway``,
``--ip-range`` and ``--aux-address`` into a frozen ``NetworkConfig``. Every mistake raises
``OptionError`` naming the option and saying how to fix it: a gateway with a prefix, a
misspelt ``-o`` key (the valid ones are listed), duplicate aux addresses, a gateway,
address or ip-range outside its subnet, a subnet with host bits set.
"""
from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence, Union

from ..errors import InvalidArgument
from ..transport import validate
from .errors import OptionError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNet = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

DRIVERS = ("bridge", "macvlan", "ipvlan", "overlay")
BRIDGED = ("bridge", "overlay")      # drivers whose containers plug into a bridge by veth
MACVLAN_MODES = ("bridge", "private", "vepa", "passthru", "source")
IPVLAN_MODES = ("l2", "l3", "l3s")
IPVLAN_FLAGS = ("bridge", "private", "vepa")
_NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")

# -o keys per driver: canonical name -> accepted spellings (Docker's long names too)
_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "bridge": {
        "bridge_name": ("bridge_name", "com.docker.network.bridge.name"),
        "mtu": ("mtu", "com.docker.network.driver.mtu"),
        "masquerade": ("masquerade", "com.docker.network.bridge.enable_ip_masquerade"),
        "enable_icc": ("enable_icc", "com.docker.network.bridge.enable_icc"),
        "host_binding_ipv4": ("host_binding_ipv4", "com.docker.network.bridge.host_binding_ipv4"),
        "vlan": ("vlan",),                 # a VLAN-aware bridge (networks/ports.py)
    },
    "macvlan": {
        "parent": ("parent",),
        "macvlan_mode": ("macvlan_mode",),
        "mtu": ("mtu", "com.docker.network.driver.mtu"),
    },
    "ipvlan": {
        "parent": ("parent",),
        "ipvlan_mode": ("ipvlan_mode",),
        "ipvlan_flag": ("ipvlan_flag",),
        "mtu": ("mtu", "com.docker.network.driver.mtu"),
    },
    "overlay": {      # VXLAN across hosts with static peers (networks/overlay.py)
        "vni": ("vni", "com.docker.network.driver.overlay.vxlanid_list"),
        "peers": ("peers", "peer"),
        "local": ("local",),
        "dstport": ("dstport", "port"),
        "mtu": ("mtu", "com.docker.network.driver.mtu"),
        "masquerade": ("masquerade", "com.docker.network.bridge.enable_ip_masquerade"),
    },
}


@dataclass(frozen=True)
class Pool:
    """One subnet of a network: its gateway, the range addresses come from, reserved names."""

    subnet: IPNet
    gateway: IPAddress
    ip_range: IPNet
    aux: tuple[tuple[str, IPAddress], ...] = ()

    @property
    def version(self) -> int:
        return self.subnet.version

    def reserved(self) -> frozenset[IPAddress]:
        """Addresses never handed to a container: network, broadcast, gateway, aux."""
        out: set[IPAddress] = {self.subnet.network_address, self.gateway}
        if self.subnet.version == 4 and self.subnet.prefixlen < 31:
            out.add(self.subnet.broadcast_address)
        out.update(ip for _, ip in self.aux)
        return frozenset(out)

    def to_dict(self) -> dict[str, Any]:
        return {"subnet": str(self.subnet), "gateway": str(self.gateway),
                "ip_range": str(self.ip_range), "aux_addresses": {n: str(ip) for n, ip in self.aux}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Pool":
        return cls(ipaddress.ip_network(d["subnet"]), ipaddress.ip_address(d["gateway"]),
                   ipaddress.ip_network(d["ip_range"]),
                   tuple((n, ipaddress.ip_address(ip)) for n, ip in d["aux_addresses"].items()))


@dataclass(frozen=True)
class NetworkConfig:
    """What the user asked for, validated. ``pools`` may be empty: one is chosen at create."""

    name: str
    driver: str = "bridge"
    pools: tuple[Pool, ...] = ()
    parent: str | None = None
    mode: str | None = None          # macvlan_mode or ipvlan_mode
    flag: str | None = None          # ipvlan_flag
    bridge_name: str | None = None
    mtu: int | None = None
    masquerade: bool = True
    options: tuple[tuple[str, str], ...] = field(default=())
    ipv6: bool = False               # --ipv6 (implied by an IPv6 subnet)
    internal: bool = False           # --internal: no masquerade, no route out
    icc: bool = True                 # -o enable_icc=false: containers isolated from each other
    host_binding_ipv4: str | None = None    # the host address of ports published without one
    labels: tuple[tuple[str, str], ...] = field(default=())

    @property
    def bridged(self) -> bool:
        """Containers plug into a bridge on the host by veth (bridge and overlay drivers)."""
        return self.driver in BRIDGED

    @property
    def vlan(self) -> tuple[str, int] | None:
        """(link, VLAN id) when the parent names a VLAN sub-interface (``eth0.30``)."""
        return vlan_of(self.parent) if self.parent else None

    def with_pools(self, pools: tuple[Pool, ...]) -> "NetworkConfig":
        return dataclasses.replace(self, pools=pools)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "driver": self.driver,
                "pools": [p.to_dict() for p in self.pools], "parent": self.parent,
                "mode": self.mode, "flag": self.flag, "bridge_name": self.bridge_name,
                "mtu": self.mtu, "masquerade": self.masquerade, "options": dict(self.options),
                "ipv6": self.ipv6, "internal": self.internal, "icc": self.icc,
                "host_binding_ipv4": self.host_binding_ipv4, "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "NetworkConfig":
        return cls(d["name"], d["driver"], tuple(Pool.from_dict(p) for p in d["pools"]),
                   d["parent"], d["mode"], d["flag"], d["bridge_name"], d["mtu"],
                   bool(d["masquerade"]), tuple(d["options"].items()),
                   bool(d.get("ipv6", any(":" in p["subnet"] for p in d["pools"]))),
                   bool(d.get("internal", False)), bool(d.get("icc", True)),
                   d.get("host_binding_ipv4"), tuple(d.get("labels", {}).items()))


def docker_options(cfg: NetworkConfig) -> dict[str, str]:
    """The ``-o`` options as ``docker network inspect`` shows them: Docker's long key where
    there is one (``com.docker.network.bridge.name``), else the key as given."""
    keys = _KEYS.get(cfg.driver, {})
    return {next((k for k in keys.get(canon, ()) if k.startswith("com.docker.")), canon): value
            for canon, value in cfg.options}


def vlan_of(parent: str) -> tuple[str, int] | None:
    """``eth0.30`` -> ("eth0", 30); None for a plain interface name."""
    link, dot, vid = parent.rpartition(".")
    if not dot or not link or not vid.isdigit():
        return None
    return link, int(vid)


def ifname(value: str, option: str) -> str:
    """A name the kernel takes as given (transport.validate.ifname: 1-15 bytes, no NUL, '/',
    ':' or whitespace, not '.' or '..')."""
    try:
        return validate.ifname(value, option)
    except InvalidArgument as exc:
        raise OptionError(option, str(exc).removeprefix(f"{option}: ")) from None


def check_network_name(name: str) -> str:
    if not isinstance(name, str) or not _NETWORK_NAME.match(name):
        raise OptionError("name", f"invalid network name {name!r}: use letters, digits, '_', '.', "
                                  "'-' (up to 64, starting with a letter or digit)")
    return name


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_driver(driver: str) -> str:
    if driver not in DRIVERS:
        raise OptionError("-d", f"unknown driver {driver!r}{_suggest(driver, DRIVERS)} "
                                f"(drivers: {', '.join(DRIVERS)})")
    return driver


def parse_kv(items: Iterable[str] | Mapping[str, str], option: str) -> list[tuple[str, str]]:
    """``["k=v", ...]`` or a mapping -> [(k, v), ...]; 'k' without '=' is refused."""
    if isinstance(items, Mapping):
        return [(str(k), str(v)) for k, v in items.items()]
    if isinstance(items, str):
        items = [items]
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise OptionError(option, f"expected KEY=VALUE, got {item!r}")
        out.append((key.strip(), value.strip()))
    return out


def _canonical_options(driver: str, pairs: list[tuple[str, str]]) -> dict[str, str]:
    spellings = {s: canon for canon, ss in _KEYS[driver].items() for s in ss}
    out: dict[str, str] = {}
    for key, value in pairs:
        canon = spellings.get(key)
        if canon is None:
            owner = [d for d in DRIVERS if d != driver
                     and any(key in ss for ss in _KEYS[d].values())]
            valid = ", ".join(_KEYS[driver])
            if owner:
                raise OptionError(f"-o {key}", f"is an option of the {owner[0]} driver, not "
                                               f"{driver} (options of {driver}: {valid})")
            raise OptionError(f"-o {key}", f"unknown option for driver {driver}"
                              f"{_suggest(key, spellings)} (valid options: {valid})")
        if canon in out and out[canon] != value:
            raise OptionError(f"-o {key}", f"given twice ({out[canon]!r} and {value!r})")
        out[canon] = value
    return out


def _address(value: str, option: str) -> IPAddress:
    if "/" in value:
        addr = value.split("/", 1)[0]
        raise OptionError(option, f"{value!r} has a prefix length; give the address alone "
                                  f"({option} {addr}): the subnet's prefix applies")
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise OptionError(option, f"{value!r} is not an IP address") from None


def _network(value: str, option: str) -> IPNet:
    if "/" not in value:
        raise OptionError(option, f"{value!r} needs a prefix length, e.g. {value}/24")
    try:
        return ipaddress.ip_network(value.strip())
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(value.strip(), strict=False)
            raise OptionError(option, f"{value} has host bits set; did you mean {fixed}?") from None
        raise OptionError(option, f"{value!r} is not a network in CIDR notation") from None


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _in_subnet(subnets: list[IPNet], what: IPAddress | IPNet, option: str, shown: str) -> int:
    """Index of the subnet holding ``what``; a helpful error when none does."""
    for i, net in enumerate(subnets):
        if what.version != net.version:
            continue
        if isinstance(what, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            if what.subnet_of(net):  # type: ignore[arg-type]
                return i
        elif what in net:
            return i
    if not subnets:
        raise OptionError(option, f"{shown} needs a --subnet to belong to")
    nets = ", ".join(str(n) for n in subnets)
    raise OptionError(option, f"{shown} is outside the subnet ({nets})")


def make_pools(subnet: str | Sequence[str] | None, gateway: str | Sequence[str] | None = None,
               ip_range: str | Sequence[str] | None = None,
               aux_addresses: Mapping[str, str] | Sequence[str] | None = None) -> tuple[Pool, ...]:
    """Pools from Docker's IPAM options; gateways, ranges and aux go to the subnet holding them."""
    subnets = [_network(s, "--subnet") for s in _as_list(subnet)]
    for i, a in enumerate(subnets):
        for b in subnets[:i]:
            if a.version == b.version and a.overlaps(b):
                raise OptionError("--subnet", f"{a} overlaps {b}")
    gws: dict[int, IPAddress] = {}
    for g in _as_list(gateway):
        ip = _address(g, "--gateway")
        i = _in_subnet(subnets, ip, "--gateway", f"gateway {ip}")
        if i in gws:
            raise OptionError("--gateway", f"two gateways ({gws[i]}, {ip}) for {subnets[i]}")
        net = subnets[i]
        if net.prefixlen < net.max_prefixlen - 1 and ip == net.network_address:
            raise OptionError("--gateway", f"{ip} is the network address of {net}; "
                                           f"use a host address such as {next(net.hosts())}")
        if net.version == 4 and net.prefixlen < 31 and ip == net.broadcast_address:
            raise OptionError("--gateway", f"{ip} is the broadcast address of {net}")
        gws[i] = ip
    ranges: dict[int, IPNet] = {}
    for r in _as_list(ip_range):
        rng = _network(r, "--ip-range")
        i = _in_subnet(subnets, rng, "--ip-range", f"ip-range {rng}")
        if i in ranges:
            raise OptionError("--ip-range", f"two ranges ({ranges[i]}, {rng}) for {subnets[i]}")
        ranges[i] = rng
    aux: dict[int, list[tuple[str, IPAddress]]] = {}
    seen_names: dict[str, IPAddress] = {}
    seen_ips: dict[IPAddress, str] = {}
    for name, value in parse_kv(aux_addresses or [], "--aux-address"):
        ip = _address(value, f"--aux-address {name}")
        if name in seen_names:
            raise OptionError("--aux-address", f"name {name!r} given twice")
        if ip in seen_ips:
            raise OptionError("--aux-address", f"{name}={ip} and {seen_ips[ip]}={ip} are the same "
                                               "address; each aux address must be distinct")
        i = _in_subnet(subnets, ip, "--aux-address", f"{name}={ip}")
        if gws.get(i) == ip:
            raise OptionError("--aux-address", f"{name}={ip} is the gateway; it is reserved already")
        seen_names[name], seen_ips[ip] = ip, name
        aux.setdefault(i, []).append((name, ip))
    pools = []
    for i, net in enumerate(subnets):
        reserved = {ip for _, ip in aux.get(i, [])}
        gw = gws.get(i) or _first_free(net, reserved)
        pools.append(Pool(net, gw, ranges.get(i, net), tuple(aux.get(i, []))))
    return tuple(pools)


def _first_free(net: IPNet, reserved: set[IPAddress]) -> IPAddress:
    for ip in net.hosts():
        if ip not in reserved:
            return ip
    raise OptionError("--subnet", f"{net} has no address left for a gateway")


def network_config(name: str, *, driver: str = "bridge",
                   options: Mapping[str, str] | Sequence[str] | None = None,
                   subnet: str | Sequence[str] | None = None,
                   gateway: str | Sequence[str] | None = None,
                   ip_range: str | Sequence[str] | None = None,
                   aux_addresses: Mapping[str, str] | Sequence[str] | None = None,
                   ipv6: bool | None = None, internal: bool = False,
                   labels: Mapping[str, str] | Sequence[str] | None = None) -> NetworkConfig:
    """A checked ``NetworkConfig`` from Docker's options (``OptionError`` on any mistake).

    ``ipv6`` is ``--ipv6`` (None: on when a subnet is IPv6; True without an IPv6 subnet: one
    is chosen at create), ``internal`` is ``--internal``, ``labels`` are ``--label k=v``."""
    check_network_name(name)
    check_driver(driver)
    opts = _canonical_options(driver, parse_kv(options or [], "-o"))
    if (gateway or ip_range or aux_addresses) and not subnet:
        raise OptionError("--subnet", "--gateway, --ip-range and --aux-address need --subnet")
    pools = make_pools(subnet, gateway, ip_range, aux_addresses)
    mtu = None
    if "mtu" in opts:
        if not (opts["mtu"].isascii() and opts["mtu"].isdigit()) or not 68 <= int(opts["mtu"]) <= 65535:
            raise OptionError("-o mtu", f"{opts['mtu']!r} is not an MTU (68-65535)")
        mtu = int(opts["mtu"])
    parent = mode = flag = bridge_name = None
    masquerade = True
    if driver == "overlay":
        from .overlay import overlay_mtu        # checks its -o options; a default MTU
        mtu = overlay_mtu(name, opts, mtu)
    if driver in BRIDGED:
        if "bridge_name" in opts:
            bridge_name = ifname(opts["bridge_name"], "-o bridge_name")
        if "masquerade" in opts:
            masquerade = _boolean(opts["masquerade"], "-o masquerade")
        if "vlan" in opts:
            from .ports import check_vlan_option
            check_vlan_option(opts["vlan"])
    else:
        if "parent" not in opts:
            raise OptionError("-o parent", f"the {driver} driver needs a parent interface: "
                                           "-o parent=eth0 (or eth0.30 for VLAN 30)")
        parent = ifname(opts["parent"], "-o parent")
        v = vlan_of(parent)
        if v is not None and not 1 <= v[1] <= 4094:
            raise OptionError("-o parent", f"VLAN id {v[1]} in {parent!r} is outside 1-4094")
        key = f"{driver}_mode"
        choices = MACVLAN_MODES if driver == "macvlan" else IPVLAN_MODES
        mode = _choice(opts.get(key, choices[0]), f"-o {key}", choices)
        if driver == "ipvlan":
            flag = _choice(opts.get("ipvlan_flag", "bridge"), "-o ipvlan_flag", IPVLAN_FLAGS)
    has_v6 = any(p.version == 6 for p in pools)
    if ipv6 is False and has_v6:
        raise OptionError("--ipv6", "an IPv6 --subnet needs IPv6 enabled (--ipv6)")
    extra = _bridge_extras(driver, opts)
    return NetworkConfig(name, driver, pools, parent, mode, flag, bridge_name, mtu, masquerade,
                         tuple(sorted(opts.items())), bool(ipv6) or has_v6,
                         _boolean(internal, "--internal"), extra[0], extra[1], _labels(labels))


def _bridge_extras(driver: str, opts: Mapping[str, str]) -> tuple[bool, str | None]:
    """(enable_icc, host_binding_ipv4) of a bridge network's ``-o`` options."""
    icc = _boolean(opts["enable_icc"], "-o enable_icc") if "enable_icc" in opts else True
    binding = opts.get("host_binding_ipv4")
    if binding is not None:
        ip = _address(binding, "-o host_binding_ipv4")
        if ip.version != 4:
            raise OptionError("-o host_binding_ipv4", f"{binding!r} is not an IPv4 address")
        binding = None if ip.is_unspecified else str(ip)
    return icc, binding


def _labels(labels: Mapping[str, str] | Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    if isinstance(labels, str):
        labels = [labels]
    if labels is not None and not isinstance(labels, Mapping):     # ``--label k``: k=""
        labels = [x if "=" in x else f"{x}=" for x in labels]
    out: dict[str, str] = {}
    for key, value in parse_kv(labels or [], "--label"):
        if key in out and out[key] != value:
            raise OptionError("--label", f"{key} given twice ({out[key]!r} and {value!r})")
        out[key] = value
    return tuple(sorted(out.items()))


def _choice(value: str, option: str, choices: Sequence[str]) -> str:
    if value.lower() not in choices:
        raise OptionError(option, f"unknown value {value!r}{_suggest(value.lower(), choices)} "
                                  f"(one of: {', '.join(choices)})")
    return value.lower()


def _boolean(value: str | bool, option: str) -> bool:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise OptionError(option, f"expected true or false, not {value!r}")
    low = value.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise OptionError(option, f"expected true or false, not {value!r}")


def container_addresses(pools: Sequence[Pool], ips: Iterable[str]) -> dict[int, IPAddress]:
    """Explicit container addresses (``--ip``), each mapped to the index of its pool."""
    out: dict[int, IPAddress] = {}
    subnets = [p.subnet for p in pools]
    for value in ips:
        ip = _address(value, "--ip")
        i = _in_subnet(subnets, ip, "--ip", f"address {ip}")
        pool = pools[i]
        if ip == pool.gateway:
            raise OptionError("--ip", f"{ip} is the gateway of {pool.subnet}")
        if ip in pool.reserved():
            name = next((n for n, a in pool.aux if a == ip), None)
            what = f"aux address {name!r}" if name else f"the network or broadcast address of {pool.subnet}"
            raise OptionError("--ip", f"{ip} is reserved ({what})")
        other = next((a for a in out.values() if a.version == ip.version), None)
        if other is not None:
            raise OptionError("--ip", f"two IPv{ip.version} addresses ({other}, {ip}); "
                                      "a container gets one per IP version")
        out[i] = ip
    return out
