"""podman 4.3 (CNI backend) as the client of pynetlink's plugins: bridge + host-local + portmap.

Every test runs real containers (a busybox rootfs) in the recipe's holder namespace (see
realclient.py); ``holder_clean`` then checks that nothing of them is left there (``ip -j``,
``nft -j``, IPAM files). The spy log shows what podman sent and what the plugins answered.
"""
from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest

from .realclient import PING, SHOW, Net, RealClient, in_subnet, parse, wait_for
from .realclient import holder_clean_fixture, realclient_fixture  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.root]
_clients = itertools.count()

# a TCP and UDP echo server for the container (python3 from the host's /usr, mounted read-only)
SERVER = r"""
import socket, threading
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("", 81))
    while True:
        d, a = u.recvfrom(1024); u.sendto(b"pong-udp:%s:%s" % (a[0].encode(), d), a)
threading.Thread(target=udp, daemon=True).start()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("", 80)); s.listen(8)
while True:
    c, a = s.accept(); d = c.recv(1024); c.sendall(b"pong-tcp:%s:%s" % (a[0].encode(), d)); c.close()
"""
CLIENT = r"""
import socket, sys
host, port, proto, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
if proto == "tcp":
    s = socket.create_connection((host, port), timeout=2); s.sendall(msg); print(s.recv(1024).decode())
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.sendto(msg, (host, port))
    print(s.recvfrom(1024)[0].decode())
"""


def show(rc: RealClient, net: Net, dev: str = "eth0") -> str:
    return SHOW.format(dev=dev) + "; " + PING.format(gw=net.gateway)


def plugin_calls(rc: RealClient, since: float, command: str) -> list[Any]:
    ours = set(rc.types.values())
    return [c for c in rc.spy(since) if c.command == command and c.name in ours]


def wait_dels(rc: RealClient, since: float, n: int) -> list[Any]:
    """podman's cleanup process sends the DELs after the container exits: wait for ``n`` of them."""
    return wait_for(lambda: (lambda d: d if len(d) >= n else None)(plugin_calls(rc, since, "DEL")),
                    timeout=60, what=f"{n} DEL calls")


def assert_ok(calls: list[Any]) -> None:
    for c in calls:
        assert c.rc == 0, f"{c.name} {c.command} rc {c.rc}: {c.stdout} {c.stderr}"


@pytest.fixture
def since(realclient: RealClient) -> float:
    return time.time() - 0.001


@contextmanager
def detached(rc: RealClient, name: str, *opts: str, cmd: tuple[str, ...] = ("/bin/sleep", "600")) -> Iterator[None]:
    """``podman run -d --name NAME OPTS``; the container is removed (``rm -f``) afterwards."""
    rc.run("-d", "--name", name, *opts, cmd=cmd)
    try:
        yield
    finally:
        rc.pm("rm", "-f", "-t", "1", name)


def test_run_rm(realclient: RealClient, holder_clean: Any, since: float) -> None:
    rc = realclient
    net = rc.bridge_net("pnl-runrm")
    out = rc.run("--rm", "--network", net.name, cmd=["/bin/sh", "-c", show(rc, net)]).stdout
    got = parse(out)
    assert in_subnet(got["addr"], net) and got["addr"].endswith("/24"), out
    assert got["gw"] == net.gateway and got["gwdev"] == "eth0", out
    assert "PING-OK" in out, out
    adds = plugin_calls(rc, since, "ADD")
    assert {c.name for c in adds} >= {rc.types["bridge"], rc.types["portmap"]}, adds
    assert_ok(adds)
    # the first plugin of the chain answered VERSION in both podman processes
    versions = [c for c in rc.spy(since) if c.command == "VERSION" and c.name == rc.types["bridge"]]
    assert versions and all(c.rc == 0 for c in versions)
    assert_ok(wait_dels(rc, since, 2))
    # the ADD result podman got: the container's interface, address and gateway
    res = next(c.result for c in adds if c.name == rc.types["bridge"])
    assert res["ips"][0]["address"] == got["addr"] and res["ips"][0]["gateway"] == net.gateway


