"""The kernel cache: Debian's current linux-image-amd64 kernel, resolved with apt-cache, ready
in $PYNETLINK_VM_CACHE/<kernel version>/ (built once, under a lock)."""
from __future__ import annotations

import fcntl
import os
import re

from .base import InfraError, log
from .build import build_kernel_entry
from .entry import MANIFEST, KernelEntry, load_entry
from .host import apt_update
from .proc import run

DEFAULT_CACHE = "/var/cache/pynetlink-vm"
META_PACKAGE = "linux-image-amd64"


def cache_root() -> str:
    return os.path.realpath(os.environ.get("PYNETLINK_VM_CACHE") or DEFAULT_CACHE)


def resolve_kernel_package() -> str | None:
    """Name of the package linux-image-amd64 currently depends on, or None."""
    for attempt in (1, 2):
        cp = run(["apt-cache", "depends", META_PACKAGE], check=False)
        pkg = depends_kernel(cp.stdout)
        if pkg:
            return pkg
        if attempt == 1 and os.geteuid() == 0:
            apt_update(check=False)
    return None


def depends_kernel(apt_cache_depends: str) -> str | None:
    """The linux-image-<version> package named in `apt-cache depends` output."""
    m = re.search(r"^\s*\|?Depends:\s*(linux-image-\d\S*)\s*$", apt_cache_depends, re.M)
    return m.group(1) if m else None


def cached_entries(root: str) -> list[str]:
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if not n.startswith(".") and os.path.isfile(os.path.join(root, n, MANIFEST)))


def ensure_kernel() -> KernelEntry:
    """The entry for the kernel apt resolves now (else the newest cached one), built if missing."""
    root = cache_root()
    pkg = resolve_kernel_package()
    if pkg is None:
        have = cached_entries(root)
        if not have:
            raise InfraError(f"cannot resolve the kernel: `apt-cache depends {META_PACKAGE}` "
                             "names no linux-image-* package and the cache is empty")
        kver = have[-1]
        log(f"apt-cache could not resolve {META_PACKAGE}; using cached kernel {kver}")
    else:
        kver = pkg[len("linux-image-"):]
    entry = os.path.join(root, kver)
    ke = load_entry(entry)
    if ke:
        return ke
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "lock"), "a+") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        try:
            ke = load_entry(entry)  # somebody else built it while we waited
            if not ke:
                if pkg is None:
                    raise InfraError(f"cached kernel {kver} is unusable and apt cannot resolve one")
                ke = build_kernel_entry(root, pkg, kver)
        finally:
            fcntl.flock(lockf, fcntl.LOCK_UN)
    return ke
