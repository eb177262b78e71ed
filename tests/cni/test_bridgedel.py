"""The bridge DEL's early veth deletion (cni/bridgedel.py), against the kernel: it deletes
the attachment's host veth, leaves another attachment's alone, and hands anything it does
not understand to the library's path."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from pynetlink.cni.bridgedel import EarlyDelete, _reply, alias_of, host_veth_name, start
from pynetlink.cni.skel import Request
from pynetlink.transport.netns import run_in

from .bridgeenv import Env, conf
from .test_imports import imported


def early(host: str, name: str, alias: str) -> Any:
    """EarlyDelete(name, alias).wait() run in namespace ``host``."""
    return run_in(f"/run/netns/{host}", lambda: EarlyDelete(name, alias).wait())


def veth(host: str, name: str, alias: str | None) -> None:
    subprocess.run(["ip", "-n", host, "link", "add", name, "type", "veth", "peer", "name", name + "p"], check=True)
    if alias is not None:
        subprocess.run(["ip", "-n", host, "link", "set", name, "alias", alias], check=True)


def links(host: str) -> set[str]:
    out = subprocess.run(["ip", "-n", host, "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def test_deletes_its_own_or_an_unlabelled_veth_and_nothing_else(host: str) -> None:
    mine, bare, other = host_veth_name("n", "c1", "eth0"), host_veth_name("n", "c2", "eth0"), host_veth_name("n", "c3", "eth0")
    veth(host, mine, alias_of("n", "c1", "eth0"))
    veth(host, bare, None)
    veth(host, other, alias_of("n", "someone-else", "eth0"))
    assert early(host, mine, alias_of("n", "c1", "eth0")) is True
    assert early(host, bare, alias_of("n", "c2", "eth0")) is True
    assert early(host, other, alias_of("n", "c3", "eth0")) is False     # a name hash collision: left alone
    assert early(host, "vethmissing", "x") is False
    left = links(host)
    assert mine not in left and bare not in left and other in left and other + "p" in left


def test_replies_it_does_not_understand_raise() -> None:
    hdr = struct.Struct("=IHHII")

    def err(code: int, seq: int = 1) -> bytes:
        return hdr.pack(36, 2, 0, seq, 0) + struct.pack("=i", -code) + b"\0" * 16
    assert _reply(err(0), 1) == (0, None)
    assert _reply(err(19), 1) is None                                   # ENODEV
    with pytest.raises(OSError):
        _reply(err(1), 1)                                               # EPERM: the library's path reports it
    for bad in (b"", b"\0" * 8, err(0, seq=7), hdr.pack(4000, 16, 0, 1, 0) + b"\0" * 16,
                hdr.pack(36, 16, 0, 1, 0) + b"\0" * 16 + struct.pack("=HH", 200, 20)):
        with pytest.raises(ValueError):
            _reply(bad, 1)


def test_not_started_while_the_container_must_be_read_first(tmp_path: Path) -> None:
    """ipMasq without addresses in prevResult: DEL reads them from the container before the
    veth goes, so nothing starts early."""
    c = conf(tmp_path)
    req = Request("DEL", "c1", "", "eth0", config=c)
    assert start(req) is None
    req = Request("DEL", "c1", "", "eth0", config=dict(c, prevResult={"ips": [{"address": "bad"}]}))
    assert start(req) is None
    req = Request("DEL", "c1", "", "eth0", config=dict(c, ipMasq=False, ipam="host-local"))
    assert start(req) is None                   # refused by the plugin: nothing may be deleted


def test_a_refused_del_deletes_nothing(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir)
    res = env.add(c, ctr, "c1").ok()
    env.dele(dict(c, ipam="host-local", prevResult=res), ctr, "c1").error(7)
    assert host_veth_name("net1", "c1", "eth0") in env.host_links()
    env.dele(dict(c, prevResult=res), ctr, "c1").ok()


def test_plugin_del_with_prev_result_keeps_another_attachments_veth(env: Env, container: Callable[[], str]) -> None:
    """The plugin's DEL (early path: prevResult with the addresses) on a collision: the other
    attachment's link survives, our reservation and masquerade element go."""
    ctr = container()
    c = conf(env.data_dir)
    res = env.add(c, ctr, "c1").ok()
    name = host_veth_name("net1", "c1", "eth0")
    subprocess.run(["ip", "-n", env.host, "link", "set", name, "alias", "pynetlink-cni net1/other/eth0"], check=True)
    env.dele(dict(c, prevResult=res), ctr, "c1").ok()
    assert name in env.host_links() and env.reservations() == {} and env.masqueraded() == set()
    subprocess.run(["ip", "-n", env.host, "link", "del", name], check=True)


def test_plugin_del_with_prev_result_removes_everything(env: Env, container: Callable[[], str]) -> None:
    ctr = container()
    c = conf(env.data_dir)
    res = env.add(c, ctr, "c1").ok()
    assert env.masqueraded()
    env.dele(dict(c, prevResult=res), ctr, "c1").ok()
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()
    assert env.reservations() == {} and env.masqueraded() == set()
    env.dele(dict(c, prevResult=res), ctr, "c1").ok()                 # again: nothing left, still fine


def test_del_with_prev_result_loads_no_netlink_layer(env: Env, container: Callable[[], str]) -> None:
    """The veth and the masquerade elements went through bridgedel and masqraw: DEL imports
    only the IPAM, none of the library's netlink layers (codec, transport, rtnl, nft, api)."""
    ctr = container()
    c = conf(env.data_dir)
    res = env.add(c, ctr, "c1").ok()
    mods = imported(env, "DEL", dict(c, prevResult=res), ctr, "c1")
    assert {"pynetlink.cni.bridgedel", "pynetlink.cni.masqraw", "pynetlink.cni.hostlocal"} <= mods, sorted(mods)
    layers = ("pynetlink.codec", "pynetlink.transport", "pynetlink.rtnl", "pynetlink.nft", "pynetlink.api")
    assert not {m for m in mods if m.startswith(layers)}, sorted(mods)
    assert "_cffi_backend" not in mods
    assert host_veth_name("net1", "c1", "eth0") not in env.host_links()
    assert env.reservations() == {} and env.masqueraded() == set()
