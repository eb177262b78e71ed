"""Traffic shaping (h.tc): tbf, ingress + u32/mirred redirect to ifb, read back, removed.

Oracles: `tc -j qdisc show`, `tc -j filter show`, and traffic: TCP throughput between two
namespaces is held near the rate set, in both directions, and far above it unshaped.
"""
from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from typing import Any, Callable

import pytest

from pynetlink import Handle, NetNS, Veth
from pynetlink.errors import InvalidArgument
from pynetlink.rtnl.tc import Tbf, parse_rate, parse_size, rate_table, xmit_ticks

RATE = 8_000_000                  # bits/s: 1 MB/s


def tc_json(ns: NetNS, *args: str) -> Any:
    out = subprocess.run(["ip", "netns", "exec", str(ns.name), "tc", "-j", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


@pytest.fixture
def pair(make_netns: Callable[..., NetNS]) -> Any:
    """Namespaces a (veth ``va``, 198.51.100.1) and b (``vb``, .2), wired together."""
    a, b = make_netns("tca"), make_netns("tcb")
    with Handle(a) as ha:
        ha.links.create(Veth("va", peer="vb", peer_netns=b, up=True))
        ha.addresses.add("va", "198.51.100.1/24")
        with Handle(b) as hb:
            hb.links.set("vb", up=True)
            hb.addresses.add("vb", "198.51.100.2/24")
        yield a, b, ha


def throughput(src: NetNS, dst: NetNS, dst_ip: str, seconds: float = 1.6) -> float:
    """Bytes/s a TCP sender in ``src`` gets through to ``dst``, measured by the receiver
    from 0.3 s after the first byte (start-up and the burst left out) until the end."""
    lsock = dst.run(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    # a small receive buffer: a receiver delayed by a loaded machine cannot find much queued
    # data at the window's edges (which read as a rate above the limit)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    lsock.bind((dst_ip, 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    marks: list[tuple[float, int]] = []

    def receive() -> None:
        conn, _ = lsock.accept()
        total = 0
        with conn:
            while True:
                data = conn.recv(1 << 16)
                if not data:
                    break
                total += len(data)
                marks.append((time.monotonic(), total))

    rx = threading.Thread(target=receive)
    rx.start()
    s = src.run(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    s.settimeout(5)
    s.connect((dst_ip, port))
    chunk = b"x" * (1 << 16)
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            s.send(chunk)
    finally:
        s.close()
        rx.join(30)
        lsock.close()
    t0 = marks[0][0] + 0.3
    window = [(t, n) for t, n in marks if t >= t0 and t <= marks[0][0] + seconds]
    assert len(window) >= 2, "too few samples"
    (ta, na), (tb, nb) = window[0], window[-1]
    return (nb - na) / (tb - ta)


def test_rate_table_matches_tc_core() -> None:
    """cell_log 3 for the default MTU of 2047; entry i is the time of (i+1) << 3 bytes."""
    cell_log, rtab = rate_table(1_000_000)
    assert cell_log == 3
    assert len(rtab) == 1024
    first, last = int.from_bytes(rtab[:4], "little"), int.from_bytes(rtab[-4:], "little")
    assert first == xmit_ticks(1_000_000, 8) and last == xmit_ticks(1_000_000, 2048)
    assert xmit_ticks(1_000_000, 1_000_000) == 15_625_000      # 1 s in 64 ns ticks


def test_units_and_bad_values() -> None:
    assert parse_rate("8mbit", "r") == 8_000_000 and parse_rate("1gbit", "r") == 10**9
    assert parse_rate("125kbps", "r") == 1_000_000 and parse_rate(100, "r") == 100
    assert parse_size("32kb", "b") == 32768 and parse_size("1mb", "b") == 1 << 20
    for bad in ("fast", "-1mbit", "8 furlongs", 0, True, 1.5):
        with pytest.raises(InvalidArgument, match="Tbf.rate"):
            Tbf(bad, 1000)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="Tbf.burst"):
        Tbf(RATE, "lots")
    with pytest.raises(InvalidArgument, match="latency"):
        Tbf(RATE, 1000, latency=-1)
    with pytest.raises(InvalidArgument, match="not both"):
        Tbf(RATE, 1000, latency=0.1, limit=5000)


@pytest.mark.root
def test_tbf_qdisc_matches_tc(pair: Any) -> None:
    a, _, h = pair
    h.tc.add_tbf("va", "8mbit", "32kb", latency=0.05)
    (q,) = [x for x in h.tc.qdiscs("va")]
    assert (q.kind, q.handle, q.parent, q.rate, q.burst) == ("tbf", "1:", "root", RATE, 32768)
    assert q.limit == 1_000_000 // 20 + 32768 and q.latency == 0.05
    (oracle,) = tc_json(a, "qdisc", "show", "dev", "va")
    assert oracle["kind"] == "tbf" and oracle["handle"] == "1:" and oracle["root"]
    assert oracle["options"]["rate"] == RATE // 8 and oracle["options"]["burst"] == 32768
    assert oracle["options"]["lat"] == 50000
    h.tc.add_tbf("va", "16mbit", "64kb", limit="100kb")            # replaces
    assert tc_json(a, "qdisc", "show", "dev", "va")[0]["options"]["rate"] == 2_000_000
    assert h.tc.qdiscs("va")[0].limit == 102400
    h.tc.delete_qdisc("va")
    assert tc_json(a, "qdisc", "show", "dev", "va")[0]["kind"] != "tbf"


@pytest.mark.root
def test_set_bandwidth_read_back_and_clear(pair: Any) -> None:
    a, _, h = pair
    bw = h.tc.set_bandwidth("va", ingress_rate="8mbit", ingress_burst="32kb",
                            egress_rate=4_000_000, egress_burst=16384)
    idx = h.links.get("va").index
    assert bw.to_dict() == {"ingress_rate": RATE, "ingress_burst": 32768, "egress_rate": 4_000_000,
                            "egress_burst": 16384, "ifb": f"ifb-{idx}"}
    qd = {(q["dev"], q["kind"]): q for q in tc_json(a, "qdisc", "show")}
    assert qd[("va", "tbf")]["options"]["rate"] == 500_000
    assert ("va", "ingress") in qd
    assert qd[(f"ifb-{idx}", "tbf")]["options"]["rate"] == RATE // 8
    (filt,) = [f for f in tc_json(a, "filter", "show", "dev", "va", "ingress") if "options" in f
               and "actions" in f["options"]]
    act = filt["options"]["actions"][0]
    assert (act["kind"], act["mirred_action"], act["direction"], act["to_dev"]) == \
        ("mirred", "redirect", "egress", f"ifb-{idx}")
    assert filt["protocol"] == "all" and filt["kind"] == "u32"
    (mine,) = [f for f in h.tc.filters("va") if f.actions]
    assert mine.actions == [{"kind": "mirred", "action": "egress redirect",
                             "ifindex": h.links.get(f"ifb-{idx}").index}]
    # set again: replaced, not doubled
    h.tc.set_bandwidth("va", egress_rate="2mbit", egress_burst="10kb")
    assert h.tc.bandwidth("va").to_dict() == {"ingress_rate": None, "ingress_burst": None,
                                              "egress_rate": 2_000_000, "egress_burst": 10240, "ifb": None}
    assert f"ifb-{idx}" not in [x.name for x in h.links.dump()]
    h.tc.clear_bandwidth("va")
    assert [q["kind"] for q in tc_json(a, "qdisc", "show", "dev", "va")] == ["noqueue"]
    h.tc.clear_bandwidth("va")                                     # nothing left: no-op


@pytest.mark.root
def test_bad_bandwidth_changes_nothing(pair: Any) -> None:
    a, _, h = pair
    before = tc_json(a, "qdisc", "show")
    for kw, match in ((dict(), "give ingress_rate"), (dict(ingress_rate="8mbit"), "go together"),
                      (dict(egress_rate="fast", egress_burst=100), "egress_rate"),
                      (dict(egress_rate=RATE, egress_burst=-5), "egress_burst")):
        with pytest.raises(InvalidArgument, match=match):
            h.tc.set_bandwidth("va", **kw)
    with pytest.raises(FileNotFoundError):
        h.tc.set_bandwidth("nosuch0", egress_rate=RATE, egress_burst=10000)
    with pytest.raises(InvalidArgument, match="parent"):
        h.tc.delete_qdisc("va", "sideways")
    assert tc_json(a, "qdisc", "show") == before


@pytest.mark.root
def test_failed_set_bandwidth_rolls_back(pair: Any) -> None:
    """The ifb name taken by a veth: the create fails, nothing of the attempt stays."""
    a, _, h = pair
    idx = h.links.get("va").index
    h.links.create(Veth(f"ifb-{idx}", peer="spare0"))
    before = tc_json(a, "qdisc", "show")
    with pytest.raises(FileExistsError):
        h.tc.set_bandwidth("va", ingress_rate=RATE, ingress_burst=32768, egress_rate=RATE, egress_burst=32768)
    assert tc_json(a, "qdisc", "show") == before


@pytest.mark.root
def test_traffic_is_limited_both_ways(pair: Any) -> None:
    a, b, h = pair
    free = throughput(a, b, "198.51.100.2")
    h.tc.set_bandwidth("va", egress_rate=RATE, egress_burst=32768, ingress_rate=RATE, ingress_burst=32768)
    out_rate = throughput(a, b, "198.51.100.2")        # a sends: va's egress tbf
    in_rate = throughput(b, a, "198.51.100.1")         # a receives: ifb's tbf
    h.tc.clear_bandwidth("va")
    again = throughput(b, a, "198.51.100.1")
    limit = RATE / 8
    print(f"free {free:.0f} shaped out {out_rate:.0f} in {in_rate:.0f} after {again:.0f} B/s")
    assert 0.3 * limit < out_rate < 1.5 * limit, (out_rate, limit)
    assert 0.3 * limit < in_rate < 1.5 * limit, (in_rate, limit)
    assert free > 5 * limit and again > 5 * limit, (free, again)


@pytest.mark.root
def test_clsact_of_others_is_left_alone(pair: Any) -> None:
    """clear_bandwidth removes only what set_bandwidth made; an ingress limit on a link that
    has a clsact qdisc already fails (EEXIST) and changes nothing."""
    a, _, h = pair
    h.tc.add_qdisc("va", "clsact")
    assert [q["kind"] for q in tc_json(a, "qdisc", "show", "dev", "va") if q["kind"] != "noqueue"] == ["clsact"]
    h.tc.clear_bandwidth("va")
    before = tc_json(a, "qdisc", "show")
    with pytest.raises(FileExistsError):
        h.tc.set_bandwidth("va", ingress_rate=RATE, ingress_burst=32768)
    assert tc_json(a, "qdisc", "show") == before
    assert not [x for x in h.links.dump() if x.name.startswith("ifb-")]
    h.tc.delete_qdisc("va", "clsact")
    assert [q["kind"] for q in tc_json(a, "qdisc", "show", "dev", "va")] == ["noqueue"]
