"""What users read back: ``Network`` and ``Endpoint`` views, and published-port parsing."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from ..nft import Publish
from .errors import OptionError
from .options import NetworkConfig, docker_options


@dataclass(frozen=True)
class Endpoint:
    """A container attached to a network."""

    id: str
    container: str              # the namespace as the caller named it (name, path or pid)
    netns: str                  # its path
    ifname: str                 # inside the container
    host_ifname: str | None     # the veth end on the host (bridge networks)
    addresses: tuple[str, ...]  # with prefix: "172.17.0.2/24"
    mac: str | None
    publish: tuple[str, ...]    # "8080:80/tcp"
    state: str                  # "connecting", "connected" or "disconnecting"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Endpoint":
        return cls(d["id"], d["container"], d["netns"], d["ifname"], d.get("host_ifname"),
                   tuple(d["addresses"]), d.get("mac"), tuple(d.get("publish", ())), d["state"])

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "container": self.container, "netns": self.netns,
                "ifname": self.ifname, "host_ifname": self.host_ifname,
                "addresses": list(self.addresses), "mac": self.mac,
                "publish": list(self.publish), "state": self.state}

    def docker_dict(self) -> dict[str, Any]:
        """As ``docker network inspect`` shows a container under ``Containers``."""
        v4 = next((a for a in self.addresses if ":" not in a), "")
        v6 = next((a for a in self.addresses if ":" in a), "")
        return {"Name": self.container, "EndpointID": self.id, "MacAddress": self.mac or "",
                "IPv4Address": v4, "IPv6Address": v6}

    @property
    def ip(self) -> str | None:
        """The first address without its prefix (IPv4 first)."""
        return self.addresses[0].split("/")[0] if self.addresses else None


@dataclass(frozen=True)
class Network:
    """A network as recorded: its configuration, what it made, and its endpoints."""

    config: NetworkConfig
    id: str
    state: str                   # "creating", "ready", "removing"
    host: str                    # the host namespace ("" for the caller's own)
    made: Mapping[str, Any]
    endpoints: tuple[Endpoint, ...]
    created: str = ""            # ISO 8601, UTC ("" in records of older versions)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def driver(self) -> str:
        return self.config.driver

    @property
    def bridge(self) -> str | None:
        b = self.made.get("bridge")
        return str(b) if b else None

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> "Network":
        return cls(NetworkConfig.from_dict(rec["config"]), rec["id"], rec["state"], rec.get("host", ""),
                   dict(rec.get("made", {})),
                   tuple(Endpoint.from_dict(e) for e in rec.get("endpoints", {}).values()),
                   str(rec.get("created", "")))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, shaped like ``docker network inspect`` (one element of its list): Docker's
        keys and nesting; what only pynetlink knows is under ``Pynetlink``."""
        c = self.config
        return {"Name": c.name, "Id": self.id, "Created": self.created, "Scope": "local",
                "Driver": c.driver, "EnableIPv6": c.ipv6,
                "IPAM": {"Driver": "default", "Options": {},
                         "Config": [{"Subnet": str(p.subnet), "IPRange": str(p.ip_range),
                                     "Gateway": str(p.gateway),
                                     "AuxiliaryAddresses": {n: str(a) for n, a in p.aux}}
                                    for p in c.pools]},
                "Internal": c.internal, "Attachable": False, "Ingress": False,
                "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
                "Containers": {e.id: e.docker_dict() for e in self.endpoints},
                "Options": docker_options(c), "Labels": dict(c.labels),
                "Pynetlink": {"State": self.state, "Host": self.host or None, "Bridge": self.bridge,
                              "Parent": c.parent, "Mode": c.mode, "Flag": c.flag, "MTU": c.mtu,
                              "Made": dict(self.made),
                              "Endpoints": {e.id: e.to_dict() for e in self.endpoints}}}


def parse_publish(spec: str, to: str | None = None) -> Publish:
    """``[HOST_IP:]HOST_PORT[:CONTAINER_PORT][/PROTO]`` (``docker run -p``; an IPv6 host
    address in brackets: ``[::1]:8080:80``) towards ``to`` (None: a placeholder address of
    the host address's IP version, to check and normalise the text)."""
    text, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in ("tcp", "udp"):
        raise OptionError("--publish", f"{spec!r}: protocol must be tcp or udp, not {proto!r}")
    parts = text.rsplit(":", 2)
    host_addr = None
    if len(parts) == 3:
        host_addr = parts[0].strip("[]")
        try:
            ipaddress.ip_address(host_addr)
        except ValueError:
            raise OptionError("--publish", f"{spec!r}: {host_addr!r} is not an IP address") from None
        parts = parts[1:]
    ports = []
    for p in parts:
        if not p.isdigit() or not 1 <= int(p) <= 65535:
            raise OptionError("--publish", f"{spec!r}: {p!r} is not a port (1-65535); "
                                           "expected HOST_PORT:CONTAINER_PORT, e.g. 8080:80")
        ports.append(int(p))
    host_port, to_port = ports[0], ports[-1]
    if to is None:
        to = "::" if host_addr and ":" in host_addr else "0.0.0.0"
    return Publish(host_port, to, to_port, proto, host_addr)


def publish_text(p: Publish) -> str:
    host = "" if not p.host_addr else f"[{p.host_addr}]:" if ":" in p.host_addr else f"{p.host_addr}:"
    return f"{host}{p.host_port}:{p.to_port or p.host_port}/{p.proto}"


def network_filter(filters: Sequence[str]) -> Callable[[Network], bool]:
    """``docker network ls --filter``: ``name=`` (a substring), ``driver=``, ``label=KEY`` or
    ``label=KEY=VALUE``; a network must match every filter."""
    wanted: list[tuple[str, str]] = []
    for f in filters:
        key, eq, value = f.partition("=")
        if not eq or key not in ("name", "driver", "label"):
            raise OptionError("--filter", f"{f!r}: expected name=..., driver=... or label=KEY[=VALUE]")
        wanted.append((key, value))

    def match(n: Network, key: str, value: str) -> bool:
        if key == "name":
            return value in n.name
        if key == "driver":
            return n.driver == value
        label, has_value, want = value.partition("=")
        labels = dict(n.config.labels)
        return label in labels and (not has_value or labels[label] == want)
    return lambda n: all(match(n, k, v) for k, v in wanted)
