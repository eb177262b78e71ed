"""The schemas: YNL's names and numbers agree with the UAPI headers the codec was built with."""
from __future__ import annotations

import pytest

from pynetlink._native import lib
from pynetlink.codec.schema import ARRAY, HNEST, NEST, SUB, Family, c_name
from pynetlink.codec.specs.nft import NFT
from pynetlink.codec.specs.rtnl import RTNL

FAMILIES = [RTNL, NFT]


# Sets whose YNL copy (shared/specs/kernel-ynl/nftables.yaml) disagrees with the headers: most
# omit pad attributes (implicit numbers after the pad are one too low); expr-lookup-attrs lists
# set-id second where the header numbers it fourth. Only header numbers are used there.
YNL_SHIFTED = {"expr-lookup-attrs", "table-attrs", "chain-attrs", "rule-attrs", "set-attrs", "setelem-attrs", "gen-attrs",
               "obj-attrs", "flowtable-attrs", "expr-counter-attrs", "counter-attrs", "quota-attrs",
               "nft-counter-attrs"}


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_ynl_numbers_match_the_headers(family: Family) -> None:
    """Where both know an attribute its number agrees; where they don't, YNL is not used."""
    checked, mismatched = 0, set()
    for aset in family.set_list:
        for name, attr in aset.attrs.items():
            header = getattr(lib, c_name(aset.prefix, name), None) if aset.prefix else None
            if header is None or attr.ynl_number is None:
                continue
            checked += 1
            if int(header) != attr.ynl_number:
                mismatched.add(aset.name)
            assert aset.types[name] == int(header)            # the header always wins
    assert mismatched <= YNL_SHIFTED
    for name in mismatched:
        assert not family.sets[name].ynl_trusted
    assert checked > (300 if family is RTNL else 100)


def test_untrusted_sets_take_no_ynl_numbers() -> None:
    for family in FAMILIES:
        for aset in family.set_list:
            if aset.ynl_trusted:
                continue
            for name, attr in aset.attrs.items():
                header = getattr(lib, c_name(aset.prefix, name), None)
                assert attr.number is not None or header is not None, f"{aset.name}.{name}"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_nest_and_sub_message_leads_somewhere(family: Family) -> None:
    for aset in family.set_list:
        for name, attr in aset.attrs.items():
            if attr.kind in (NEST, ARRAY, HNEST):
                assert attr.child in family.sets, f"{aset.name}.{name} -> {attr.child}"
            elif attr.kind == SUB:
                assert attr.child in family.selectors, f"{aset.name}.{name} -> {attr.child}"
                assert attr.extra in aset.types, f"{aset.name}.{name} selected by {attr.extra}"
                for key, target in family.selectors[attr.child].items():
                    assert target in family.sets, f"{attr.child}[{key}] -> {target}"


def test_numbers_come_from_the_headers_where_they_name_the_attribute() -> None:
    assert RTNL.sets["link-attrs"]["ifname"] == lib.IFLA_IFNAME
    assert RTNL.sets["linkinfo-vlan-attrs"]["protocol"] == lib.IFLA_VLAN_PROTOCOL
    assert NFT.sets["rule-attrs"]["expressions"] == lib.NFTA_RULE_EXPRESSIONS
