"""Batches, errors with extack and field names, bad input refused before sending, threads."""
from __future__ import annotations

import threading
from typing import Any

import pytest

from pynetlink import (BatchError, Bridge, ExistsError, Handle, InvalidArgument, Ipvlan, Macvlan,
                       NetNS, NotFoundError, Route, Veth, Vlan, Vxlan)
from pynetlink.transport import NetlinkSocket

from ..conftest import ip_json

pytestmark = pytest.mark.root


class Counter:
    """Counts transfers (one encode + one C transfer call each) on a socket."""

    def __init__(self, h: Handle, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[int] = []
        sock = h._sock
        orig = NetlinkSocket.transact

        def counted(items: Any, **kw: Any) -> Any:
            self.calls.append(len(items))
            return orig(sock, items, **kw)

        monkeypatch.setattr(sock, "transact", counted)


@pytest.mark.kernel("veth", "bridge")
def test_hundreds_of_creates_in_few_transfers(h: Handle, netns: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    c = Counter(h, monkeypatch)
    with h.batch() as b:
        b.links.create(Bridge("br0", up=True))
        outs = [b.links.create(Veth(f"v{i}", peer=f"p{i}", master="br0", up=True)) for i in range(200)]
    # phase 1: the bridge; then br0 is looked up (an ioctl, no transfer); phase 2: the 200 veths
    assert c.calls == [1, 200]
    assert all(o.ok for o in outs)
    names = {x.name for x in h.links.dump()}
    assert {f"v{i}" for i in range(200)} <= names and len(names) == 402
    assert len(h.links.dump(master="br0")) == 200
    assert len(ip_json(netns.name, "link", "show", "master", "br0")) == 200  # type: ignore[arg-type]


@pytest.mark.kernel("veth")
def test_names_resolved_once_per_batch(h: Handle, monkeypatch: pytest.MonkeyPatch) -> None:
    h.links.create(Veth("eth0", peer="eth0p", up=True))
    c = Counter(h, monkeypatch)
    with h.batch() as b:
        for i in range(50):
            b.addresses.add("eth0", f"198.51.100.{i + 1}/24")
        b.routes.add("203.0.113.0/24", dev="eth0")
    assert c.calls == [51]                      # eth0 looked up by ioctl; one transfer
    assert len(h.addresses.dump("eth0", family=4)) == 50


@pytest.mark.kernel("veth", "bridge")
def test_names_resolved_by_netlink_when_the_ioctl_is_refused(h: Handle,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from pynetlink.rtnl import request
    h.links.create(Veth("eth0", peer="eth0p", up=True))
    monkeypatch.setattr(request, "_ioctl_lookup", lambda sock, names: None)
    c = Counter(h, monkeypatch)
    with h.batch() as b:
        b.links.create(Bridge("br0", up=True))
        b.links.create(Veth("v0", peer="p0", master="br0"))
        b.addresses.add("eth0", "198.51.100.1/24")
    assert c.calls == [1, 1, 1, 2]              # eth0's get, the bridge, br0's get, the rest
    names = [f"n{i}" for i in range(40)] + ["eth0", "lo"]     # many names: one dump
    assert request.lookup(h._sock, names) == {"eth0": h.links.get("eth0").index, "lo": 1}
    with pytest.raises(InvalidArgument):
        h.addresses.add("missing", "198.51.100.2/24")


def kernel_refused_mac(spec: Vxlan) -> Vxlan:
    """A multicast MAC past validation (which refuses it), for the kernel to refuse with an
    extack offset."""
    object.__setattr__(spec, "mac", "01:00:5e:00:00:01")
    return spec


@pytest.mark.kernel("veth")
def test_batch_error_results_and_extack_field(h: Handle, netns: Any) -> None:
    h.links.create(Veth("dup", peer="dupp"))
    with pytest.raises(BatchError) as exc:
        with h.batch() as b:
            ok = b.links.create(Veth("fine", peer="finep"))
            dup = b.links.create(Veth("dup", peer="other"))
            bad = b.links.create(kernel_refused_mac(Vxlan("vx0", id=5)))
    results = exc.value.results
    assert [r is None for r in results] == [True, False, False]
    assert ok.ok and not dup.ok and isinstance(dup.error, ExistsError)
    err = bad.error
    assert err is not None and err.extack == "Provided Ethernet address is not unicast"  # type: ignore[attr-defined]
    assert err.field == "Vxlan.mac"  # type: ignore[attr-defined]
    assert "(field Vxlan.mac)" in str(err) and "vx0" in str(err)
    assert h.links.get("fine").kind == "veth"          # not atomic: the good one stays


@pytest.mark.kernel("veth", "bridge")
def test_batch_rollback_undoes_what_succeeded(h: Handle) -> None:
    h.links.create(Veth("taken", peer="takenp"))
    before = {x.name for x in h.links.dump()}
    with pytest.raises(BatchError) as exc:
        with h.batch(rollback=True) as b:
            b.links.create(Bridge("br7"))
            b.links.create(Veth("a7", peer="b7", master="br7"))
            b.links.create(Veth("taken", peer="x7"))
    assert [u.split(" in netns")[0] for u in exc.value.undone] == ["delete link a7", "delete link br7"]
    assert {x.name for x in h.links.dump()} == before


@pytest.mark.kernel("veth")
def test_unknown_name_refuses_the_whole_batch(h: Handle) -> None:
    with pytest.raises(InvalidArgument, match="nosuchbr"):
        with h.batch() as b:
            b.links.create(Veth("c2", peer="c2p"))
            b.links.create(Veth("c3", peer="c3p", master="nosuchbr"))
    assert [x.name for x in h.links.dump()] == ["lo"]


@pytest.mark.kernel("bridge", "veth", "vxlan")
def test_later_phases_run_and_dependents_of_failures_fail(h: Handle) -> None:
    h.links.create(Bridge("brX"))
    with pytest.raises(BatchError) as exc:
        with h.batch() as b:
            b.links.create(Bridge("brX"))                                   # EEXIST
            b.links.create(Bridge("brY"))
            b.links.create(kernel_refused_mac(Vxlan("vxZ", id=9)))           # refused
            dep = b.links.create(Veth("d1", peer="d1p", master="brY"))      # next phase: runs
            orphan = b.links.create(Veth("d2", peer="d2p", master="vxZ"))   # its master failed
    assert isinstance(exc.value.results[0], ExistsError) and dep.ok
    assert isinstance(orphan.error, NotFoundError) and "earlier request" in str(orphan.error)
    assert h.links.get("d1").master == h.links.get("brY").index


BAD = [
    lambda: Veth("x" * 16, peer="p"),
    lambda: Veth("", peer="p"),
    lambda: Veth("a/b", peer="p"),
    lambda: Veth("ok", peer="bad name"),
    lambda: Vlan("v", parent="eth0", id=4095),
    lambda: Vlan("v", parent="eth0", id=0),
    lambda: Macvlan("m", parent="eth0", mode="bridg"),
    lambda: Ipvlan("i", parent="eth0", mode="l4"),
    lambda: Ipvlan("i", parent="eth0", flag="privat"),
    lambda: Bridge("b", forward_delay=100),
    lambda: Bridge("b", group_fwd_mask=1),
    lambda: Veth("ok", peer="p", mtu=10),
    lambda: Veth("ok", peer="p", mac="02:00:00:00:00"),
    lambda: Route("10.0.0.0/33", dev="eth0"),
    lambda: Route("default", via="10.0.0.1/24"),
    lambda: Route("10.0.0.0/8", via="2001:db8::1"),
    lambda: Route("10.0.0.0/8", type="blackhole", dev="eth0"),
]


@pytest.mark.parametrize("make", BAD)
def test_bad_specs_are_refused(make: Any) -> None:
    with pytest.raises(InvalidArgument):
        make()


@pytest.mark.kernel("veth", "macvlan")
def test_bad_input_changes_nothing(h: Handle, netns: Any) -> None:
    h.links.create(Veth("eth0", peer="eth0p"))
    before = ip_json(netns.name, "-d", "addr", "show")
    bad = [
        lambda: h.links.create(Macvlan("m0", parent="missing", mode="bridge")),
        lambda: h.addresses.add("eth0", "198.51.100.1/33"),
        lambda: h.addresses.add("eth0", "198.51.100.1/24", flags=("nodadd",)),
        lambda: h.addresses.add("eth0", "198.51.100.1/24", colour="red"),
        lambda: h.routes.add("198.51.100.0/24", dev="missing"),
        lambda: h.links.set("eth0", mtu=10),
        lambda: h.links.set("eth0", name="x" * 16),
        lambda: h.links.delete_group(0),
    ]
    for call in bad:
        with pytest.raises(InvalidArgument):
            call()
    with pytest.raises(InvalidArgument):
        with h.batch() as b:
            b.links.create(Veth("fine0", peer="fine1"))
            b.links.create(Macvlan("m0", parent="nope", mode="bridge"))
    assert ip_json(netns.name, "-d", "addr", "show") == before


@pytest.mark.kernel("veth")
def test_not_found(h: Handle) -> None:
    with pytest.raises(NotFoundError):
        h.links.get("nope")
    with pytest.raises(NotFoundError):
        h.links.delete("nope")
    with pytest.raises(FileNotFoundError):
        h.links.set("nope", up=True)


@pytest.mark.kernel("veth")
def test_one_handle_many_threads(h: Handle) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(20):
                h.links.create(Veth(f"t{t}x{i}", peer=f"t{t}y{i}"))
                assert h.links.get(f"t{t}x{i}").kind == "veth"
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(h.links.dump(kind="veth")) == 240


@pytest.mark.kernel("veth")
def test_netns_handle_and_views_outlive_transfers(make_netns: Any) -> None:
    ns = NetNS.create(make_netns("x").name + "-api")
    try:
        with ns.handle() as c:
            c.links.set("lo", up=True)
            lo = c.links.get("lo")
            c.links.create(Veth("e0", peer="e1"))
            assert lo.up and lo.name == "lo" and lo.to_dict()["mtu"] == 65536
    finally:
        ns.delete()
