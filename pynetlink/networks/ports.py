"""Per-port options of bridge networks: VLANs and bandwidth limits.

- ``-o vlan=N`` (``network_config``) makes the network's bridge VLAN-aware (``vlan_filtering``)
  with the bridge itself in VLAN N (pvid, untagged: the gateway is reached from N); every
  container port joins VLAN N as its pvid, untagged, and leaves the default VLAN 1. A
  container connected with ``vlan=M`` joins M instead: ports in different VLANs cannot
  reach each other (nor the gateway, unless M is N).
- ``bandwidth={"ingress_rate": ..., "ingress_burst": ..., "egress_rate": ..., "egress_burst": ...}``
  on connect limits what the container receives (ingress) and sends (egress), as the CNI
  bandwidth plugin does: a tbf on the host end of its veth for ingress, and the host end's
  ingress redirected to an ifb (in the network's link group, named in the endpoint record,
  removed with the endpoint) for egress.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..api.tc import ifb_name
from ..rtnl.tc import Tbf
from ..errors import InvalidArgument
from .context import Ctx
from .errors import OptionError
from .options import NetworkConfig

BANDWIDTH_KEYS = ("ingress_rate", "ingress_burst", "egress_rate", "egress_burst")


def network_vlan(cfg: NetworkConfig) -> int | None:
    """The network's VLAN (``-o vlan=N``), or None."""
    text = dict(cfg.options).get("vlan")
    return None if text is None else int(text)


def check_vlan_option(text: str) -> None:
    """``-o vlan`` is a VLAN id (1-4094)."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 4094:
        raise OptionError("-o vlan", f"{text!r} is not a VLAN id (1-4094)")


def check_attach(cfg: NetworkConfig, vlan: object, bandwidth: object) -> None:
    """A connect's ``vlan`` and ``bandwidth``, refused before anything changes."""
    if vlan is not None:
        if network_vlan(cfg) is None:
            raise OptionError("vlan", f"network {cfg.name} is not VLAN-aware: create it with -o vlan=N")
        if isinstance(vlan, bool) or not isinstance(vlan, int) or not 1 <= vlan <= 4094:
            raise OptionError("vlan", f"{vlan!r} is not a VLAN id (1-4094)")
    if bandwidth is not None:
        if not cfg.bridged:
            raise OptionError("bandwidth", f"bandwidth limits need a bridge network, {cfg.name} is "
                                           f"{cfg.driver}")
        if not isinstance(bandwidth, Mapping) or not set(bandwidth) <= set(BANDWIDTH_KEYS) or not bandwidth:
            raise OptionError("bandwidth", f"expected a dict of {', '.join(BANDWIDTH_KEYS)}, not {bandwidth!r}")
        for d in ("ingress", "egress"):
            rate, burst = bandwidth.get(f"{d}_rate"), bandwidth.get(f"{d}_burst")
            if (rate is None) != (burst is None):
                raise OptionError("bandwidth", f"{d}_rate and {d}_burst go together")
            try:
                if rate is not None:
                    Tbf(rate, burst)  # type: ignore[arg-type]
            except InvalidArgument as exc:
                raise OptionError("bandwidth", f"{d}: {exc}") from None


def setup_bridge(ctx: Ctx, name: str) -> None:
    """The bridge's own VLAN entry (it joins the network's VLAN as pvid, untagged)."""
    vid = network_vlan(ctx.config)
    if vid is not None:
        ctx.handle.bridge_vlans.add(name, vid, pvid=True, untagged=True, master=False)


def apply(ctx: Ctx, wants: Sequence[Any], eps: Sequence[dict[str, Any]]) -> None:
    """VLANs (one batch) and bandwidth limits of newly connected containers' host ends."""
    if not ctx.config.bridged:
        return
    default = network_vlan(ctx.config)
    h = ctx.handle
    if default is not None:
        with h.batch() as b:
            for w, ep in zip(wants, eps):
                ep["vlan"] = w.vlan or default
                b.bridge_vlans.delete(ep["host_ifname"], 1)
                b.bridge_vlans.add(ep["host_ifname"], ep["vlan"], pvid=True, untagged=True)
    for w, ep in zip(wants, eps):
        if w.bandwidth:
            bw = w.bandwidth
            ep["ifb"] = ifb_name(h.links.get(ep["host_ifname"]).index)
            ep["bandwidth"] = dict(bw)
            ctx.save()                       # the ifb is named before it exists (see remove_links)
            # the container's ingress is what the host end sends, and the other way round
            h.tc.set_bandwidth(ep["host_ifname"], ingress_rate=bw.get("egress_rate"),
                               ingress_burst=bw.get("egress_burst"), egress_rate=bw.get("ingress_rate"),
                               egress_burst=bw.get("ingress_burst"), group=ctx.group)
    ctx.save()


__all__ = ["BANDWIDTH_KEYS", "apply", "check_attach", "check_vlan_option", "network_vlan", "setup_bridge"]
