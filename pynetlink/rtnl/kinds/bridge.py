"""bridge: STP, timers (in seconds), priority, VLAN filtering, multicast snooping."""
from __future__ import annotations

from ..._record import record

from ..._native import lib
from ...errors import InvalidArgument
from .. import validate as v
from ..link import Link, LinkView
from ..message import Msg
from ..request import Resolve

VLAN_PROTOCOLS = {"802.1q": lib.ETH_P_8021Q, "802.1ad": lib.ETH_P_8021AD}
PROTOCOL_NAMES = {lib.ETH_P_8021Q: "802.1Q", lib.ETH_P_8021AD: "802.1ad"}
GROUPFWD_RESTRICTED = 0x0007      # STP, MAC pause, 802.3ad: the kernel refuses these bits
USER_HZ = 100                     # bridge timers are clock_t (1/100 s)


@record(frozen=True, kw_only=True)
class Bridge(Link):
    """A Linux bridge. Timers are seconds (``forward_delay=4.0``)."""

    kind = "bridge"
    stp_state: bool | None = None
    forward_delay: float | None = None
    hello_time: float | None = None
    max_age: float | None = None
    ageing_time: float | None = None
    priority: int | None = None
    vlan_filtering: bool | None = None
    vlan_protocol: str | None = None
    mcast_snooping: bool | None = None
    group_fwd_mask: int | None = None

    def check(self) -> None:
        for f, lo, hi in (("forward_delay", 2, 30), ("hello_time", 1, 10), ("max_age", 6, 40),
                          ("ageing_time", 0, 1_000_000)):
            val = getattr(self, f)
            if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))
                                    or not lo <= val <= hi):
                raise InvalidArgument(f"Bridge.{f}: {val!r} is not {lo}-{hi} seconds")
        for f in ("stp_state", "vlan_filtering", "mcast_snooping"):
            if getattr(self, f) is not None:
                v.boolean(getattr(self, f), f"Bridge.{f}")
        if self.priority is not None:
            v.integer(self.priority, "Bridge.priority", 0, 65535)
        if self.vlan_protocol is not None:
            v.choice(self.vlan_protocol, "Bridge.vlan_protocol", VLAN_PROTOCOLS)
        if self.group_fwd_mask is not None:
            v.integer(self.group_fwd_mask, "Bridge.group_fwd_mask", 0, 0xFFFF)
            if self.group_fwd_mask & GROUPFWD_RESTRICTED:
                raise InvalidArgument("Bridge.group_fwd_mask: bits 0-2 (STP, pause, LACP) "
                                      "cannot be forwarded")

    def info_data(self, m: Msg, resolve: Resolve, create: bool) -> None:
        for attr, f in ((lib.IFLA_BR_FORWARD_DELAY, "forward_delay"),
                        (lib.IFLA_BR_HELLO_TIME, "hello_time"), (lib.IFLA_BR_MAX_AGE, "max_age"),
                        (lib.IFLA_BR_AGEING_TIME, "ageing_time")):
            val = getattr(self, f)
            if val is not None:
                m.u32(attr, f"Bridge.{f}", round(val * USER_HZ))
        if self.stp_state is not None:
            m.u32(lib.IFLA_BR_STP_STATE, "Bridge.stp_state", int(self.stp_state))
        if self.priority is not None:
            m.u16(lib.IFLA_BR_PRIORITY, "Bridge.priority", self.priority)
        if self.vlan_filtering is not None:
            m.u8(lib.IFLA_BR_VLAN_FILTERING, "Bridge.vlan_filtering", int(self.vlan_filtering))
        if self.vlan_protocol is not None:
            m.be16(lib.IFLA_BR_VLAN_PROTOCOL, "Bridge.vlan_protocol",
                   VLAN_PROTOCOLS[self.vlan_protocol.lower()])
        if self.mcast_snooping is not None:
            m.u8(lib.IFLA_BR_MCAST_SNOOPING, "Bridge.mcast_snooping", int(self.mcast_snooping))
        if self.group_fwd_mask is not None:
            m.u16(lib.IFLA_BR_GROUP_FWD_MASK, "Bridge.group_fwd_mask", self.group_fwd_mask)


class BridgeView(LinkView):
    __slots__ = ()
    KIND_FIELDS = ("stp_state", "forward_delay", "hello_time", "max_age", "ageing_time", "priority",
                   "vlan_filtering", "vlan_protocol", "mcast_snooping", "group_fwd_mask")

    def _secs(self, attr: int) -> float | None:
        val = self._d(attr)
        return None if val is None else val / USER_HZ

    @property
    def stp_state(self) -> bool | None:
        val = self._d(lib.IFLA_BR_STP_STATE)
        return None if val is None else bool(val)

    @property
    def forward_delay(self) -> float | None:
        return self._secs(lib.IFLA_BR_FORWARD_DELAY)

    @property
    def hello_time(self) -> float | None:
        return self._secs(lib.IFLA_BR_HELLO_TIME)

    @property
    def max_age(self) -> float | None:
        return self._secs(lib.IFLA_BR_MAX_AGE)

    @property
    def ageing_time(self) -> float | None:
        return self._secs(lib.IFLA_BR_AGEING_TIME)

    @property
    def priority(self) -> int | None:
        return self._d(lib.IFLA_BR_PRIORITY)

    @property
    def vlan_filtering(self) -> bool | None:
        val = self._d(lib.IFLA_BR_VLAN_FILTERING)
        return None if val is None else bool(val)

    @property
    def vlan_protocol(self) -> str | None:
        raw = self._dbytes(lib.IFLA_BR_VLAN_PROTOCOL)     # big endian on the wire
        if not raw or len(raw) < 2:
            return None
        proto = int.from_bytes(raw[:2], "big")
        return PROTOCOL_NAMES.get(proto, hex(proto))

    @property
    def mcast_snooping(self) -> bool | None:
        val = self._d(lib.IFLA_BR_MCAST_SNOOPING)
        return None if val is None else bool(val)

    @property
    def group_fwd_mask(self) -> int | None:
        return self._d(lib.IFLA_BR_GROUP_FWD_MASK)
