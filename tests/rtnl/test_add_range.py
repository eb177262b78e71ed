"""routes.add_range: consecutive prefixes from a first one and a count, checked against
`ip -j route`; bad input changes nothing; a failing member is named and the others removed."""
from __future__ import annotations

from typing import Any

import pytest

from pynetlink import BatchError, ExistsError, Handle, InvalidArgument

from .conftest import ip
from .test_add_many import routes

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]


def test_add_range_adds_every_route(wired: Handle, netns: Any) -> None:
    assert wired.routes.add_range("172.17.0.1/32", 300, via="198.51.100.2", table=100, metric=7) is None
    got = routes(netns, 100)
    assert set(got) == {f"172.17.{v >> 8}.{v & 255}" for v in range(1, 301)}
    for r in got.values():
        assert (r["gateway"], r["dev"], r["metric"]) == ("198.51.100.2", "eth0", 7)


def test_add_range_of_wider_prefixes_masks_the_first(wired: Handle, netns: Any) -> None:
    wired.routes.add_range("10.7.3.9/24", 3, via="198.51.100.2", table=101)
    assert set(routes(netns, 101)) == {"10.7.3.0/24", "10.7.4.0/24", "10.7.5.0/24"}


def test_add_range_ipv6(wired: Handle, netns: Any) -> None:
    wired.routes.add_range("2001:db8:77::/64", 3, via="2001:db8:5::2", table=102)
    assert set(routes(netns, 102, "-6")) == {"2001:db8:77::/64", "2001:db8:77:1::/64", "2001:db8:77:2::/64"}


def test_a_failing_member_is_named_and_the_others_are_removed(wired: Handle, netns: Any) -> None:
    ip(netns, "route", "add", "172.17.0.150/32", "via", "198.51.100.2", "table", "104")
    with pytest.raises(ExistsError) as e:
        wired.routes.add_range("172.17.0.1/32", 200, via="198.51.100.2", table=104)
    assert "172.17.0.150/32" in str(e.value) and e.value.operation == "add route"
    assert set(routes(netns, 104)) == {"172.17.0.150"}        # only the one that was there before


def test_in_a_batch_with_rollback(wired: Handle, netns: Any) -> None:
    with pytest.raises(BatchError) as e:
        with wired.batch(rollback=True) as b:
            many = b.routes.add_range("10.1.0.0/16", 2, via="198.51.100.2", table=105)
            b.routes.add("10.3.0.0/16", via="198.51.100.2", table=105)
            b.routes.add("10.3.0.0/16", via="198.51.100.2", table=105)        # exists: fails
    assert many.ok and e.value.undone and not routes(netns, 105)
    wired.routes.add_range("10.4.0.0/16", 0, via="198.51.100.2", table=105)   # nothing to do
    assert not routes(netns, 105)


@pytest.mark.parametrize("first, count, options, names", [
    ("10.300.0.0/16", 2, {"via": "198.51.100.2"}, "first"),
    ("10.1.0.0/33", 2, {"via": "198.51.100.2"}, "first"),
    (7, 2, {"via": "198.51.100.2"}, "first"),
    ("10.1.0.0/16", -1, {"via": "198.51.100.2"}, "count"),
    ("10.1.0.0/16", "2", {"via": "198.51.100.2"}, "count"),
    ("10.1.0.0/16", 1 << 30, {"via": "198.51.100.2"}, "count"),
    ("255.255.255.0/24", 2, {"via": "198.51.100.2"}, "count: 2 prefixes"),
    ("10.1.0.0/16", 2, {"via": "198.51.100.300"}, "Route.via"),
    ("10.1.0.0/16", 2, {"via": "2001:db8::1"}, "mixed IPv4 and IPv6"),   # Route's own check
    ("10.1.0.0/16", 2, {"via": "198.51.100.2", "tabel": 5}, "tabel"),
    ("10.1.0.0/16", 2, {"dev": "nosuch0"}, "nosuch0"),
])
def test_bad_input_names_it_and_changes_nothing(wired: Handle, netns: Any, first: Any, count: Any,
                                                options: Any, names: str) -> None:
    before = routes(netns, "all")
    with pytest.raises(InvalidArgument, match=names):
        wired.routes.add_range(first, count, **options)
    assert routes(netns, "all") == before
