"""Deterministic names and ownership marks, so a re-run finds what an earlier run made.

Every link a network makes carries the alias ``pynetlink:<network id>`` (container-side
links ``pynetlink:<network id>:<endpoint id>``) and, on the host side, the network's
link group: removal deletes by mark, never by guess, and touches nothing unmarked.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
from typing import Sequence

from .options import IPAddress

MARK = "pynetlink:"


def network_id(name: str) -> str:
    """12 hex digits derived from the network name."""
    return hashlib.sha256(f"network:{name}".encode()).hexdigest()[:12]


def endpoint_id(net_id: str, netns_path: str) -> str:
    """12 hex digits from the network and the namespace's identity (device and inode)."""
    st = os.stat(netns_path)
    return hashlib.sha256(f"{net_id}:{st.st_dev}:{st.st_ino}".encode()).hexdigest()[:12]


def bridge_name(net_id: str) -> str:
    return f"br-{net_id}"


def host_veth(ep_id: str) -> str:
    """The host end of an endpoint's veth pair (15 characters, Docker's ``veth`` prefix)."""
    return f"veth{ep_id[:11]}"


def temp_ifname(ep_id: str) -> str:
    """The name a container's link is created with, renamed inside (as Docker does): a
    collision with a host link of the final name would otherwise fail the create on older
    kernels."""
    return f"pnl{ep_id[:12]}"


def group(net_id: str) -> int:
    """The link group of the network's host-side links (non-zero, below 2**31)."""
    return 0x4000_0000 | int(net_id[:7], 16)


def doomed_group(net_id: str) -> int:
    """A second group: links being disconnected together go there, then one delete."""
    return group(net_id) ^ 0x2000_0000


def network_mark(net_id: str) -> str:
    return f"{MARK}{net_id}"


def endpoint_mark(net_id: str, ep_id: str) -> str:
    return f"{MARK}{net_id}:{ep_id}"


def docker_mac(addresses: Sequence[IPAddress]) -> str | None:
    """Docker's MAC for a container: 02:42 and the IPv4 address (None without IPv4)."""
    v4 = next((a for a in addresses if isinstance(a, ipaddress.IPv4Address)), None)
    if v4 is None:
        return None
    return "02:42:" + ":".join(f"{b:02x}" for b in v4.packed)
