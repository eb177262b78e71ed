"""Kernel modules: which ones each stage loads, and their closure from modules.dep."""
from __future__ import annotations

import os
import re

from .base import InfraError

# Loaded by insmod in the initramfs (their dependencies are added from modules.dep).
STAGE1_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "overlay", "virtio_console"]
# modprobe'd in stage 2; missing ones are reported, not fatal.
STAGE2_MODULES = [
    "ipvlan", "8021q", "macvlan", "bridge", "veth", "dummy", "vxlan",
    "nf_tables", "nft_nat", "nft_masq", "nft_chain_nat", "nft_ct", "nft_redir",
    "nf_nat", "nft_compat",
]


def modname(path: str) -> str:
    """The module name of a .ko path: basename without .ko[.xz|.zst|.gz], '-' as '_'."""
    base = os.path.basename(path)
    base = re.sub(r"\.ko(\.(xz|zst|gz))?$", "", base)
    return base.replace("-", "_")


def module_closure(moddir: str, wanted: list[str]) -> list[str]:
    """Relative module paths to insmod, dependencies first; built-in ones skipped."""
    deps: dict[str, list[str]] = {}
    byname: dict[str, str] = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            if ":" not in line:
                continue
            mod, rest = line.split(":", 1)
            deps[mod] = rest.split()
            byname[modname(mod)] = mod
    builtin: set[str] = set()
    try:
        with open(os.path.join(moddir, "modules.builtin")) as f:
            builtin = {modname(x.strip()) for x in f if x.strip()}
    except FileNotFoundError:
        pass
    order: list[str] = []

    def visit(path: str) -> None:
        if path in order:
            return
        for d in deps.get(path, []):
            visit(d)
        order.append(path)

    for w in wanted:
        n = w.replace("-", "_")
        if n in byname:
            visit(byname[n])
        elif n not in builtin:
            raise InfraError(f"module {w} not found in {moddir}")
    return order
