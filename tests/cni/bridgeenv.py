"""The bridge plugin bound to a throwaway host namespace: ``Env`` and the config of a test."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .invoke import REFERENCE_DIR, Call, invoke, nft_json, ns_json

SUBNET = "198.51.100.0/24"


def conf(data_dir: Path, version: str = "1.1.0", name: str = "net1", ipam: dict[str, Any] | None = None,
         **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"cniVersion": version, "name": name, "type": "pynetlink-bridge", "bridge": "cni0",
                         "isGateway": True, "ipMasq": True,
                         "ipam": {"type": "pynetlink-host-local", "dataDir": str(data_dir),
                                  "ranges": [[{"subnet": SUBNET}]], "routes": [{"dst": "0.0.0.0/0"}],
                                  **(ipam or {})}}
    c.update(extra)
    return c


class Env:
    """The bridge plugin bound to a host namespace and plugin dir."""

    def __init__(self, bin_: Path, host: str, data_dir: Path) -> None:
        self.exe, self.host, self.data_dir, self.bin = bin_ / "pynetlink-bridge", host, data_dir, bin_

    def kw(self, netns: str, cid: str, ifname: str) -> dict[str, Any]:
        return dict(host=self.host, netns=netns, container_id=cid, ifname=ifname, path=[self.bin, REFERENCE_DIR])

    def add(self, c: dict[str, Any], netns: str, cid: str, ifname: str = "eth0", **kw: Any) -> Call:
        return invoke(self.exe, "ADD", c, **{**self.kw(netns, cid, ifname), **kw})

    def dele(self, c: dict[str, Any], netns: str, cid: str, ifname: str = "eth0", **kw: Any) -> Call:
        return invoke(self.exe, "DEL", c, **{**self.kw(netns, cid, ifname), **kw})

    def call(self, command: str, c: dict[str, Any], netns: str = "", cid: str = "", ifname: str = "") -> Call:
        return invoke(self.exe, command, c, **self.kw(netns, cid, ifname))

    def reservations(self, name: str = "net1") -> dict[str, bytes]:
        d = self.data_dir / name
        return {p.name: p.read_bytes() for p in d.iterdir() if p.name[0].isalnum() and
                not p.name.startswith(("last_", "lock"))} if d.exists() else {}

    def masqueraded(self) -> set[str]:
        for x in nft_json(self.host):
            s = x.get("set")
            if s and s["name"] in ("masq4",):
                return {str(e) for e in s.get("elem", [])}
        return set()

    def host_links(self) -> set[str]:
        return {link["ifname"] for link in ns_json(self.host, "link")}


def name_of(path: str) -> str:
    return Path(path).name
