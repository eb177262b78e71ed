"""'Nothing changed': everything `ip -j` and `nft -j` see in a namespace, and a state directory."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from typing import Any

from ..conftest import PREFIX


def _run_json(*cmd: str) -> Any:
    out = subprocess.run(list(cmd), check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def _strip(value: Any) -> Any:
    """Counters and timers move on their own; everything else must stay."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items()
                if k not in ("stats64", "stats") and not k.endswith("_timer")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def netns_state(name: str) -> dict[str, Any]:
    """Links, addresses, routes of every table, neighbours, rules, nexthop objects and the
    nftables ruleset of `name`."""
    ip = ("ip", "-j", "-d", "-n", name)
    return {
        "links": _strip(_run_json(*ip, "link", "show")),
        "addrs": [{k: a[k] for k in ("ifname", "addr_info")} for a in _run_json(*ip, "addr", "show")],
        "routes": _run_json(*ip, "route", "show", "table", "all"),
        "routes6": _run_json(*ip, "-6", "route", "show", "table", "all"),
        "neigh": _run_json(*ip, "neigh", "show"),
        "rules": _run_json(*ip, "rule", "show") + _run_json(*ip, "-6", "rule", "show"),
        "nexthops": _run_json(*ip, "nexthop", "show"),
        "nft": _run_json("ip", "netns", "exec", name, "nft", "-j", "list", "ruleset"),
        "netns": sorted(n for n in os.listdir("/run/netns") if n.startswith(PREFIX)),
    }


def dir_state(path: str | os.PathLike[str]) -> dict[str, str]:
    """Every file below `path` and a hash of its bytes."""
    out: dict[str, str] = {}
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = hashlib.sha256(fh.read()).hexdigest()
    return out
