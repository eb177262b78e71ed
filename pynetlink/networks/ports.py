"""Per-port options of bridge networks: VLANs and bandwidth limits.

- ``-o vlan=N`` (``network_config``) makes the network's bridge VLAN-aware (``vlan_filtering``)
  with the bridge itself in VLAN N (pvid, untagged: the gateway is reached from N); every
  container port joins VLAN N as its pvid, untagged, and leaves the default VLAN 1. A
  container connected with ``vlan=M`` joins M instead: ports in different VLANs cannot
  reach each other (nor the gateway, unless M is N). An existing bridge named by
  ``-o bridge_name`` is used only if it filters VLANs already: switching filtering on would
  change what its other ports may send (only their VLAN 1, untagged, then passes), so it is
  refused, before anything is made, with the command that turns it on.
- ``bandwidth={"ingress_rate": ..., "ingress_burst": ..., "egress_rate": ..., "egress_burst": ...}``
  on connect limits what the container receives (ingress) and sends (egress), as the CNI
  bandwidth plugin does: a tbf on the host end of its veth for ingress, and the host end's
  ingress redirected to an ifb (in the network's link group, named in the endpoint record,
  removed with the endpoint) for egress.

Connecting a container connected already with another ``vlan`` or ``bandwidth`` than its
endpoint has is refused (Exists), as for another address: disconnect it first.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..api.tc import ifb_name
from ..rtnl.tc import Tbf, parse_rate, parse_size
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


def check_existing_bridge(cfg: NetworkConfig, bridge: Any) -> None:
    """A VLAN-aware network on a bridge that exists (``bridge``: its view) needs VLAN
    filtering on it already (module docstring)."""
    if network_vlan(cfg) is not None and not bridge.vlan_filtering:
        raise OptionError("-o vlan", f"bridge {bridge.name} exists without VLAN filtering, and turning it "
                                     "on would change what its other ports may send; turn it on yourself "
                                     f"(ip link set {bridge.name} type bridge vlan_filtering 1) or choose "
                                     "another -o bridge_name")


def differences(vlan: int | None, bandwidth: Mapping[str, Any] | None, endpoint: Mapping[str, Any]) -> list[str]:
    """What a connect asks for (``vlan``, ``bandwidth``; None: anything) that the endpoint of
    the container, connected already, does not have: ["vlan 20 (it has 10)", ...]."""
    out = []
    if vlan is not None and vlan != endpoint.get("vlan"):
        out.append(f"vlan {vlan} (it has {endpoint.get('vlan') or 'none'})")
    if bandwidth is not None and _limits(bandwidth) != _limits(endpoint.get("bandwidth") or {}):
        out.append(f"bandwidth {dict(bandwidth)} (it has {endpoint.get('bandwidth') or 'none'})")
    return out


def _limits(bandwidth: Mapping[str, Any]) -> dict[str, int]:
    """Rates in bit/s and bursts in bytes ("8mbit" and 8000000 are one rate); checked already."""
    return {k: (parse_rate if k.endswith("rate") else parse_size)(x, k) for k, x in bandwidth.items()}


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
            ctx.save([ep["id"]])             # the ifb is named before it exists (see remove_links)
            # the container's ingress is what the host end sends, and the other way round
            h.tc.set_bandwidth(ep["host_ifname"], ingress_rate=bw.get("egress_rate"),
                               ingress_burst=bw.get("egress_burst"), egress_rate=bw.get("ingress_rate"),
                               egress_burst=bw.get("ingress_burst"), group=ctx.group)
    if default is not None:                  # the VLANs (the bandwidths were saved above)
        ctx.save([ep["id"] for ep in eps])


__all__ = ["BANDWIDTH_KEYS", "apply", "check_attach", "check_existing_bridge", "check_vlan_option", "differences",
           "network_vlan", "setup_bridge"]
