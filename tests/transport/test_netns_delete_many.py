"""NetNS.delete_many: the namespaces gone for `ip netns` too; bad input deletes nothing;
missing ones named after the others are deleted; a symlink's target survives."""
from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from pynetlink.errors import InvalidArgument
from pynetlink.transport import NetNS

from ..conftest import unique_name

pytestmark = pytest.mark.root


def listed() -> set[str]:
    out = subprocess.run(["ip", "-j", "netns", "list"], check=True, capture_output=True, text=True).stdout
    import json
    return {x["name"] for x in json.loads(out or "[]")}


def test_every_one_is_deleted_for_ip_too(make_netns: Any) -> None:
    spaces = [make_netns(f"dm{i}") for i in range(5)]
    assert {ns.name for ns in spaces} <= listed()
    NetNS.delete_many(spaces)
    assert not {ns.name for ns in spaces} & listed()
    assert not any(os.path.lexists(ns.path) for ns in spaces)
    NetNS.delete_many([])                                   # nothing to do


def test_missing_ones_are_named_after_the_others_went(make_netns: Any) -> None:
    a, b = make_netns("dma"), make_netns("dmb")
    ghost = NetNS.named(unique_name("ghost"))
    with pytest.raises(FileNotFoundError) as e:
        NetNS.delete_many([a, ghost, b])
    assert ghost.name in str(e.value) and a.name not in str(e.value)
    assert not {a.name, b.name} & listed()


def test_bad_input_deletes_nothing(tmp_path: Any, make_netns: Any) -> None:
    keep = make_netns("dmk")
    victim = tmp_path / "victim"
    victim.write_text("keep")
    for bad in (NetNS(str(victim), "victim"), NetNS(f"/run/netns/../..{victim}", f"../..{victim}"),
                NetNS(f"/run/netns/{keep.name}", "other"), NetNS(keep.path), keep.path):
        with pytest.raises(InvalidArgument):
            NetNS.delete_many([keep, bad])                  # type: ignore[list-item]
    assert keep.name in listed() and victim.read_text() == "keep"
    assert "lo" in subprocess.run(["ip", "-n", keep.name, "-o", "link", "show"], check=True,
                                  capture_output=True, text=True).stdout


def test_a_symlink_goes_its_target_stays(make_netns: Any) -> None:
    target = make_netns("dmt")
    link = NetNS.named(unique_name("dml"))
    os.symlink(target.path, link.path)
    try:
        NetNS.delete_many([link])
        assert not os.path.lexists(link.path)
    finally:
        if os.path.lexists(link.path):
            os.unlink(link.path)
    assert target.name in listed()


def test_the_c_call_checks_its_list(tmp_path: Any) -> None:
    import errno

    from pynetlink._native import ffi, lib, netns_del_many
    errs = ffi.new("int32_t[]", 2)
    assert lib.pnl_netns_del_many(b"abc", 3, 1, 0, 1, 0, errs) == -errno.EINVAL       # no NUL inside len
    assert lib.pnl_netns_del_many(b"a\0", 2, 2, 0, 1, 0, errs) == -errno.EINVAL       # one path, not two
    plain = tmp_path / "plain"
    plain.write_text("")
    assert netns_del_many([str(tmp_path / "none"), str(plain)], 2 | 8) == [-errno.ENOENT, 0]
    assert not plain.exists()                       # not mounted (EINVAL): unlinked all the same
    with pytest.raises(ValueError):
        netns_del_many(["a\0b"], 2)
