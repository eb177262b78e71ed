"""cni.ipnet against ipaddress (the same values, texts, comparisons and errors) and the bridge
plugin's CRC-32 against zlib's: no kernel."""
from __future__ import annotations

import ipaddress
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pynetlink.cni import ipnet

V4 = st.integers(0, 2**32 - 1)
OCTET = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["", "01", "00", "1a", " 1", "+1", "0x1", "٣"]))
QUAD = st.lists(OCTET, min_size=1, max_size=5).map(".".join)
TEXT = st.one_of(QUAD, V4.map(lambda n: str(ipaddress.IPv4Address(n))), st.text(max_size=20),
                 st.sampled_from(["::1", "fe80::1%eth0", "2001:db8::/64", "::ffff:1.2.3.4", "lock",
                                  "last_reserved_ip.0", "1.2.3.4/255.255.0.0", "1.2.3.4/0.0.255.255"]))
PLEN = st.one_of(st.integers(0, 40).map(str), st.sampled_from(["", "024", "1a", " 8", "-1", "٣"]))
CIDR = st.one_of(st.tuples(TEXT, PLEN).map("/".join), TEXT)


def outcome(fn, *args, **kw):  # type: ignore[no-untyped-def]
    """(kind, value) of a call: the error's type and text, or the result."""
    try:
        return "ok", fn(*args, **kw)
    except ValueError as e:                 # ipaddress's errors are ValueErrors
        return "error", str(e)


def same_address(a: object, b: object) -> None:
    assert (str(a), int(a), a.version, a.max_prefixlen, hash(a), a == b, b == a) == \
        (str(b), int(b), b.version, b.max_prefixlen, hash(b), True, True)  # type: ignore[attr-defined]
    assert a.packed == b.packed and a.is_link_local == b.is_link_local  # type: ignore[attr-defined]


def same_network(a: object, b: object) -> None:
    assert (str(a), a.prefixlen, a.version, hash(a), a == b, b == a) == \
        (str(b), b.prefixlen, b.version, hash(b), True, True)  # type: ignore[attr-defined]
    same_address(a.network_address, b.network_address)  # type: ignore[attr-defined]
    same_address(a.broadcast_address, b.broadcast_address)  # type: ignore[attr-defined]


def same_interface(a: object, b: object) -> None:
    assert (str(a), hash(a), a == b, b == a, a.version) == (str(b), hash(b), True, True, b.version)  # type: ignore[attr-defined]
    same_address(a.ip, b.ip)  # type: ignore[attr-defined]
    same_network(a.network, b.network)  # type: ignore[attr-defined]


def compare(name: str, same: Callable[[object, object], None], value: object, **kw: object) -> None:
    """ipnet.<name>(value) against ipaddress.<name>(value): both fail alike or give equal objects."""
    mine, ref = outcome(getattr(ipnet, name), value, **kw), outcome(getattr(ipaddress, name), value, **kw)
    assert mine[0] == ref[0], (value, mine, ref)
    if ref[0] == "ok":
        same(mine[1], ref[1])
    else:
        assert mine[1] == ref[1]


@settings(max_examples=600, deadline=None)
@given(st.one_of(TEXT, V4, st.integers(-5, 2**40)))
def test_ip_address_as_ipaddress(value: object) -> None:
    compare("ip_address", same_address, value)


@settings(max_examples=600, deadline=None)
@given(CIDR, st.booleans())
def test_ip_network_as_ipaddress(value: str, strict: bool) -> None:
    compare("ip_network", same_network, value, strict=strict)


@settings(max_examples=600, deadline=None)
@given(CIDR)
def test_ip_interface_as_ipaddress(value: str) -> None:
    compare("ip_interface", same_interface, value)


@settings(max_examples=400, deadline=None)
@given(V4, st.integers(0, 32), V4, st.integers(0, 32))
def test_membership_overlap_and_order_as_ipaddress(a: int, alen: int, b: int, blen: int) -> None:
    na, nb = ipnet.ip_network(f"{ipaddress.IPv4Address(a)}/{alen}", strict=False), \
        ipnet.ip_network(f"{ipaddress.IPv4Address(b)}/{blen}", strict=False)
    ra, rb = ipaddress.ip_network(str(na)), ipaddress.ip_network(str(nb))
    x, rx = ipnet.ip_address(b), ipaddress.ip_address(b)
    assert (x in na, na.overlaps(nb), ipnet.ip_address(a) < x) == (rx in ra, ra.overlaps(rb), ipaddress.ip_address(a) < rx)
    assert (rx in na, x in ra) == (rx in ra, rx in ra)            # mixed with ipaddress's objects
    v6 = ipaddress.ip_address("::1")
    assert v6 not in na and x not in ipaddress.ip_network("::/0") and x != v6
    ia, ib = ipnet.ip_interface(f"{ipaddress.IPv4Address(a)}/{alen}"), ipnet.ip_interface(f"{ipaddress.IPv4Address(b)}/{blen}")
    assert (ia == ib) == (ipaddress.ip_interface(str(ia)) == ipaddress.ip_interface(str(ib)))


def test_other_families_and_notations_are_ipaddress_objects() -> None:
    assert isinstance(ipnet.ip_address("2001:db8::1"), ipaddress.IPv6Address)
    assert isinstance(ipnet.ip_network("2001:db8::/64"), ipaddress.IPv6Network)
    assert str(ipnet.ip_network("10.0.0.0/255.0.0.0")) == "10.0.0.0/8"
    with pytest.raises(ValueError, match="has host bits set"):
        ipnet.ip_network("10.0.0.1/8")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_host_veth_crc_is_zlibs(data: bytes) -> None:
    import zlib

    from pynetlink.cni.bridge import crc32, host_veth_name
    assert crc32(data) == zlib.crc32(data)
    assert host_veth_name("net", "ctr", "eth0") == f"veth{zlib.crc32(b'net/ctr/eth0'):08x}"
