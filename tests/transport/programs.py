"""Small request programs for transport tests (the rtnl layer has the real ones)."""
from pynetlink._native import lib
from pynetlink.codec import Program
from pynetlink.codec.specs.rtnl import LINK, LINKINFO

CREATE = lib.NLM_F_REQUEST | lib.NLM_F_ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL
IFINFO = (0, 0, 0, 0, 0)

VETH = (Program("create veth", lib.RTM_NEWLINK, CREATE).fixed("ifinfomsg", "BxHiII")
        .string(LINK["ifname"], "name").nest(LINK["linkinfo"], "linkinfo")
        .string(LINKINFO["kind"], "kind").nest(LINKINFO["data"], "data")
        .nest(lib.VETH_INFO_PEER, "peer").fixed("peer", "BxHiII")
        .string(LINK["ifname"], "peer.name").end().end().end().compile())
DUMP_LINKS = (Program("dump links", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
              .fixed("ifinfomsg", "BxHiII").compile())
GET_LINK = (Program("get link", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_ACK)
            .fixed("ifinfomsg", "BxHiII").string(LINK["ifname"], "name").compile())


def veth(name: str, peer: str) -> tuple:
    return (VETH, (*IFINFO, name.encode(), b"veth", *IFINFO, peer.encode()))
