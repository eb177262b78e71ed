"""Real packets between test namespaces: an uplink out of the host namespace, one-shot
tcp/udp servers that report the peer address they saw, clients, ping (busybox)."""
from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

SERVER = r"""
import socket, sys
proto, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.settimeout(20)
if proto == "tcp":
    s.listen(1)
    print("ready", flush=True)
    c, peer = s.accept()
    data = c.recv(100)
    c.sendall(b"pong:" + data)
    c.close()
else:
    print("ready", flush=True)
    data, peer = s.recvfrom(100)
    s.sendto(b"pong:" + data, peer)
print(peer[0], data.decode(), flush=True)
"""
CLIENT = r"""
import socket, sys
proto, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(5)
if proto == "tcp":
    s.connect((addr, port)); s.sendall(b"ping"); print(s.recv(100).decode())
else:
    s.sendto(b"ping", (addr, port)); print(s.recvfrom(100)[0].decode())
"""


def run(ns: str, *cmd: str, check: bool = True, timeout: float = 30) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True,
                          timeout=timeout, check=check)


def uplink(host: str, outside: str, host_addr: str = "203.0.113.1/24",
           outside_addr: str = "203.0.113.2/24") -> None:
    """A veth between ``host`` and ``outside`` (harness: ``ip``), addressed and up."""
    subprocess.run(["ip", "-n", host, "link", "add", "up0", "type", "veth", "peer", "name", "down0",
                    "netns", outside], check=True)
    for ns, dev, a in ((host, "up0", host_addr), (outside, "down0", outside_addr)):
        subprocess.run(["ip", "-n", ns, "addr", "add", a, "dev", dev], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", dev, "up"], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)


class Server:
    """A one-shot server in ``ns``; ``result()`` -> (peer address, payload)."""

    def __init__(self, ns: str, proto: str, port: int, addr: str = "0.0.0.0") -> None:
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-I", "-c", SERVER, proto, addr,
                                      str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", self.proc.stderr.read() if self.proc.stderr else line

    def result(self, timeout: float = 25) -> tuple[str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        peer, data = out.split()
        return peer, data

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def wait_dad(ns: str, timeout: float = 10.0) -> None:
    """Until no IPv6 address in ``ns`` is tentative (duplicate address detection, a second
    or more after an address is added; longer on a loaded machine): a tentative address
    neither sends nor receives."""
    import json
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["ip", "-n", ns, "-j", "-6", "addr", "show"], capture_output=True, text=True,
                             check=True).stdout
        if not any(a.get("tentative") and not a.get("dadfailed")
                   for x in json.loads(out or "[]") for a in x.get("addr_info", [])):
            return
        time.sleep(0.1)
    raise AssertionError(f"{ns}: IPv6 addresses still tentative after {timeout} s")


def talk(ns: str, proto: str, addr: str, port: int) -> str:
    """Send 'ping' from ``ns``; the reply (``pong:ping``)."""
    return run(ns, sys.executable, "-I", "-c", CLIENT, proto, addr, str(port)).stdout.strip()


def exchange(server_ns: str, client_ns: str, proto: str, connect_to: str, port: int,
             listen_port: int | None = None) -> str:
    """One round trip; returns the client address the server saw."""
    srv = Server(server_ns, proto, listen_port or port)
    try:
        assert talk(client_ns, proto, connect_to, port) == "pong:ping"
        return srv.result()[0]
    finally:
        srv.close()


def ping(ns: str, addr: str, count: int = 1) -> bool:
    for _ in range(3):                         # the first may wait for neighbour resolution
        if run(ns, "busybox", "ping", "-c", str(count), "-W", "2", addr, check=False).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def state(host: str) -> dict[str, Any]:
    """What a test compares before/after: links, addresses, routes, nftables of ``host``."""
    from .invoke import nft_json, ns_json
    links = [{k: link.get(k) for k in ("ifname", "link_type", "master")} for link in ns_json(host, "link")]
    addrs = [(a["ifname"], [(i["local"], i["prefixlen"]) for i in a.get("addr_info", [])
                            if i.get("scope") != "link"]) for a in ns_json(host, "addr")]
    # without "flags": a route's linkdown follows the carrier, asynchronously
    routes = [{k: v for k, v in r.items() if k != "flags"} for r in ns_json(host, "route")]
    nft = [x for x in nft_json(host) if "metainfo" not in x]
    return {"links": links, "addrs": addrs, "routes": routes, "nft": nft}
