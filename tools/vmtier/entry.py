"""A kernel cache entry: what its manifest.json says, and reading it back."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any

CACHE_FORMAT = 1  # bump when the layout of a cached kernel entry changes
MANIFEST = "manifest.json"


@dataclass
class KernelEntry:
    """A ready cache entry, as its manifest.json says (dir: where it is)."""

    kver: str
    package: str
    deb: str
    kernel: str  # "vmlinux" or "bzImage", a file in dir
    moddir_rel: str  # lib/modules/<kver> under dir/root
    initramfs_modules: list[str]
    built: str
    dir: str = ""

    def manifest(self) -> dict[str, Any]:
        man = {"format": CACHE_FORMAT, **asdict(self)}
        del man["dir"]
        return man

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)


def load_entry(entry: str) -> KernelEntry | None:
    """The entry in directory entry, or None if it is missing, unreadable or of another format."""
    try:
        with open(os.path.join(entry, MANIFEST)) as f:
            man = json.load(f)
        if man.get("format") != CACHE_FORMAT:
            return None
        return KernelEntry(kver=str(man["kver"]), package=str(man["package"]), deb=str(man["deb"]),
                           kernel=str(man["kernel"]), moddir_rel=str(man["moddir_rel"]),
                           initramfs_modules=[str(m) for m in man["initramfs_modules"]],
                           built=str(man["built"]), dir=entry)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
