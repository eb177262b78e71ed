"""Does the host's kernel have the link kinds a network's driver needs? Asked at create.

A macvlan or ipvlan network makes its links only when a container connects; without this
check a kernel lacking the kind would let ``create`` succeed and fail the first ``connect``.
The probe asks the kernel to create the kind without a parent: a kernel that has it refuses
the missing parent (EINVAL) before any link exists; one that lacks it answers "Unknown
device type" (EOPNOTSUPP). Nothing is made either way.
"""
from __future__ import annotations

import errno
import os

from ..api import GenericLink, Handle
from ..errors import InvalidRequestError, NotSupportedError
from ..transport import NetNS
from .options import NetworkConfig


def kinds_needed(cfg: NetworkConfig) -> tuple[str, ...]:
    """The link kinds a network of this config creates later (at connect)."""
    if cfg.bridged:
        return ()          # the bridge (and vxlan) are made at create; veth is everywhere
    return (cfg.driver,) + (("vlan",) if cfg.vlan is not None else ())


def require_kinds(host: NetNS | None, cfg: NetworkConfig) -> None:
    """NotSupportedError naming the driver and the kind when the host's kernel lacks one."""
    kinds = kinds_needed(cfg)
    if not kinds:
        return
    name = f"pnlprobe{os.getpid() % 100000}"
    with Handle(host) as h:
        for kind in kinds:
            try:
                h.links.create(GenericLink(name, type=kind))
            except InvalidRequestError:
                continue               # the kind exists: it wanted a parent
            except NotSupportedError as exc:
                raise NotSupportedError(
                    errno.EOPNOTSUPP, f"create network {cfg.name}", f"(driver {cfg.driver})",
                    f"this kernel has no {kind!r} link kind, which the {cfg.driver} driver needs "
                    "(not built or its module not loaded); `pynetlink check` lists what it supports"
                ) from exc
            h.links.delete(name)           # a kernel whose kind needs no parent made one
