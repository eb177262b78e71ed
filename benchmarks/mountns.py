"""/run/netns on a tmpfs of the runner's own (the runner's default since 2026-12-08), in a private mount namespace.

On a host whose /run is not a tmpfs (this VM: the root ext4, without a journal) every new
namespace file pays for the inodes freed there in the last seconds (ext4's
``recently_deleted``), so namespace workloads drift with whatever teardown came before
(benchmarks/results/w1scale-summary.md, tmpfsns-summary.md). Container hosts have /run on a
tmpfs (systemd). ``enter()`` gives the runner, and every process it forks or starts after,
that: it unshares the mount namespace, makes every mount in it private (nothing mounted or
unmounted here propagates to the machine's namespace, nor the other way), then mounts a fresh
tmpfs on /run/netns. ``leave()`` goes back to the machine's mount namespace (what was made
in the private one is gone once its last process has left). Nothing is mounted or unmounted
in the machine's mount namespace.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

from .common import RUN_NETNS

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


@dataclass(frozen=True)
class Mount:
    """One line of /proc/PID/mountinfo: where, what, and its propagation tags."""
    target: str
    fstype: str
    source: str
    propagation: tuple[str, ...]      # e.g. ("shared:1",), ("master:3",); () when private

    @property
    def private(self) -> bool:
        return not self.propagation


def _unescape(field: str) -> str:
    """mountinfo's octal escapes (``\\040`` for a space, ...)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mounts(text: str) -> list[Mount]:
    """Every mount of a mountinfo text, in its order (the last one on a path is on top)."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        sep = fields.index("-", 6)
        if len(fields) < sep + 3:
            continue
        out.append(Mount(_unescape(fields[4]), fields[sep + 1], _unescape(fields[sep + 2]),
                         tuple(fields[6:sep])))
    return out


def mount_at(path: str, text: str) -> Mount | None:
    """The mount ``path`` is on (the topmost one at the longest mount point that contains it)."""
    path = os.path.normpath(path)
    best: Mount | None = None
    for m in mounts(text):
        t = m.target
        if path == t or path.startswith(t.rstrip("/") + "/"):
            if best is None or len(t) >= len(best.target):
                best = m
    return best


def _mountinfo() -> str:
    with open("/proc/self/mountinfo") as f:
        return f.read()


def netns_dir_fs() -> str:
    """The file system /run/netns is on, as this process sees it (``"?"`` when unknown)."""
    m = mount_at(RUN_NETNS, _mountinfo())
    return m.fstype if m else "?"


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class PrivateNetnsDir:
    """The runner inside a private mount namespace with a tmpfs on /run/netns (``enter``)."""

    def __init__(self, saved: int, cwd: str) -> None:
        self.saved, self.cwd = saved, cwd

    def leave(self) -> None:
        """Back to the machine's mount namespace (the working directory kept)."""
        if self.saved < 0:
            return
        _check(_libc.setns(self.saved, CLONE_NEWNS), "setns back to the machine's mount namespace")
        os.close(self.saved)
        self.saved = -1
        os.chdir(self.cwd)


def enter() -> PrivateNetnsDir:
    """Unshare the mount namespace, make all of it private, mount a tmpfs on /run/netns.

    The process must have one thread (the kernel refuses CLONE_NEWNS otherwise). On any
    failure it goes back to the machine's mount namespace before raising."""
    saved = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    back = PrivateNetnsDir(saved, os.getcwd())
    try:
        _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    except BaseException:
        os.close(saved)
        raise
    try:
        # first: a copy of a shared mount is still a peer of the machine's, so a mount on it
        # would show there too (/run/netns is shared: ip netns add makes it so)
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
        leaking = [m.target for m in mounts(_mountinfo()) if not m.private]
        if leaking:
            raise RuntimeError(f"mounts still propagating after make-private: {leaking[:5]}")
        os.makedirs(RUN_NETNS, 0o755, exist_ok=True)
        _check(_libc.mount(b"tmpfs", RUN_NETNS.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           b"mode=0755"), f"mount a tmpfs on {RUN_NETNS}")
        got = mount_at(RUN_NETNS, _mountinfo())
        if got is None or got.fstype != "tmpfs" or got.target != RUN_NETNS:
            raise RuntimeError(f"{RUN_NETNS} is not on the new tmpfs: {got}")
    except BaseException:
        back.leave()
        raise
    return back