@pytest.fixture
def client(realclient: RealClient, holder_clean: Any, make_netns: Callable[..., Any],
           ) -> Iterator[Callable[[str, int, str, str], str]]:
    """A namespace of its own linked to the holder ns by a veth (198.51.100.2 -> .1): a client
    outside the node. Returns send(host, port, proto, msg) -> the reply (or '' on failure)."""
    rc = realclient
    cli = make_netns("cli")
    peer = f"pnlcli{next(_clients)}"
    subprocess.run(["ip", "-n", cli.name, "link", "add", "eth0", "type", "veth", "peer", "name", peer,
                    "netns", rc.netns], check=True)
    subprocess.run(["ip", "-n", cli.name, "addr", "add", "198.51.100.2/24", "dev", "eth0"], check=True)
    subprocess.run(["ip", "-n", cli.name, "link", "set", "eth0", "up"], check=True)
    rc.inns("ip", "addr", "add", "198.51.100.1/24", "dev", peer, mount=False)
    rc.inns("ip", "link", "set", peer, "up", mount=False)

    def send(host: str, port: int, proto: str, msg: str) -> str:
        r = subprocess.run(["nsenter", f"--net=/run/netns/{cli.name}", sys.executable, "-c", CLIENT,
                            host, str(port), proto, msg], capture_output=True, text=True, timeout=30)
        return r.stdout.strip() if r.returncode == 0 else ""
    yield send
    subprocess.run(["ip", "-n", cli.name, "link", "del", "eth0"], check=False)


def test_published_ports_tcp_udp(realclient: RealClient, client: Callable[[str, int, str, str], str],
                                 since: float) -> None:
    """-p 18080:80 (tcp) and -p 18081:81/udp, reached from a client namespace outside the node
    (through a veth into the holder ns, to the holder's address 198.51.100.1)."""
    rc = realclient
    net = rc.bridge_net("pnl-ports")
    with detached(rc, "pnl-ports", "--network", net.name, "-p", "18080:80", "-p", "18081:81/udp",
                  "-v", "/usr:/usr:ro", cmd=("/usr/bin/python3", "-c", SERVER)):
        tcp = wait_for(lambda: client("198.51.100.1", 18080, "tcp", "hello"), timeout=30,
                       what="a TCP reply through the published port")
        udp = wait_for(lambda: client("198.51.100.1", 18081, "udp", "hi"), timeout=30,
                       what="a UDP reply through the published port")
        # DNAT only: the container sees the client's own address (no SNAT for outside traffic)
        assert tcp == "pong-tcp:198.51.100.2:hello", tcp
        assert udp == "pong-udp:198.51.100.2:hi", udp
        pm = next(c for c in plugin_calls(rc, since, "ADD") if c.name == rc.types["portmap"])
        assert sorted((m["hostPort"], m["protocol"]) for m in pm.stdin["runtimeConfig"]["portMappings"]) == \
            [(18080, "tcp"), (18081, "udp")]
        # an unpublished port is not reachable
        assert client("198.51.100.1", 18082, "tcp", "x") == ""
    assert_ok(wait_dels(rc, since, 2))
    # after DEL the published port answers no more
    assert client("198.51.100.1", 18080, "tcp", "again") == ""


def test_static_ip_and_mac(realclient: RealClient, holder_clean: Any, since: float) -> None:
    rc = realclient
    net = rc.bridge_net("pnl-static")
    ip, mac = net.host(77), "02:42:ac:1e:4d:4d"
    out = rc.run("--rm", "--network", net.name, "--ip", ip, "--mac-address", mac,
                 cmd=["/bin/sh", "-c", show(rc, net)]).stdout
    got = parse(out)
    assert got["addr"] == f"{ip}/24" and got["mac"] == mac and "PING-OK" in out, out
    add = next(c for c in plugin_calls(rc, since, "ADD") if c.name == rc.types["bridge"])
    assert f"IP={ip}" in add.env["CNI_ARGS"] and f"MAC={mac}" in add.env["CNI_ARGS"]
    assert_ok(wait_dels(rc, since, 2))


def test_two_networks(realclient: RealClient, holder_clean: Any, since: float) -> None:
    rc = realclient
    a, b = rc.bridge_net("pnl-two-a"), rc.bridge_net("pnl-two-b")
    script = (SHOW.format(dev="eth0") + "; " + SHOW.format(dev="eth1") + "; " + PING.format(gw=a.gateway) +
              "; " + PING.format(gw=b.gateway))
    out = rc.run("--rm", "--network", f"{a.name},{b.name}", cmd=["/bin/sh", "-c", script]).stdout
    # podman's CNI backend names the interfaces in the order of a Go map (not the command
    # line's): each interface in one of the two networks, the two in different ones
    e0, e1 = parse(out, "eth0")["addr"], parse(out, "eth1")["addr"]
    assert (in_subnet(e0, a) and in_subnet(e1, b)) or (in_subnet(e0, b) and in_subnet(e1, a)), out
    assert out.count("PING-OK") == 2, out
    adds = [c for c in plugin_calls(rc, since, "ADD") if c.name == rc.types["bridge"]]
    assert sorted(c.env["CNI_IFNAME"] for c in adds) == ["eth0", "eth1"]
    dels = wait_dels(rc, since, 4)
    assert_ok(dels)
    assert sorted(c.env["CNI_IFNAME"] for c in dels if c.name == rc.types["bridge"]) == ["eth0", "eth1"]


