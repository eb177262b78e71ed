"""``Handle.attach_many``: Docker-style attach of many containers in one call, on the real
kernel (links, addresses, routes as ``ip -j`` shows them, traffic), bad input (nothing
changed) and rollback (a failure in one container undoes the whole call)."""
from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from pynetlink import Bridge, Handle, NetNS
from pynetlink.errors import BatchError, InvalidArgument, NetlinkError

from ..cni.traffic import ping
from ..conftest import unique_name

pytestmark = pytest.mark.root
GW = "172.16.0.1"


def _n(ns: NetNS) -> str:
    assert ns.name is not None
    return ns.name


def ipj(ns: NetNS, *args: str) -> Any:
    out = subprocess.run(["ip", "-j", "-n", _n(ns), *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def sh(ns: NetNS, *args: str) -> None:
    subprocess.run(["ip", "-n", _n(ns), *args], check=True, capture_output=True)


@pytest.fixture
def host(make_netns: Callable[..., NetNS]) -> Iterator[tuple[NetNS, Handle]]:
    """A namespace of the test's with bridge br0 (172.16.0.1/16, up) and its Handle."""
    ns = make_netns("amh")
    with Handle(ns) as h:
        h.links.create(Bridge("br0"), up=True)
        h.addresses.add("br0", f"{GW}/16")
        yield ns, h


@pytest.fixture
def ctrs() -> Iterator[list[tuple[NetNS, Handle]]]:
    """Three fresh container namespaces with their Handles (only IPv4 is asserted)."""
    made = NetNS.create_with_handles([unique_name("amc") for _ in range(3)])
    try:
        yield made
    finally:
        for ns, h in made:
            h.close()
            ns.delete()


def _pairs(made: list[tuple[NetNS, Handle]]) -> list[tuple[Handle, str]]:
    return [(h, f"172.16.0.{10 + k}/16") for k, (_, h) in enumerate(made)]


def _names(made: list[tuple[NetNS, Handle]]) -> list[str]:
    return [f"vh{k}" for k in range(len(made))]


def _host_veths(ns: NetNS) -> list[str]:
    return sorted(l["ifname"] for l in ipj(ns, "link", "show") if l["ifname"].startswith("vh"))


def _lo_up(ns: NetNS) -> bool:
    return "UP" in ipj(ns, "link", "show", "lo")[0]["flags"]


def test_attach_many_connects_every_container(host: tuple[NetNS, Handle],
                                              ctrs: list[tuple[NetNS, Handle]]) -> None:
    hns, h = host
    h.attach_many("br0", _pairs(ctrs), names=_names(ctrs), gateway=GW)
    br = {l["ifname"]: l for l in ipj(hns, "link", "show")}
    for k, (ns, _) in enumerate(ctrs):
        port = br[f"vh{k}"]
        assert port["master"] == "br0" and "UP" in port["flags"]
        eth0 = ipj(ns, "link", "show", "eth0")[0]
        assert "UP" in eth0["flags"] and eth0["link_type"] == "ether"
        assert _lo_up(ns)
        addrs = [(a["local"], a["prefixlen"]) for i in ipj(ns, "-4", "addr", "show", "eth0")
                 for a in i["addr_info"]]
        assert addrs == [(f"172.16.0.{10 + k}", 16)]
        routes = ipj(ns, "-4", "route", "show", "default")
        assert [(r["gateway"], r["dev"]) for r in routes] == [(GW, "eth0")]
    # traffic: container 0 reaches container 2 over the bridge, and the gateway
    for dst in ("172.16.0.12", GW):
        assert ping(_n(ctrs[0][0]), dst)


def test_attach_many_of_none_sends_nothing(host: tuple[NetNS, Handle]) -> None:
    host[1].attach_many("br0", [], names=[], gateway=GW)
    assert _host_veths(host[0]) == []


@pytest.mark.parametrize("kw, field", [
    ({"bridge": "nosuchbr"}, "nosuchbr"),
    ({"names": ["vh0", "vh1"]}, "names: 2 names for 3"),
    ({"names": ["vh0", "vh0", "vh2"]}, "names: duplicate"),
    ({"names": ["vh0", "x" * 16, "vh2"]}, "names[1]"),
    ({"gateway": "172.16.0.1/16"}, "gateway"),
    ({"gateway": "2001:db8::1"}, "gateway"),
    ({"ifname": "bad name"}, "ifname"),
    ({"addr1": "172.16.0.300/16"}, "containers[1]"),
    ({"addr1": "fd00::2/64"}, "containers[1]"),
    ({"pair1": "not a pair"}, "containers[1]"),
    ({"handle1": "host"}, "containers[1]"),
    ({"containers": "ctr"}, "containers"),
])
def test_bad_input_names_the_argument_and_changes_nothing(
        host: tuple[NetNS, Handle], ctrs: list[tuple[NetNS, Handle]], kw: dict[str, Any], field: str) -> None:
    hns, h = host
    pairs: Any = _pairs(ctrs)
    if "addr1" in kw:
        pairs[1] = (pairs[1][0], kw.pop("addr1"))
    if "pair1" in kw:
        pairs[1] = kw.pop("pair1")
    if kw.pop("handle1", None):       # a Handle of the caller's own namespace (netns None)
        pairs[1] = (Handle(), pairs[1][1])
    args: dict[str, Any] = {"bridge": "br0", "containers": pairs, "names": _names(ctrs), "gateway": GW}
    args.update(kw)
    try:
        with pytest.raises(InvalidArgument, match=field.replace("[", r"\[").replace("]", r"\]")):
            h.attach_many(args.pop("bridge"), args.pop("containers"), **args)
    finally:
        if isinstance(pairs[1], tuple) and pairs[1][0].netns is None:
            pairs[1][0].close()
    assert _host_veths(hns) == []
    for ns, _ in ctrs:
        assert not _lo_up(ns)
        assert [l["ifname"] for l in ipj(ns, "link", "show")] == ["lo"]


def test_failure_in_one_container_undoes_every_container(
        host: tuple[NetNS, Handle], ctrs: list[tuple[NetNS, Handle]]) -> None:
    hns, h = host
    busy = ctrs[1][0]
    sh(busy, "link", "set", "lo", "up")
    sh(busy, "route", "add", "default", "dev", "lo")      # its default route: ours is refused
    with pytest.raises(NetlinkError) as info:
        h.attach_many("br0", _pairs(ctrs), names=_names(ctrs), gateway=GW)
    err = info.value
    assert err.errno == errno.EEXIST and err.operation == "add route" and _n(busy) in err.target
    assert _host_veths(hns) == []
    for ns, _ in ctrs:
        assert [l["ifname"] for l in ipj(ns, "link", "show")] == ["lo"]
    # the lo this call brought up is down again, without its 127.0.0.1; the busy one's stays
    assert not _lo_up(ctrs[0][0]) and not any(
        i.get("addr_info") for i in ipj(ctrs[0][0], "-4", "addr", "show", "lo"))
    assert _lo_up(busy)
    assert [r["dev"] for r in ipj(busy, "-4", "route", "show", "default")] == ["lo"]


def test_refused_host_veth_deletes_the_others(host: tuple[NetNS, Handle],
                                              ctrs: list[tuple[NetNS, Handle]]) -> None:
    hns, h = host
    sh(hns, "link", "add", "vh1", "type", "veth", "peer", "name", "other")
    with pytest.raises(BatchError) as info:
        h.attach_many("br0", _pairs(ctrs), names=_names(ctrs), gateway=GW)
    assert any(e is not None and e.errno == errno.EEXIST for e in info.value.errors)
    assert _host_veths(hns) == ["vh1"]            # only the one that was there
    for ns, _ in ctrs:
        assert [l["ifname"] for l in ipj(ns, "link", "show")] == ["lo"]
        assert not _lo_up(ns)


def _undone(hns: NetNS, ctrs: list[tuple[NetNS, Handle]]) -> None:
    """Nothing of the call is left: no host veth, each container only a ``lo`` that is down
    again without an address."""
    assert _host_veths(hns) == []
    for ns, _ in ctrs:
        assert [l["ifname"] for l in ipj(ns, "link", "show")] == ["lo"]
        assert not _lo_up(ns) and not any(i.get("addr_info") for i in ipj(ns, "addr", "show", "lo"))


def test_a_failed_rollback_step_is_a_note_on_the_original_error(
        host: tuple[NetNS, Handle], ctrs: list[tuple[NetNS, Handle]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program deletes vh0 just before the rollback: the kernel refuses that one
    deletion; the error raised is still the route's, the refusal a note, the rest undone."""
    from pynetlink.api import attach
    hns, h = host
    busy = ctrs[1][0]
    sh(busy, "link", "set", "lo", "up")
    sh(busy, "route", "add", "default", "dev", "lo")      # its default route: ours is refused
    real = attach._delete

    def raced(host_h: Handle, names: Any) -> None:
        sh(hns, "link", "del", "vh0")
        real(host_h, names)
    monkeypatch.setattr(attach, "_delete", raced)
    with pytest.raises(NetlinkError) as info:
        h.attach_many("br0", _pairs(ctrs), names=_names(ctrs), gateway=GW)
    err = info.value
    assert err.errno == errno.EEXIST and err.operation == "add route" and _n(busy) in err.target
    notes = getattr(err, "__notes__", [])
    assert len(notes) == 1 and notes[0].startswith("rollback step failed: delete 3 veths"), notes
    assert "vh0" in notes[0], notes
    assert _host_veths(hns) == []                         # vh1 and vh2 deleted all the same
    assert not _lo_up(ctrs[0][0]) and _lo_up(busy)        # and the lo this call brought up is down again


# Ctrl-C (SIGINT, sent by pynetlink.transport.faults) after the K-th netlink transfer of the
# call, counted from 1: the host veths, then one for every container (one C call sends each
# container's messages on its socket; the lookups are ioctls); "K,K2": a second one during the
# rollback (its first transfer: K + 1)
STEPS = 2


@pytest.mark.parametrize("plan", [f"int@{k}" for k in range(1, STEPS + 2)] + [f"int@{k},{k + 1}" for k in range(1, STEPS + 1)])
def test_ctrl_c_at_any_step_rolls_back(host: tuple[NetNS, Handle], ctrs: list[tuple[NetNS, Handle]], plan: str,
                                       tmp_path: Path) -> None:
    from ..reliability.test_faults import in_child
    hns, h = host
    log = tmp_path / "points"
    status = in_child(lambda: h.attach_many("br0", _pairs(ctrs), names=_names(ctrs), gateway=GW), plan, log)
    first = int(plan.split("@")[1].split(",")[0])
    passed = log.read_text().splitlines()
    if first > STEPS:                       # after the last step: the call completed
        assert os.waitstatus_to_exitcode(status) == 0 and len(passed) == STEPS, passed
        assert _host_veths(hns) == _names(ctrs)
        assert all(_lo_up(ns) for ns, _ in ctrs)
        return
    assert os.waitstatus_to_exitcode(status) == 130, (status, passed)       # KeyboardInterrupt
    _undone(hns, ctrs)


def test_attach_many_with_ipv6_addresses(make_netns: Callable[..., NetNS]) -> None:
    """Containers with 2001:db8::/64 addresses and an IPv6 gateway (DAD off in the test's
    namespaces, so the addresses are usable at once): addresses and default routes as
    ``ip -j -6`` shows them, and traffic between containers and to the gateway."""
    hns = make_netns("amh6")
    made = NetNS.create_with_handles([unique_name("amc6") for _ in range(2)])
    try:
        for ns in [hns] + [ns for ns, _ in made]:
            for key in ("net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"):
                ns.set_sysctl(key, 0)
        with Handle(hns) as h:
            h.links.create(Bridge("br0"), up=True)
            h.addresses.add("br0", "2001:db8::1/64")
            pairs = [(c, f"2001:db8::{10 + k}/64") for k, (_, c) in enumerate(made)]
            h.attach_many("br0", pairs, names=_names(made), gateway="2001:db8::1")
        for k, (ns, _) in enumerate(made):
            addrs = [(a["local"], a["prefixlen"], "tentative" in a) for i in ipj(ns, "-6", "addr", "show", "eth0")
                     for a in i["addr_info"] if a.get("scope") == "global"]
            assert addrs == [(f"2001:db8::{10 + k}", 64, False)]
            routes = ipj(ns, "-6", "route", "show", "default")
            assert [(r["gateway"], r["dev"]) for r in routes] == [("2001:db8::1", "eth0")]
        for dst in ("2001:db8::11", "2001:db8::1"):
            assert ping(_n(made[0][0]), dst)
    finally:
        for ns, c in made:
            c.close()
            ns.delete()
