"""``link ls -j``, ``addr ls -j`` and ``route ls -j`` against ``ip -j`` as the oracle: the same
keys with the same values (and value types), object by object, in a throwaway namespace
holding a bridge, a veth pair (one end enslaved, one with a lifetime-limited address), IPv6,
a gateway route, a metric route, a multipath route and the local table. The deliberate
differences (docs/cli.md) are removed from ours before comparing."""
from __future__ import annotations

import json
import subprocess
from typing import Any, Callable

import pytest

from pynetlink.cli import main
from pynetlink.transport import NetNS

# lifetimes tick down between the two reads: compared within this many seconds
LIFETIME_SLACK = 5
ONLY_OURS = ("linkinfo",)                  # ip prints linkinfo only with -d


def ip(ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True)


def ip_j(ns: str, *args: str) -> list[dict[str, Any]]:
    out = subprocess.run(["ip", "-n", ns, "-j", *args], check=True, capture_output=True, text=True).stdout
    data: list[dict[str, Any]] = json.loads(out)
    return data


def ours(capsys: pytest.CaptureFixture[str], ns: str, *argv: str) -> list[dict[str, Any]]:
    assert main(["-n", ns, *argv, "-j"]) == 0
    data: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return data


@pytest.fixture
def ns(make_netns: Callable[..., NetNS]) -> str:
    name = str(make_netns("ipj").name)
    ip(name, "link", "add", "br0", "type", "bridge")
    ip(name, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    ip(name, "link", "set", "v0", "master", "br0")
    ip(name, "link", "set", "v0", "group", "7")
    ip(name, "link", "set", "v1", "alias", "the other end")
    for dev in ("br0", "v0", "v1", "lo"):
        ip(name, "link", "set", dev, "up")
    ip(name, "addr", "add", "198.51.100.1/24", "dev", "br0")
    ip(name, "addr", "add", "198.51.100.2/24", "dev", "br0")                # secondary
    ip(name, "-6", "addr", "add", "2001:db8::1/64", "dev", "br0", "nodad")
    ip(name, "addr", "add", "203.0.113.5/24", "dev", "v1", "valid_lft", "300", "preferred_lft", "200")
    ip(name, "addr", "add", "172.16.9.1", "peer", "172.16.9.2", "dev", "v1")
    ip(name, "route", "add", "203.0.113.128/25", "via", "198.51.100.9")
    ip(name, "route", "add", "192.168.40.0/24", "dev", "br0", "metric", "50", "proto", "static")
    ip(name, "route", "add", "192.168.41.0/24", "nexthop", "via", "198.51.100.9", "weight", "2",
       "nexthop", "via", "203.0.113.9", "dev", "v1")
    ip(name, "-6", "route", "add", "2001:db8:5::/48", "via", "2001:db8::9", "metric", "9")
    return name


def _same(a: dict[str, Any], b: dict[str, Any], what: str) -> None:
    assert set(a) == set(b), f"{what}: keys only in ours {set(a) - set(b)}, only in ip {set(b) - set(a)}"
    for k in a:
        if k in ("valid_life_time", "preferred_life_time") and b[k] != 0xFFFFFFFF:
            assert type(a[k]) is int and abs(a[k] - b[k]) <= LIFETIME_SLACK, (what, k, a[k], b[k])
        elif k == "addr_info":
            assert len(a[k]) == len(b[k]), (what, a[k], b[k])
            for x, y in zip(sorted(a[k], key=str), sorted(b[k], key=str)):
                _same(x, y, f"{what} {y.get('local')}")
        else:
            assert a[k] == b[k] and type(a[k]) is type(b[k]), f"{what}.{k}: ours {a[k]!r}, ip {b[k]!r}"


def _links(data: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["ifname"]: {k: v for k, v in d.items() if k not in ONLY_OURS} for d in data}


def test_link_ls_json_is_ip_link_json(capsys: pytest.CaptureFixture[str], ns: str) -> None:
    mine, theirs = _links(ours(capsys, ns, "link", "ls")), _links(ip_j(ns, "link", "show"))
    assert set(mine) == set(theirs) == {"lo", "br0", "v0", "v1"}
    for name in theirs:
        _same(mine[name], theirs[name], name)
    assert theirs["v0"]["group"] == "7" and theirs["v1"]["ifalias"] == "the other end"


def test_addr_ls_json_is_ip_addr_json(capsys: pytest.CaptureFixture[str], ns: str) -> None:
    mine, theirs = _links(ours(capsys, ns, "addr", "ls")), _links(ip_j(ns, "addr", "show"))
    assert set(mine) == set(theirs)
    for name in theirs:
        _same(mine[name], theirs[name], name)
    one = _links(ours(capsys, ns, "addr", "ls", "v1"))
    assert set(one) == {"v1"}
    _same(one["v1"], _links(ip_j(ns, "addr", "show", "dev", "v1"))["v1"], "v1")
    v1 = {a["local"]: a for a in theirs["v1"]["addr_info"]}
    assert v1["203.0.113.5"]["dynamic"] is True and v1["172.16.9.1"]["address"] == "172.16.9.2"


@pytest.mark.parametrize("family, table", [("-4", "main"), ("-6", "main"), ("-4", "local"), ("-6", "all")])
def test_route_ls_json_is_ip_route_json(capsys: pytest.CaptureFixture[str], ns: str, family: str,
                                        table: str) -> None:
    mine = ours(capsys, ns, "route", "ls", family, "--table", table)
    theirs = ip_j(ns, family, "route", "show", "table", table)
    key = lambda r: (r.get("type", ""), r["dst"], r.get("dev", ""), r.get("table", ""))  # noqa: E731
    mine, theirs = sorted(mine, key=key), sorted(theirs, key=key)
    assert [key(r) for r in mine] == [key(r) for r in theirs]
    for a, b in zip(mine, theirs):
        _same(a, b, str(key(b)))
    if table == "main" and family == "-4":
        multi = next(r for r in theirs if r["dst"] == "192.168.41.0/24")
        assert len(multi["nexthops"]) == 2
