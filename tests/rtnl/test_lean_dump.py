"""A list-form route dump decoded without its row table (LeanRows: decode + pluck in one C
pass) gives the same views, field for field, as the same replies decoded into the full
table; a field outside the plucked columns decodes the table on first use. Against the
kernel: routes made in the test's own namespace (ip -batch as set-up), IPv4 only."""
from __future__ import annotations

from typing import Any

import pytest

import subprocess

from pynetlink import Handle
from pynetlink.codec.rows import LeanRows
from pynetlink.rtnl import routes
from pynetlink.rtnl.request import run_one

pytestmark = pytest.mark.root


@pytest.mark.kernel("veth")
def test_lean_route_dump_equals_full(wired: Handle, netns: Any) -> None:
    h = wired                                   # eth0 198.51.100.1/24 (IPv4 routes only below)
    lines = [f"route add 203.0.113.{i}/32 via 198.51.100.{2 + i % 5} metric {i % 3} table {100 + i % 2}"
             for i in range(200)]
    lines += ["route add 172.16.0.0/16 nexthop via 198.51.100.2 weight 2 nexthop via 198.51.100.3"]
    subprocess.run(["ip", "-n", netns.name, "-batch", "-"], input="\n".join(lines), text=True,
                   check=True, capture_output=True)

    lean = h.routes.dump(table=None, family="ipv4")
    full_req = routes.dump(table=None, family="ipv4")
    full_req.pluck = None                       # the same request, decoded into the full table
    full = run_one(h._sock, full_req)

    assert _table_absent(lean[0]._rows) and not isinstance(full[0]._rows, LeanRows)
    assert len(lean) == len(full) >= 202
    # plucked fields first: the table is not decoded for them
    plucked = [(v.family, v.dst, v.table, v.protocol, v.scope, v.type, v.via, v.dev) for v in lean]
    assert _table_absent(lean[0]._rows)
    assert plucked == [(v.family, v.dst, v.table, v.protocol, v.scope, v.type, v.via, v.dev) for v in full]
    # then every field (metric, nexthops, ... read the rows: decoded now, once)
    assert [v.to_dict() for v in lean] == [v.to_dict() for v in full]
    assert not _table_absent(lean[0]._rows)
    multi = [v for v in lean if v.dst == "172.16.0.0/16"]
    assert len(multi) == 1 and [n.via for n in multi[0].nexthops] == ["198.51.100.2", "198.51.100.3"]
    assert {v.table for v in lean if v.dst.startswith("203.0.113.")} == {100, 101}


def _table_absent(rows: LeanRows) -> bool:
    return type(rows) is LeanRows               # a Rows once the table is decoded