def container_net(rc: RealClient, name: str, net: Net) -> dict[str, Any]:
    out = rc.pm("exec", name, "/bin/sh", "-c", show(rc, net)).stdout
    got = parse(out)
    assert in_subnet(got["addr"], net) and got["gw"] == net.gateway and "PING-OK" in out, out
    return got


def bridge_ports(rc: RealClient, net: Net) -> list[str]:
    return [lk["ifname"] for lk in rc.ip_json("link", "show", "master", net.bridge)]


def test_stop_then_start(realclient: RealClient, holder_clean: Any, since: float) -> None:
    rc = realclient
    net = rc.bridge_net("pnl-stopstart")
    with detached(rc, "pnl-ss", "--network", net.name):
        first = container_net(rc, "pnl-ss", net)
        assert len(bridge_ports(rc, net)) == 1
        rc.pm("stop", "-t", "1", "pnl-ss")
        assert_ok(wait_dels(rc, since, 2))
        wait_for(lambda: not bridge_ports(rc, net), timeout=30, what="the veth to go with stop")
        assert not [f for f in rc.ipam_files() if f.endswith("/" + first["addr"].split("/")[0])], \
            "stop did not free the address"
        t_start = time.time()
        rc.pm("start", "pnl-ss")
        container_net(rc, "pnl-ss", net)
        assert len(bridge_ports(rc, net)) == 1
        old_ns = next(c.env["CNI_NETNS"] for c in plugin_calls(rc, since, "ADD"))
        new = [c for c in plugin_calls(rc, t_start, "ADD") if c.name == rc.types["bridge"]]
        assert len(new) == 1 and new[0].env["CNI_NETNS"] != old_ns and "IP=" not in new[0].env["CNI_ARGS"]
    assert_ok(wait_dels(rc, since, 4))


def test_network_reload(realclient: RealClient, holder_clean: Any, since: float) -> None:
    rc = realclient
    net = rc.bridge_net("pnl-reload")
    with detached(rc, "pnl-rl", "--network", net.name):
        before = container_net(rc, "pnl-rl", net)
        t_reload = time.time()
        rc.pm("network", "reload", "pnl-rl")
        after = container_net(rc, "pnl-rl", net)
        assert (after["addr"], after["mac"]) == (before["addr"], before["mac"])
        calls = [c for c in plugin_calls(rc, t_reload, "ADD") + plugin_calls(rc, t_reload, "DEL")
                 if c.name == rc.types["bridge"]]
        assert sorted(c.command for c in calls) == ["ADD", "DEL"], calls
        add = next(c for c in calls if c.command == "ADD")
        assert f"IP={before['addr'].split('/')[0]}" in add.env["CNI_ARGS"]
        assert_ok(calls)
        assert len(bridge_ports(rc, net)) == 1          # the old veth went, one new one
    assert_ok(wait_dels(rc, since, 4))


def test_rm_f_running(realclient: RealClient, holder_clean: Any, since: float) -> None:
    rc = realclient
    net = rc.bridge_net("pnl-rmf")
    rc.run("-d", "--name", "pnl-rmf", "--network", net.name, "-p", "18090:80", cmd=["/bin/sleep", "600"])
    container_net(rc, "pnl-rmf", net)
    assert len(bridge_ports(rc, net)) == 1
    rc.pm("rm", "-f", "-t", "1", "pnl-rmf")
    dels = wait_dels(rc, since, 2)
    assert_ok(dels)
    assert {c.name for c in dels} >= {rc.types["bridge"], rc.types["portmap"]}
    assert all(c.stdin.get("prevResult") for c in dels), "podman sends prevResult on every DEL"


