"""Real packets between namespaces: TCP and UDP through sockets opened inside them.

Sockets are created on a helper thread inside the namespace (pynetlink.transport.run_in)
and keep working from the test's thread afterwards. Short timeouts: a blocked path fails
in seconds, never hangs the suite.
"""
from __future__ import annotations

import json
import socket
import subprocess
from typing import Any

from pynetlink.transport import NetNS, run_in

TIMEOUT = 3.0


def _family(addr: str) -> int:
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(ns: NetNS, port: int, addr: str = "0.0.0.0") -> socket.socket:
    """A TCP listener inside ``ns``."""
    def make() -> socket.socket:
        s = socket.socket(_family(addr), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)
        s.settimeout(TIMEOUT)
        return s
    return run_in(ns.path, make)


def tcp(client: NetNS, server: NetNS, connect_to: str, port: int, *,
        listen_port: int | None = None) -> str:
    """Connect from ``client`` to ``connect_to:port``, accept in ``server`` (on ``listen_port``),
    exchange a line both ways; returns the source address the server saw."""
    lst = listen(server, listen_port or port, "::" if ":" in connect_to else "0.0.0.0")
    try:
        def dial() -> socket.socket:
            return socket.create_connection((connect_to, port), timeout=TIMEOUT)
        c = run_in(client.path, dial)
        with c:
            conn, peer = lst.accept()
            with conn:
                c.sendall(b"ping\n")
                assert conn.recv(5) == b"ping\n"
                conn.sendall(b"pong\n")
                assert c.recv(5) == b"pong\n"
        return str(peer[0])
    finally:
        lst.close()


def reaches(client: NetNS, server: NetNS, addr: str, port: int = 7000) -> bool:
    """Whether a TCP connection from client to server's ``addr`` gets through."""
    try:
        tcp(client, server, addr, port)
        return True
    except OSError:
        return False


def udp_listener(ns: NetNS, port: int, device: str | None = None) -> socket.socket:
    def make() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if device:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
        s.bind(("0.0.0.0", port))
        s.settimeout(1.0)
        return s
    return run_in(ns.path, make)


def broadcast(ns: NetNS, port: int, device: str = "eth0") -> None:
    """One UDP datagram to 255.255.255.255 out of ``device`` in ``ns``."""
    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
            s.sendto(b"hello", ("255.255.255.255", port))
    run_in(ns.path, send)


def received(s: socket.socket) -> bool:
    try:
        s.recvfrom(64)
        return True
    except (TimeoutError, socket.timeout):
        return False


# -- the independent oracles (never used to change anything) ------------------------------------
def ip_j(ns: NetNS, *args: str) -> Any:
    out = subprocess.run(["ip", "-j", "-n", str(ns.name), *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out) if out.strip() else []


def nft_j(ns: NetNS) -> Any:
    out = subprocess.run(["ip", "netns", "exec", str(ns.name), "nft", "-j", "list", "ruleset"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["nftables"] if out.strip() else []


def masquerading(ns: NetNS) -> list[str]:
    """What the library's table masquerades, as nft lists it: ``"SUBNET !BRIDGE"`` for each
    element of the masquerade sets (networks) and each masquerade rule's comment (DockerNat's
    rules), sorted. The set form counts only with its chain's masquerade rule present."""
    listed = nft_j(ns)
    out = [r["rule"]["comment"].removeprefix("pynetlink masquerade ") for r in listed
           if "rule" in r and r["rule"]["chain"] == "POSTROUTING"
           and any("masquerade" in e for e in r["rule"]["expr"])]
    chain = [r["rule"] for r in listed if "rule" in r and r["rule"]["chain"] == "MASQUERADE"]
    for x in listed:
        s = x.get("set", {})
        version = s.get("name", "")[-1:]
        if s.get("name", "").startswith("masq_bridge_v") and any(
                any("masquerade" in e for e in r["expr"]) and f"@masq_v{version}" in json.dumps(r["expr"])
                for r in chain):
            for e in s.get("elem", []):
                net, bridge = e["concat"]
                out.append(f"{net['prefix']['addr']}/{net['prefix']['len']} !{bridge}")
    return sorted(out)


_VOLATILE = {"operstate", "linkmode", "stats", "stats64", "valid_life_time", "preferred_life_time",
             "metainfo", "qdisc", "flags", "inet6_addr_gen_mode", "gc_timer", "hello_timer",
             "tcn_timer", "topology_change_timer", "forward_delay_timer", "hold_timer",
             "message_age_timer",
             # a bridge derives these from its ports: they change as ports come and go
             "tso_max_size", "tso_max_segs", "gso_max_size", "gso_max_segs", "gro_max_size"}


def _strip(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if k not in _VOLATILE}
    if isinstance(x, list):
        return [_strip(v) for v in x]
    return x


def snapshot(ns: NetNS) -> dict[str, Any]:
    """The full link / address / route / rule / nftables state of ``ns`` from ip -j and nft -j."""
    snap: dict[str, Any] = _strip({
        "links": ip_j(ns, "-d", "link", "show"),
        "addresses": ip_j(ns, "addr", "show"),
        "routes4": ip_j(ns, "route", "show", "table", "all"),
        "routes6": ip_j(ns, "-6", "route", "show", "table", "all"),
        "rules": ip_j(ns, "rule", "show"),
        "nft": nft_j(ns)})
    return snap


def link(ns: NetNS, name: str) -> dict[str, Any]:
    (v,) = ip_j(ns, "-d", "link", "show", "dev", name)
    out: dict[str, Any] = v
    return out


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two snapshots differ, as 'path: before != after' lines."""
    if type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: {a.get(k, '<missing>')!r} != {b.get(k, '<missing>')!r}")
            else:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            extra = [x for x in a if x not in b] + [x for x in b if x not in a]
            return [f"{path}: {len(a)} != {len(b)} entries; differing: {extra!r}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def assert_unchanged(before: Any, after: Any) -> None:
    diff = differences(before, after)
    assert not diff, "state changed:\n" + "\n".join(diff[:20])


def _links_settled(ns: NetNS) -> bool:
    """Every link that is up has its carrier state applied and (IPv6 on) its fe80:: address."""
    addrs = {a["ifname"]: a.get("addr_info", []) for a in ip_j(ns, "addr", "show")}
    for link in ip_j(ns, "link", "show"):
        if "UP" not in link["flags"] or link["ifname"] == "lo":
            continue
        if "LOWER_UP" in link["flags"] and link.get("operstate") != "UP":
            return False               # linkwatch has not run yet
        if link.get("operstate") == "UP" and not any(
                a["family"] == "inet6" and a["local"].startswith("fe80:") for a in addrs[link["ifname"]]):
            v6 = f"/proc/sys/net/ipv6/conf/{link['ifname']}/disable_ipv6"
            if run_in(ns.path, lambda: open(v6).read().strip()) == "0":
                return False
    return True


def settled(ns: NetNS, timeout: float = 5.0) -> dict[str, Any]:
    """A snapshot once the kernel stopped changing ``ns`` on its own (links that just came up
    get their operational state, and their IPv6 link-local address, a moment later)."""
    import time
    deadline = time.monotonic() + timeout
    prev = snapshot(ns)
    while time.monotonic() < deadline:
        time.sleep(0.15)
        cur = snapshot(ns)
        if cur == prev and _links_settled(ns):
            return cur
        prev = cur
    return prev
