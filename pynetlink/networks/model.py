"""What users read back: ``Network`` and ``Endpoint`` views, and published-port parsing."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Mapping

from ..nft import Publish
from .errors import OptionError
from .options import NetworkConfig


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
                   tuple(Endpoint.from_dict(e) for e in rec.get("endpoints", {}).values()))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, shaped like ``docker network inspect``."""
        c = self.config
        return {"Name": c.name, "Id": self.id, "Driver": c.driver, "State": self.state,
                "Host": self.host or None,
                "IPAM": {"Config": [{"Subnet": str(p.subnet), "Gateway": str(p.gateway),
                                     "IPRange": str(p.ip_range),
                                     "AuxiliaryAddresses": {n: str(a) for n, a in p.aux}}
                                    for p in c.pools]},
                "Options": dict(c.options), "Parent": c.parent, "Mode": c.mode, "Flag": c.flag,
                "MTU": c.mtu, "Made": dict(self.made),
                "Containers": {e.id: e.to_dict() for e in self.endpoints}}


def parse_publish(spec: str, to: str) -> Publish:
    """``[HOST_IP:]HOST_PORT[:CONTAINER_PORT][/PROTO]`` (``docker run -p``) towards ``to``."""
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
    return Publish(host_port, to, to_port, proto, host_addr)


def publish_text(p: Publish) -> str:
    host = f"{p.host_addr}:" if p.host_addr else ""
    return f"{host}{p.host_port}:{p.to_port or p.host_port}/{p.proto}"