def test_podman_created_network_switched(realclient: RealClient, holder_clean: Any, since: float) -> None:
    """`podman network create` writes a 0.4.0 conflist (bridge, portmap, firewall, tuning; IPAM
    state in /var/lib/cni/networks/NAME); its types are switched to pynetlink's, firewall and
    tuning (the reference plugins) stay chained after them."""
    rc = realclient
    subnet, gw, _ = rc.next_subnet()
    rc.pm("network", "create", "--subnet", subnet, "pnl-pnet")
    try:
        path = rc.cnifz / "net.d" / "pnl-pnet.conflist"
        conf = json.loads(path.read_text())
        assert conf["cniVersion"] == "0.4.0"
        types = [p["type"] for p in conf["plugins"]]
        assert types == ["bridge", "portmap", "firewall", "tuning"], types
        for p in conf["plugins"]:
            p["type"] = rc.types.get(p["type"], p["type"])
            if p["type"] == "pynetlink-portmap":
                p["stateDir"] = str(rc.cnifz / "portmap")
            if "ipam" in p:
                p["ipam"]["type"] = rc.types[p["ipam"]["type"]]
        rc.write_conflist(conf)
        net = Net("pnl-pnet", subnet, gw, conf["plugins"][0]["bridge"], path, conf)
        with detached(rc, "pnl-pn", "--network", net.name, "-p", "18095:80"):
            got = container_net(rc, "pnl-pn", net)
            adds = [c for c in rc.spy(since) if c.command == "ADD"]
            assert {rc.types["bridge"], rc.types["portmap"], "firewall", "tuning"} <= {c.name for c in adds}
            assert_ok(adds)
            res = next(c.result for c in adds if c.name == rc.types["bridge"])
            assert res["cniVersion"] == "0.4.0" and res["ips"][0]["version"] == "4", res
            # the firewall plugin (Go) read our prevResult and accepted the container's address
            ip = got["addr"].split("/")[0]
            assert ip in rc.inns("iptables-save", "-t", "filter", mount=False).stdout
            # the IPAM state is in host-local's default place and layout
            assert f"/var/lib/cni/networks/pnl-pnet/{ip}" in rc.ipam_files()
        dels = wait_for(lambda: (lambda d: d if len(d) >= 4 else None)(
            [c for c in rc.spy(since) if c.command == "DEL"]), timeout=60, what="4 DEL calls")
        assert_ok(dels)
        assert f"/var/lib/cni/networks/pnl-pnet/{ip}" not in rc.ipam_files()
    finally:
        rc.pm("network", "rm", "-f", "pnl-pnet", check=False)
        shutil.rmtree("/var/lib/cni/networks/pnl-pnet", ignore_errors=True)  # host-local's default store


def test_add_failure_reported(realclient: RealClient, holder_clean: Any, since: float) -> None:
    """A bad config (the gateway outside the subnet): podman fails with the plugin's message."""
    rc = realclient
    subnet, _, br = rc.next_subnet()
    conf = {"cniVersion": "1.0.0", "name": "pnl-bad", "plugins": [
        {"type": rc.types["bridge"], "bridge": br, "isGateway": True,
         "ipam": {"type": rc.types["host-local"], "dataDir": str(rc.cnifz / "ipam"),
                  "ranges": [[{"subnet": subnet, "gateway": "172.31.99.1"}]]}}]}
    rc.write_conflist(conf)
    r = rc.run("--rm", "--network", "pnl-bad", cmd=["/bin/true"], check=False)
    assert r.returncode == 126, (r.returncode, r.stderr)
    add = next(c for c in rc.spy(since) if c.command == "ADD" and c.name == rc.types["bridge"])
    err = add.result
    assert add.rc != 0 and isinstance(err, dict) and err.get("code") and err.get("msg"), add.stdout
    assert f'plugin type="{rc.types["bridge"]}" failed (add)' in r.stderr, r.stderr
    assert err["msg"] in r.stderr, (err, r.stderr)
    assert "172.31.99.1" in add.stdout or "gateway" in add.stdout.lower(), add.stdout
    # podman then sends DEL (without prevResult): it succeeds, or refuses the same bad config
    # with the same code (a spec error object, not a crash); nothing was made
    dels = wait_for(lambda: [c for c in rc.spy(since) if c.command == "DEL" and c.name == rc.types["bridge"]],
                    timeout=60, what="podman's DEL after the failed ADD")
    for c in dels:
        assert c.rc == 0 or (c.result or {}).get("code") == err["code"], c.stdout
    assert br not in {lk["ifname"] for lk in rc.ip_json("link")}
