"""``check``, ``demo`` and ``network``: Docker's option language."""
from __future__ import annotations

import argparse
import json
import os

from .output import EXIT_FAILED, EXIT_OK, Progress, _json, _log_to_stderr, _table

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Callable


# -- check, demo ---------------------------------------------------------------------------------
def _cmd_check(args: argparse.Namespace) -> int:
    from ..check import report
    probes, caps = report()
    if args.json:
        print(json.dumps({"kernel": os.uname().release, "capabilities": caps,
                          "features": [p.to_dict() for p in probes]}, indent=2))
    else:
        print(f"pynetlink check: kernel {os.uname().release}, "
              + ", ".join(f"{c} {'yes' if ok else 'NO'}" for c, ok in caps.items()))
        width = max(len(p.what) for p in probes)
        for p in probes:
            why = f"{p.reason}; needs {p.needs}" if p.reason and p.needs else p.reason
            print(f"  {'ok     ' if p.ok else 'missing'}  {p.what:<{width}}  {why}")
        n_ok = sum(p.ok for p in probes)
        mods = sorted({p.needs for p in probes if not p.ok and p.needs and not p.needs.startswith("CONFIG_")})
        print(f"{n_ok} of {len(probes)} features available"
              + ("" if n_ok == len(probes) else
                 "; for the others load their modules" + (f" (modprobe {' '.join(mods)})" if mods else "")
                 + " or use a kernel built with them: docs/errors.md, 'Kernel features'"))
    netns = next((p for p in probes if p.name == "netns"), None)
    return 0 if netns is not None and netns.ok else 2


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..networks.demo import run_demo
    _log_to_stderr()
    say: Callable[[str], None] = (lambda s: None) if args.json else print
    if not args.json:
        print(f"pynetlink demo: scenario S1 (docker0 bridge, {args.containers} containers, "
              "masquerade, a published port) in throwaway namespaces")
    res = run_demo(args.containers, say, args.pause)
    if args.json:
        _json(res.to_dict())
    else:
        print("timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items()))
        print("cleanup: " + ("every namespace deleted" if not res.leftovers
                             else f"LEFT BEHIND: {', '.join(res.leftovers)}"))
        n_ok = sum(p["ok"] for p in res.proofs)
        print(f"{'OK' if res.ok else 'FAILED'}: {n_ok} of {len(res.proofs)} proofs passed")
    return EXIT_OK if res.ok else EXIT_FAILED


# -- network -------------------------------------------------------------------------------------
def _networks(args: argparse.Namespace) -> Any:
    from ..networks import Networks
    _log_to_stderr()
    return Networks(args.netns, state_dir=args.state_dir, ipam_dir=args.ipam_dir)


def _cmd_net_create(args: argparse.Namespace) -> int:
    from .overlay import overlay_options
    net = _networks(args).create(args.name, driver=args.driver, options=overlay_options(args),
                                 subnet=args.subnet, gateway=args.gateway, ip_range=args.ip_range,
                                 aux_addresses=args.aux_address, ipv6=args.ipv6,
                                 internal=args.internal, labels=args.label)
    print(net.id)
    return EXIT_OK


def _cmd_net_rm(args: argparse.Namespace) -> int:
    nets = _networks(args)
    for name in args.names:
        nets.remove(name, force=args.force)
        print(name)
    return EXIT_OK


def _cmd_net_ls(args: argparse.Namespace) -> int:
    from ..networks.model import network_filter
    keep = network_filter(args.filter)
    nets = [n for n in _networks(args).list() if keep(n)]
    if args.json:
        _json([n.to_dict() for n in nets])
        return EXIT_OK
    rows = [(n.id, n.name, n.driver, ",".join(str(p.subnet) for p in n.config.pools),
             ",".join(str(p.gateway) for p in n.config.pools), n.bridge or n.config.parent,
             len(n.endpoints), n.state) for n in nets]
    _table(rows, ("NETWORK ID", "NAME", "DRIVER", "SUBNET", "GATEWAY", "DEVICE", "CONTAINERS", "STATE"))
    return EXIT_OK


def _cmd_net_inspect(args: argparse.Namespace) -> int:
    nets = _networks(args)
    _json([nets.get(n).to_dict() for n in args.names])
    return EXIT_OK


def _cmd_net_connect(args: argparse.Namespace) -> int:
    from ..networks import Attach, OptionError
    _log_to_stderr()
    if len(args.containers) > 1 and (args.ip or args.ifname):
        raise OptionError("--ip", "--ip and --ifname apply to one container; connect them one by one")
    bw = {k: getattr(args, k) for k in ("ingress_rate", "ingress_burst", "egress_rate", "egress_burst")
          if getattr(args, k, None) is not None} or None
    items = [Attach(_ns_ref(c), args.ip or None, args.ifname, args.publish, getattr(args, "vlan", None), bw)
             for c in args.containers]
    eps = _networks(args).connect_many(args.network, items,
                                       progress=Progress(f"connecting to {args.network}"))
    if args.json:
        _json([e.to_dict() for e in eps])
    else:
        _table([(e.container, e.ifname, " ".join(e.addresses), e.mac, e.host_ifname,
                 " ".join(e.publish)) for e in eps],
               ("CONTAINER", "IFNAME", "ADDRESSES", "MAC", "HOST VETH", "PUBLISHED"))
    return EXIT_OK


def _cmd_net_disconnect(args: argparse.Namespace) -> int:
    _networks(args).disconnect_many(args.network, [_ns_ref(c) for c in args.containers])
    return EXIT_OK


def _ns_ref(text: str) -> str | int:
    """A container namespace: a pid (digits), a path, or a name."""
    return int(text) if text.isdigit() else text
