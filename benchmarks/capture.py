"""Capture the W3 fixture once: a real 1,000-link dump (needs root; run by hand).

    python3 -m benchmarks.capture        # writes benchmarks/data/links1000.bin.gz

A namespace ``pnlb-<pid>-cap`` gets 499 veth pairs (one end of each up on a bridge, as the
host side of W1 looks) plus the bridge and lo: 1,000 links. The dump's reply messages are
stored back to back (what ``NetlinkSocket.dump`` keeps), gzip-compressed.
"""
from __future__ import annotations

import gzip

from pynetlink._native import lib
from pynetlink.codec import Program
from pynetlink.codec.specs.rtnl import RTNL
from pynetlink.transport import NetlinkSocket, NetNS

from .common import HERE, PREFIX, cleanup, ip_batch, ns_add

FIXTURE = HERE / "data" / "links1000.bin.gz"
DUMP_LINKS = (Program("dump links", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
              .fixed("ifinfomsg", "BxHiII").compile())


def main() -> None:
    name = ns_add(PREFIX + "cap")
    try:
        lines = ["link add br0 type bridge", "link set br0 up"]
        for i in range(499):
            lines += [f"link add veth{i:07x} type veth peer name p{i}",
                      f"link set veth{i:07x} master br0 up"]
        ip_batch(name, lines)
        with NetlinkSocket(0, RTNL, NetNS.open(name)) as s:
            reply = s.dump(DUMP_LINKS, (0, 0, 0, 0, 0))
        assert reply.rows.n_msgs == 1000, reply.rows.n_msgs
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_bytes(gzip.compress(reply.rows.data, 9, mtime=0))
        print(f"{FIXTURE}: {reply.rows.n_msgs} links, {len(reply.rows.data)} bytes")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
