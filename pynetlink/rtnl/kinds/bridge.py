"""bridge: STP, timers (in seconds), priority, VLAN filtering, multicast snooping."""
from __future__ import annotations

from ..._native import lib
from ..._record import record
from ...errors import InvalidArgument
from ..link import Link, LinkView
from ..options import boolean, choice, integer, kind_view, option, seconds

VLAN_PROTOCOLS = {"802.1q": lib.ETH_P_8021Q, "802.1ad": lib.ETH_P_8021AD}
PROTOCOL_NAMES = {lib.ETH_P_8021Q: "802.1Q", lib.ETH_P_8021AD: "802.1ad"}
GROUPFWD_RESTRICTED = 0x0007      # STP, MAC pause, 802.3ad: the kernel refuses these bits


@record(frozen=True, kw_only=True)
class Bridge(Link):
    """A Linux bridge. Timers are seconds (``forward_delay=4.0``)."""

    kind = "bridge"
    stp_state: bool | None = option(lib.IFLA_BR_STP_STATE, boolean(32))
    forward_delay: float | None = option(lib.IFLA_BR_FORWARD_DELAY, seconds(2, 30))
    hello_time: float | None = option(lib.IFLA_BR_HELLO_TIME, seconds(1, 10))
    max_age: float | None = option(lib.IFLA_BR_MAX_AGE, seconds(6, 40))
    ageing_time: float | None = option(lib.IFLA_BR_AGEING_TIME, seconds(0, 1_000_000))
    priority: int | None = option(lib.IFLA_BR_PRIORITY, integer(16))
    vlan_filtering: bool | None = option(lib.IFLA_BR_VLAN_FILTERING, boolean(8))
    vlan_protocol: str | None = option(lib.IFLA_BR_VLAN_PROTOCOL, choice(VLAN_PROTOCOLS, be=True,
                                                                          names=PROTOCOL_NAMES))
    mcast_snooping: bool | None = option(lib.IFLA_BR_MCAST_SNOOPING, boolean(8))
    group_fwd_mask: int | None = option(lib.IFLA_BR_GROUP_FWD_MASK, integer(16))

    def check(self) -> None:
        super().check()
        if self.group_fwd_mask is not None and self.group_fwd_mask & GROUPFWD_RESTRICTED:
            raise InvalidArgument("Bridge.group_fwd_mask: bits 0-2 (STP, pause, LACP) "
                                  "cannot be forwarded")


@kind_view(Bridge)
class BridgeView(LinkView):
    """A bridge as read back: one property per ``Bridge`` option."""

    __slots__ = ()
