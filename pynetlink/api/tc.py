"""``h.tc``: traffic shaping on a Handle's links (what the CNI bandwidth plugin does).

``set_bandwidth(dev, ingress_rate=, ingress_burst=, egress_rate=, egress_burst=)``:
egress (what ``dev`` sends) is a tbf root qdisc on ``dev``; ingress (what ``dev``
receives) is an ingress qdisc on ``dev`` whose u32 match-all filter redirects every packet
to an ifb device carrying the tbf. Rates in bits/s, bursts in bytes (ints, or tc's text:
"8mbit", "32kb").
"""
from __future__ import annotations

from .._record import asdict, record
from typing import TYPE_CHECKING, Any

from ..errors import BatchError, InvalidArgument, NetlinkError, NotFoundError
from ..rtnl import links as rtlink
from ..rtnl import tc as rtc
from ..rtnl.request import Request
from ..rtnl.tc import FilterView, QdiscView, Tbf
from ..rtnl.validate import LinkRef

if TYPE_CHECKING:
    from .handle import Handle


@record(frozen=True)
class Bandwidth:
    """The shaping of one link as read back: None where a direction is not shaped."""

    ingress_rate: int | None = None
    ingress_burst: int | None = None
    egress_rate: int | None = None
    egress_burst: int | None = None
    ifb: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ifb_name(index: int) -> str:
    """The ifb device that carries the ingress shaping of link ``index``."""
    return f"ifb-{index}"


