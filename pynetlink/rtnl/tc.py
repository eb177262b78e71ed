"""Traffic control: qdiscs (tbf, ingress, clsact) and u32 redirect filters as Requests, and
their views (``tc qdisc``/``tc filter``).

Rates are in bits per second and sizes in bytes, as tc takes them (``rate 8mbit burst 32kb``).
The TBF rate table (TCA_TBF_RTAB) is computed as iproute2's ``tc_calc_rtable`` does: one
transmission time in scheduler ticks per size cell, the tick length from /proc/net/psched.
"""
from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass
from typing import Any, ClassVar

from .._native import lib
from ..codec.rows import Rows
from ..errors import InvalidArgument
from . import validate as v
from .message import Msg
from .request import Request, Resolve
from .validate import LinkRef
from .view import MessageView

_TCMSG = struct.Struct("=BxxxiIII")            # family, pad, ifindex, handle, parent, info
_RATESPEC = "BBHhHI"                           # cell_log, linklayer, overhead, cell_align, mpu, rate
_TBF_QOPT = struct.Struct("=" + _RATESPEC * 2 + "III")     # rate, peakrate, limit, buffer, mtu
_U32_SEL = struct.Struct("=BBBxHHhhI")         # flags, offshift, nkeys, offmask, off, offoff, hoff, hmask
_U32_KEY = struct.Struct("=IIii")              # mask, val, off, offmask
_MIRRED = struct.Struct("=IIiiiiI")            # tc_gen (index, capab, action, refcnt, bindcnt), eaction, ifindex
_ACK = lib.NLM_F_REQUEST | lib.NLM_F_ACK
TIME_UNITS_PER_SEC = 1_000_000
MAX_RATE = (1 << 64) - 1
ROOT, INGRESS = int(lib.TC_H_ROOT), int(lib.TC_H_INGRESS)
INGRESS_HANDLE = 0xFFFF0000                    # ffff: (the ingress / clsact qdisc's handle)
ETH_P_ALL = socket.htons(3)                    # <linux/if_ether.h> ETH_P_ALL, in network order
_EACTIONS = {lib.TCA_EGRESS_REDIR: "egress redirect", lib.TCA_EGRESS_MIRROR: "egress mirror",
             lib.TCA_INGRESS_REDIR: "ingress redirect", lib.TCA_INGRESS_MIRROR: "ingress mirror"}


def _tick_in_usec() -> float:
    """Scheduler ticks per microsecond (iproute2's tc_core_init: /proc/net/psched)."""
    try:
        with open("/proc/net/psched") as f:
            t2us, us2t, clock_res = (int(x, 16) for x in f.read().split()[:3])
    except (OSError, ValueError):
        t2us, us2t, clock_res = 1000, 64, 1_000_000     # what Linux has reported since 2.6.31
    if clock_res == 1_000_000_000:
        t2us = us2t
    return t2us / us2t * (clock_res / TIME_UNITS_PER_SEC)


TICK_IN_USEC = _tick_in_usec()


def xmit_ticks(rate_bytes: int, size: int) -> int:
    """Ticks to send ``size`` bytes at ``rate_bytes`` bytes/s (tc_calc_xmittime), as a u32."""
    return int(TIME_UNITS_PER_SEC * (size / rate_bytes) * TICK_IN_USEC) & 0xFFFFFFFF


def xmit_size(rate_bytes: int, ticks: int) -> int:
    """Bytes sent at ``rate_bytes`` during ``ticks`` (tc_calc_xmitsize)."""
    return int(rate_bytes * (ticks / TICK_IN_USEC) / TIME_UNITS_PER_SEC)


def rate_table(rate_bytes: int, mtu: int = 0, mpu: int = 0) -> tuple[int, bytes]:
    """(cell_log, the 256-entry rate table): entry i is the time of a packet of
    ``(i + 1) << cell_log`` bytes (at least ``mpu``); cells cover ``mtu`` (2047 when 0)."""
    mtu = mtu or 2047
    cell_log = 0
    while (mtu >> cell_log) > 255:
        cell_log += 1
    rtab = [xmit_ticks(rate_bytes, max((i + 1) << cell_log, mpu)) for i in range(256)]
    return cell_log, struct.pack("=256I", *rtab)


