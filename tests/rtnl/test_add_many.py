"""routes.add_many: N destinations with one set of options, checked against `ip -j route`;
errors name the destination, and a failure leaves none of the batch's routes behind."""
from __future__ import annotations

from typing import Any

import pytest

from pynetlink import BatchError, ExistsError, Handle, InvalidArgument

from ..conftest import ip_json
from .conftest import ip

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]


def routes(ns: Any, table: int | str, family: str = "-4") -> dict[str, dict[str, Any]]:
    out = ip_json(ns.name, family, "route", "show", "table", str(table))
    assert isinstance(out, list)
    return {r["dst"]: r for r in out}


def test_add_many_adds_every_route(wired: Handle, netns: Any) -> None:
    dsts = [f"172.17.{i >> 8}.{i & 255}/32" for i in range(1, 301)] + ["10.20.0.0/16", "10.30.1.7/16"]
    assert wired.routes.add_many(dsts, via="198.51.100.2", table=100, metric=7, protocol="static") is None
    got = routes(netns, 100)
    want = {d.removesuffix("/32") for d in dsts[:300]} | {"10.20.0.0/16", "10.30.0.0/16"}   # masked
    assert set(got) == want
    for r in got.values():
        assert (r["gateway"], r["dev"], r["metric"], r["protocol"]) == ("198.51.100.2", "eth0", 7, "static")


def test_add_many_ipv6_and_default(wired: Handle, netns: Any) -> None:
    wired.routes.add_many(["2001:db8:77::/48", "default", "2001:db8:78::1"], via="2001:db8:5::2", table=101)
    got = routes(netns, 101, "-6")
    assert set(got) == {"2001:db8:77::/48", "default", "2001:db8:78::1"}
    assert {r["gateway"] for r in got.values()} == {"2001:db8:5::2"}


def test_default_among_ipv4_destinations(wired: Handle, netns: Any) -> None:
    wired.routes.add_many(["172.17.0.9/32", "default", "10.9.1.1/16"], via="198.51.100.2", table=103)
    assert set(routes(netns, 103)) == {"172.17.0.9", "default", "10.9.0.0/16"}


def test_a_failing_member_is_named_and_the_others_are_removed(wired: Handle, netns: Any) -> None:
    ip(netns, "route", "add", "172.17.0.5/32", "via", "198.51.100.2", "table", "100")
    dsts = ["172.17.0.4/32", "172.17.0.5/32", "172.17.0.6/32"]
    with pytest.raises(ExistsError) as e:
        wired.routes.add_many(dsts, via="198.51.100.2", table=100)
    assert "172.17.0.5/32" in str(e.value) and e.value.operation == "add route"
    assert set(routes(netns, 100)) == {"172.17.0.5"}        # only the one that was there before


def test_a_failing_member_of_a_large_batch(wired: Handle, netns: Any) -> None:
    ip(netns, "route", "add", "172.17.0.150/32", "via", "198.51.100.2", "table", "104")
    dsts = [f"172.17.0.{i}/32" for i in range(1, 201)]
    with pytest.raises(ExistsError) as e:
        wired.routes.add_many(dsts, via="198.51.100.2", table=104)
    assert "172.17.0.150/32" in str(e.value) and "172.17.0.149/32" not in str(e.value)
    assert set(routes(netns, 104)) == {"172.17.0.150"}


def test_in_a_batch_with_rollback(wired: Handle, netns: Any) -> None:
    with pytest.raises(BatchError) as e:
        with wired.batch(rollback=True) as b:
            many = b.routes.add_many(["10.1.0.0/16", "10.2.0.0/16"], via="198.51.100.2", table=102)
            b.routes.add("10.3.0.0/16", via="198.51.100.2", table=102)
            b.routes.add("10.3.0.0/16", via="198.51.100.2", table=102)        # exists: fails
    assert many.ok and e.value.undone and not routes(netns, 102)
    with wired.batch() as b:
        b.routes.add_many([], via="198.51.100.2")                     # nothing to do
        b.routes.add_many(["10.4.0.0/16"], via="198.51.100.2", table=102)
    assert set(routes(netns, 102)) == {"10.4.0.0/16"}


@pytest.mark.parametrize("dsts, options, names", [
    (["10.1.0.0/16", "2001:db8::/32"], {"via": "198.51.100.2"}, "dsts[1]"),
    (["10.1.0.0/16", "10.300.0.0/16"], {"via": "198.51.100.2"}, "dsts[1]"),
    (["10.1.0.0/16", "10.2.0.0/33"], {"via": "198.51.100.2"}, "dsts[1]"),
    (["10.1.0.0/16", 7], {"via": "198.51.100.2"}, "dsts[1]"),
    (["10.1.0.0/16", "10.2.0.0/16\n10.3.0.0/16", "10.4.0.0/16"], {"via": "198.51.100.2"}, "dsts[1]"),
    (["10.1.0.0/16", "10.5.0.0/16", "10.\u00e9.0.0/16"], {"via": "198.51.100.2"}, "dsts[2]"),
    (["10.1.0.0/16", "default", "10.6.0.0/1x"], {"via": "198.51.100.2"}, "dsts[2]"),
    ("10.1.0.0/16", {"via": "198.51.100.2"}, "dsts"),
    (["10.1.0.0/16"], {"via": "198.51.100.300"}, "Route.via"),
    (["10.1.0.0/16"], {"via": "198.51.100.2", "tabel": 5}, "tabel"),
    (["10.1.0.0/16"], {"dev": "nosuch0"}, "nosuch0"),
])
def test_bad_input_names_it_and_changes_nothing(wired: Handle, netns: Any, dsts: Any, options: Any,
                                                names: str) -> None:
    before = routes(netns, "all")
    with pytest.raises(InvalidArgument, match=names.replace("[", r"\[")):
        wired.routes.add_many(dsts, **options)
    assert routes(netns, "all") == before