class Tc:
    """Traffic control of one Handle's namespace: bandwidth, qdiscs, filters."""

    __slots__ = ("_h",)

    def __init__(self, handle: "Handle") -> None:
        self._h = handle

    def _one(self, request: Request) -> Any:
        return self._h.run([request])[0].result()

    # -- bandwidth ------------------------------------------------------------------------
    def set_bandwidth(self, dev: LinkRef, *, ingress_rate: int | str | None = None,
                      ingress_burst: int | str | None = None, egress_rate: int | str | None = None,
                      egress_burst: int | str | None = None, latency: float = 0.025,
                      group: int | None = None) -> Bandwidth:
        """Limit what ``dev`` receives (ingress) and sends (egress). Earlier limits are
        removed first (``clear_bandwidth``), also when the new ones then fail.

        A direction needs its rate (bits/s) and burst (bytes); at least one is needed. On
        failure every step taken is undone and the first kernel error raised. ``group``: the
        link group of the ifb made for ingress.
        """
        ingress = _tbf("ingress", ingress_rate, ingress_burst, latency)
        egress = _tbf("egress", egress_rate, egress_burst, latency)
        if ingress is None and egress is None:
            raise InvalidArgument("set_bandwidth: give ingress_rate/ingress_burst, "
                                  "egress_rate/egress_burst or both")
        index = self._h.links.get(dev).index
        self.clear_bandwidth(index)
        reqs: list[Request] = []
        if ingress is not None:
            from ..rtnl.kinds import GenericLink
            ifb = ifb_name(index)
            reqs += [rtlink.create(GenericLink(ifb, type="ifb", up=True, group=group), fetch=False),
                     rtc.add_tbf(ifb, ingress), rtc.add_qdisc(index, "ingress"),
                     rtc.add_redirect(index, ifb)]
        if egress is not None:
            reqs.append(rtc.add_tbf(index, egress))
        b = self._h.batch(rollback=True)
        for r in reqs:
            b._queue(r)
        try:
            b.run()
        except BatchError as exc:
            raise exc.errors[0] from exc
        return self.bandwidth(index)

    def bandwidth(self, dev: LinkRef) -> Bandwidth:
        """The limits set on ``dev`` (read from its qdiscs, filters and ifb)."""
        index = self._h.links.get(dev).index
        out: dict[str, Any] = {}
        egress = _root_tbf(self.qdiscs(index))
        if egress is not None:
            out.update(egress_rate=egress.rate, egress_burst=egress.burst)
        ifb = self._redirect_target(index)
        if ifb is not None:
            shaped = _root_tbf(self.qdiscs(ifb.index))
            if shaped is not None:
                out.update(ingress_rate=shaped.rate, ingress_burst=shaped.burst, ifb=ifb.name)
        return Bandwidth(**out)

    def clear_bandwidth(self, dev: LinkRef) -> None:
        """Remove the limits of ``dev``: its tbf root qdisc, and the ingress qdisc and ifb of
        ``set_bandwidth`` (an ingress or clsact qdisc that does not redirect to that ifb
        stays); a no-op if none."""
        index = self._h.links.get(dev).index
        ifb = self._redirect_target(index)
        reqs = []
        if _root_tbf(self.qdiscs(index)) is not None:
            reqs.append(rtc.delete_qdisc(index, "root"))
        if ifb is not None and ifb.name == ifb_name(index):
            reqs += [rtc.delete_qdisc(index, "ingress"), rtlink.delete(ifb.index)]
        for out in self._h.run(reqs):
            if out.error is not None and not isinstance(out.error, NotFoundError):
                raise out.error

    def _redirect_target(self, index: int) -> Any:
        """The link ``index``'s ingress filters redirect to, or None."""
        if not any(q.parent == "ingress" for q in self.qdiscs(index)):
            return None
        for f in self.filters(index):
            for act in f.actions:
                if act.get("action") == "egress redirect":
                    try:
                        return self._h.links.get(act["ifindex"])
                    except NetlinkError:
                        return None
        return None

    # -- lower level ----------------------------------------------------------------------
    def qdiscs(self, dev: LinkRef | None = None) -> list[QdiscView]:
        """Every qdisc of the namespace, or of one link (``tc qdisc show [dev DEV]``)."""
        return list(self._one(rtc.dump_qdiscs(dev)))

    def filters(self, dev: LinkRef, parent: str = "ingress") -> list[FilterView]:
        """The filters of ``dev``'s "ingress" or "root" qdisc (``tc filter show dev DEV ingress``)."""
        return list(self._one(rtc.dump_filters(dev, parent)))

    def add_tbf(self, dev: LinkRef, rate: int | str, burst: int | str, *, latency: float | None = None,
                limit: int | str | None = None) -> None:
        """``tc qdisc replace dev DEV root handle 1: tbf rate R burst B latency L|limit N``."""
        self._one(rtc.add_tbf(dev, Tbf(rate, burst, latency, limit)))   # type: ignore[arg-type]

    def add_qdisc(self, dev: LinkRef, kind: str) -> None:
        """An "ingress" or "clsact" qdisc."""
        self._one(rtc.add_qdisc(dev, kind))

    def add_redirect(self, dev: LinkRef, target: LinkRef, *, prio: int = 1) -> None:
        """Redirect everything ``dev`` receives to ``target`` (u32 match-all + mirred)."""
        self._one(rtc.add_redirect(dev, target, prio=prio))

    def delete_qdisc(self, dev: LinkRef, parent: str = "root") -> None:
        """``tc qdisc del dev DEV root|ingress|clsact``."""
        self._one(rtc.delete_qdisc(dev, parent))


def _tbf(direction: str, rate: object, burst: object, latency: float) -> Tbf | None:
    if rate is None and burst is None:
        return None
    if rate is None or burst is None:
        raise InvalidArgument(f"{direction}_rate and {direction}_burst go together")
    try:
        return Tbf(rate, burst, latency)   # type: ignore[arg-type]
    except InvalidArgument as exc:
        raise InvalidArgument(str(exc).replace("Tbf.", f"{direction}_", 1)) from None


def _root_tbf(qdiscs: list[QdiscView]) -> QdiscView | None:
    return next((q for q in qdiscs if q.parent == "root" and q.kind == "tbf"), None)


__all__ = ["Bandwidth", "Tc", "ifb_name"]