# -- units ------------------------------------------------------------------------------------
_RATE_UNITS = {"": 1, "bit": 1, "kbit": 1000, "mbit": 1000**2, "gbit": 1000**3, "tbit": 1000**4,
               "bps": 8, "kbps": 8000, "mbps": 8 * 1000**2, "gbps": 8 * 1000**3,
               "kibit": 1024, "mibit": 1024**2, "gibit": 1024**3}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
               "gb": 1024**3, "kbit": 128, "mbit": 128 * 1024, "gbit": 128 * 1024**2}
_NUM = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*\Z")


def parse_rate(value: object, field: str) -> int:
    """A rate in bits/s: an int, or text as tc writes it ("8mbit", "100kbit", "1gbit", "125kbps")."""
    return _parse(value, field, _RATE_UNITS, 1, MAX_RATE)


def parse_size(value: object, field: str) -> int:
    """A size in bytes: an int, or text as tc writes it ("32kb", "1mb", "1500")."""
    return _parse(value, field, _SIZE_UNITS, 1, 0xFFFFFFFF)


def _parse(value: object, field: str, units: dict[str, int], lo: int, hi: int) -> int:
    if isinstance(value, str):
        m = _NUM.match(value)
        if not m or m.group(2).lower() not in units:
            raise InvalidArgument(f"{field}: cannot read {value!r}; e.g. "
                                  f"{'8mbit' if 'mbit' in units and 'bps' in units else '32kb'}")
        value = int(float(m.group(1)) * units[m.group(2).lower()])
    return v.integer(value, field, lo, hi)


# -- handles ----------------------------------------------------------------------------------
def fmt_handle(h: int) -> str:
    """A handle or parent as tc prints it: "root", "ingress", "1:", "ffff:fff1", "none"."""
    if h == ROOT:
        return "root"
    if h == INGRESS:
        return "ingress"
    if h == 0:
        return "none"
    major, minor = h >> 16, h & 0xFFFF
    return f"{major:x}:" if not minor else f"{major:x}:{minor:x}"


# -- requests ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tbf:
    """A token bucket: ``rate`` in bits/s, ``burst`` in bytes, and the queue either as
    ``latency`` (seconds a packet may wait; tc's ``latency``) or ``limit`` (bytes)."""

    rate: int
    burst: int
    latency: float | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", parse_rate(self.rate, "Tbf.rate"))
        if self.rate < 8:
            raise InvalidArgument(f"Tbf.rate: {self.rate} bit/s is below 1 byte/s")
        object.__setattr__(self, "burst", parse_size(self.burst, "Tbf.burst"))
        if self.latency is not None and self.limit is not None:
            raise InvalidArgument("Tbf: give latency or limit, not both")
        if self.limit is not None:
            object.__setattr__(self, "limit", parse_size(self.limit, "Tbf.limit"))
        else:
            lat = 0.05 if self.latency is None else self.latency
            if isinstance(lat, bool) or not isinstance(lat, (int, float)) or not 0 < lat <= 3600:
                raise InvalidArgument(f"Tbf.latency: expected seconds in (0, 3600], not {lat!r}")
            object.__setattr__(self, "latency", float(lat))

    def queue_limit(self) -> int:
        """The queue in bytes: ``limit``, or what ``latency`` at ``rate`` holds plus the burst."""
        if self.limit is not None:
            return self.limit
        lim = int(self.rate // 8 * (self.latency or 0.0) + self.burst)
        if lim > 0xFFFFFFFF:
            raise InvalidArgument(f"Tbf.latency: {self.latency} s at {self.rate} bit/s is a queue "
                                  "over 4 GiB")
        return lim

    def options(self, m: Msg) -> None:
        """TCA_OPTIONS of a tbf qdisc, as iproute2's tbf sends them."""
        rate = self.rate // 8
        cell_log, rtab = rate_table(rate)
        rate32 = min(rate, 0xFFFFFFFF)
        spec = (cell_log, lib.TC_LINKLAYER_ETHERNET, 0, -1, 0, rate32)
        buffer = xmit_ticks(rate, self.burst)
        qopt = _TBF_QOPT.pack(*spec, 0, 0, 0, 0, 0, 0, self.queue_limit(), buffer, 0)
        m.nest(lib.TCA_OPTIONS, "Tbf.options")
        m.binary(lib.TCA_TBF_PARMS, "Tbf.parms", qopt)
        m.u32(lib.TCA_TBF_BURST, "Tbf.burst", self.burst)
        if rate > 0xFFFFFFFF:
            m.u64(lib.TCA_TBF_RATE64, "Tbf.rate", rate)
        m.binary(lib.TCA_TBF_RTAB, "Tbf.rtab", rtab)
        m.end()


def _tcmsg(m: Msg, owner: str, index: int, handle: int, parent: int, info: int = 0) -> Msg:
    return m.fixed(f"{owner}.header", "BxxxiIII", socket.AF_UNSPEC, index, handle, parent, info)


_PARENTS = {"root": (ROOT, 0x10000), "ingress": (INGRESS, INGRESS_HANDLE),
            "clsact": (INGRESS, INGRESS_HANDLE)}


def add_tbf(link: LinkRef, tbf: Tbf, *, replace: bool = True) -> Request:
    """``tc qdisc replace dev LINK root handle 1: tbf rate R burst B latency L``."""
    link = v.link_ref(link, "link")
    if not isinstance(tbf, Tbf):
        raise InvalidArgument(f"add_tbf: expected a Tbf, not {tbf!r}")
    flags = _ACK | lib.NLM_F_CREATE | (lib.NLM_F_REPLACE if replace else lib.NLM_F_EXCL)

    def build(resolve: Resolve) -> list[Msg]:
        m = _tcmsg(Msg("add tbf qdisc", lib.RTM_NEWQDISC, flags), "Tbf", resolve(link), 0x10000, ROOT)
        m.string(lib.TCA_KIND, "Tbf.kind", "tbf")
        tbf.options(m)
        return [m]

    return Request("add tbf qdisc", str(link), build, needs=_needs(link),
                   undo=lambda: delete_qdisc(link, "root"))


def add_qdisc(link: LinkRef, kind: str) -> Request:
    """An option-less qdisc at its place: "ingress" or "clsact" (``tc qdisc add dev LINK clsact``)."""
    link = v.link_ref(link, "link")
    parent, handle = v.choice(kind, "kind", {"ingress": _PARENTS["ingress"], "clsact": (int(lib.TC_H_CLSACT), INGRESS_HANDLE)})
    kind = kind.lower()

    def build(resolve: Resolve) -> list[Msg]:
        m = _tcmsg(Msg(f"add {kind} qdisc", lib.RTM_NEWQDISC, _ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL),
                   "Qdisc", resolve(link), handle, parent)
        m.string(lib.TCA_KIND, "Qdisc.kind", kind)
        return [m]

    return Request(f"add {kind} qdisc", str(link), build, needs=_needs(link),
                   undo=lambda: delete_qdisc(link, kind))


def delete_qdisc(link: LinkRef, parent: str = "root") -> Request:
    """``tc qdisc del dev LINK root|ingress|clsact``."""
    link = v.link_ref(link, "link")
    where, handle = v.choice(parent, "parent", _PARENTS)
    if parent.lower() == "root":
        handle = 0

    def build(resolve: Resolve) -> list[Msg]:
        return [_tcmsg(Msg("delete qdisc", lib.RTM_DELQDISC, _ACK), "Qdisc", resolve(link), handle, where)]

    return Request("delete qdisc", f"{parent} of {link}", build, needs=_needs(link))


def add_redirect(link: LinkRef, target: LinkRef, *, prio: int = 1) -> Request:
    """A u32 filter on ``link``'s ingress (ffff:) matching every packet, with a mirred action
    redirecting it to ``target``'s egress (``tc filter add dev LINK parent ffff: protocol all
    prio P u32 match u32 0 0 action mirred egress redirect dev TARGET``)."""
    link = v.link_ref(link, "link")
    target = v.link_ref(target, "target")
    v.integer(prio, "prio", 1, 0xFFFF)
    sel = _U32_SEL.pack(lib.TC_U32_TERMINAL, 0, 1, 0, 0, 0, 0, 0) + _U32_KEY.pack(0, 0, 0, 0)

    def build(resolve: Resolve) -> list[Msg]:
        m = _tcmsg(Msg("add redirect filter", lib.RTM_NEWTFILTER, _ACK | lib.NLM_F_CREATE | lib.NLM_F_EXCL),
                   "Filter", resolve(link), 0, INGRESS_HANDLE, prio << 16 | ETH_P_ALL)
        m.string(lib.TCA_KIND, "Filter.kind", "u32")
        m.nest(lib.TCA_OPTIONS, "U32.options")
        m.nest(lib.TCA_U32_ACT, "U32.act").nest(1, "U32.action")
        m.string(lib.TCA_ACT_KIND, "Mirred.kind", "mirred")
        m.nest(lib.TCA_ACT_OPTIONS, "Mirred.options")
        m.binary(lib.TCA_MIRRED_PARMS, "Mirred.parms",
                 _MIRRED.pack(0, 0, lib.TC_ACT_STOLEN, 0, 0, lib.TCA_EGRESS_REDIR, resolve(target)))
        m.end().end().end()
        m.binary(lib.TCA_U32_SEL, "U32.sel", sel)
        return [m.end()]

    return Request("add redirect filter", f"{link} -> {target}", build, needs=_needs(link, target))


def dump_qdiscs(link: LinkRef | None = None) -> Request:
    """Every qdisc (the kernel dumps all links: one link's are picked here)."""
    if link is not None:
        link = v.link_ref(link, "link")

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump qdiscs", lib.RTM_GETQDISC, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        want[0] = 0 if link is None else resolve(link)
        return [_tcmsg(m, "Qdisc", want[0], 0, 0)]

    want = [0]

    def parse(rows: Rows, msgs: list[int]) -> list[QdiscView]:
        views = [QdiscView(rows, x) for x in msgs]
        return [q for q in views if not want[0] or q.link == want[0]]

    return Request("dump qdiscs", str(link or ""), build, needs=_needs(link), parse=parse, dump=True)


def dump_filters(link: LinkRef, parent: str = "ingress") -> Request:
    """The filters of one qdisc of ``link``: "ingress" (ffff:) or "root"."""
    link = v.link_ref(link, "link")
    where = v.choice(parent, "parent", {"ingress": INGRESS_HANDLE, "clsact": INGRESS_HANDLE, "root": 0})

    def build(resolve: Resolve) -> list[Msg]:
        m = Msg("dump filters", lib.RTM_GETTFILTER, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
        return [_tcmsg(m, "Filter", resolve(link), 0, where)]

    def parse(rows: Rows, msgs: list[int]) -> list[FilterView]:
        return [FilterView(rows, x) for x in msgs]

    return Request("dump filters", f"{parent} of {link}", build, needs=_needs(link), parse=parse, dump=True)


def _needs(*refs: LinkRef | None) -> tuple[str, ...]:
    return tuple(r for r in refs if isinstance(r, str))


# -- views ------------------------------------------------------------------------------------
class _TcView(MessageView):
    __slots__ = ()
    HEADER = _TCMSG

    @property
    def link(self) -> int:
        return self._header[1]

    @property
    def handle(self) -> str:
        return fmt_handle(self._header[2])

    @property
    def parent(self) -> str:
        return fmt_handle(self._header[3])

    @property
    def kind(self) -> str:
        return self._rows.get_str(self._m, lib.TCA_KIND) or ""

    def _options(self) -> int:
        return self._rows.find(self._m, lib.TCA_OPTIONS)


class QdiscView(_TcView):
    """A qdisc: ``kind``, ``handle``, ``parent``, ``link``; a tbf's ``rate`` (bits/s),
    ``burst`` and ``limit`` (bytes) and ``latency`` (s), None for other kinds."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("link", "kind", "handle", "parent", "rate", "burst", "limit",
                                         "latency")

    def _tbf(self) -> tuple[int, ...] | None:
        if self.kind != "tbf":
            return None
        raw = self._rows.get_bytes(self._options(), lib.TCA_TBF_PARMS) if self._options() >= 0 else None
        if raw is None or len(raw) < _TBF_QOPT.size:
            return None
        return _TBF_QOPT.unpack_from(raw)

    def _rate_bytes(self) -> int | None:
        q = self._tbf()
        if q is None:
            return None
        r64 = self._rows.get_u(self._options(), lib.TCA_TBF_RATE64)
        return r64 if r64 is not None else q[5]

    @property
    def rate(self) -> int | None:
        r = self._rate_bytes()
        return None if r is None else r * 8

    @property
    def burst(self) -> int | None:
        q, r = self._tbf(), self._rate_bytes()
        return None if q is None or not r else xmit_size(r, q[13])

    @property
    def limit(self) -> int | None:
        q = self._tbf()
        return None if q is None else q[12]

    @property
    def latency(self) -> float | None:
        """Seconds a packet may wait: (limit - burst) at the rate, as tc prints it."""
        q, r = self._tbf(), self._rate_bytes()
        if q is None or not r:
            return None
        return round(max(0.0, q[12] / r - q[13] / TICK_IN_USEC / TIME_UNITS_PER_SEC), 6)

    def __repr__(self) -> str:
        return f"<QdiscView {self.kind} {self.handle} parent {self.parent} link={self.link}>"


class FilterView(_TcView):
    """A filter: ``kind``, ``handle``, ``parent``, ``prio``, ``protocol`` (ethertype),
    ``link``, and ``actions`` (a u32's: kind, what a mirred does and to which ifindex)."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("link", "kind", "handle", "parent", "prio", "protocol", "actions")

    @property
    def handle(self) -> str:
        h = self._header[2]
        return f"{h >> 20:x}:{h >> 12 & 0xFF:x}:{h & 0xFFF:x}" if self.kind == "u32" else f"{h:x}"

    @property
    def prio(self) -> int:
        return self._header[4] >> 16

    @property
    def protocol(self) -> int:
        return socket.ntohs(self._header[4] & 0xFFFF)

    @property
    def actions(self) -> list[dict[str, Any]]:
        opts = self._options()
        acts = self._rows.find(opts, lib.TCA_U32_ACT) if opts >= 0 and self.kind == "u32" else -1
        return [] if acts < 0 else [self._action(a) for a in self._rows.children(acts)]

    def _action(self, row: int) -> dict[str, Any]:
        rows = self._rows
        out: dict[str, Any] = {"kind": rows.get_str(row, lib.TCA_ACT_KIND)}
        opts = rows.find(row, lib.TCA_ACT_OPTIONS)
        raw = rows.get_bytes(opts, lib.TCA_MIRRED_PARMS) if opts >= 0 and out["kind"] == "mirred" else None
        if raw is not None and len(raw) >= _MIRRED.size:
            p = _MIRRED.unpack_from(raw)
            out.update(action=_EACTIONS.get(p[5], str(p[5])), ifindex=p[6])
        return out

    def __repr__(self) -> str:
        return f"<FilterView {self.kind} {self.handle} parent {self.parent} link={self.link}>"


__all__ = ["FilterView", "QdiscView", "Tbf", "add_qdisc", "add_redirect", "add_tbf", "delete_qdisc",
           "dump_filters", "dump_qdiscs", "fmt_handle", "parse_rate", "parse_size", "rate_table"]
