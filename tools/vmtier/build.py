"""Building a kernel cache entry: download and unpack the kernel and busybox-static, depmod,
the vmlinux, the initramfs; made visible by one rename."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable

from .base import InfraError, log
from .entry import MANIFEST, KernelEntry
from .host import apt_env, apt_update, find_depmod
from .initramfs import build_initramfs
from .proc import run
from .vmlinux import extract_vmlinux


def find_one(base: str, pattern: str) -> str | None:
    """The first file under base whose path relative to base matches pattern."""
    rx = re.compile(pattern)
    for dirpath, _dirs, files in os.walk(base):
        for f in files:
            full = os.path.join(dirpath, f)
            if rx.search(full[len(base):]):
                return full
    return None


def pick(base: str, candidates: tuple[str, ...], exists: Callable[[str], bool]) -> str | None:
    """The last of the relative candidates for which exists(base/candidate) holds."""
    found = None
    for cand in candidates:
        if exists(os.path.join(base, cand)):
            found = cand
    return found


def download_debs(dest: str, pkg: str) -> tuple[str, str]:
    """apt-get download the kernel package and busybox-static into dest: (kernel deb, busybox deb)."""
    cmd = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg, "busybox-static"]
    if run(cmd, cwd=dest, check=False, env=apt_env()).returncode != 0:
        apt_update(check=False)
        run(cmd, cwd=dest, env=apt_env())
    debs = os.listdir(dest)
    kdeb = next((d for d in debs if d.startswith(pkg + "_")), None)
    bdeb = next((d for d in debs if d.startswith("busybox-static_")), None)
    if not kdeb or not bdeb:
        raise InfraError(f"apt-get download did not produce the packages: {debs}")
    return kdeb, bdeb


def prepare_modules(kroot: str, kdeb: str, kver: str) -> str:
    """Run depmod over the unpacked kernel; returns the modules directory relative to kroot."""
    moddir_rel = pick(kroot, (f"lib/modules/{kver}", f"usr/lib/modules/{kver}"), os.path.isdir)
    if not moddir_rel:
        raise InfraError(f"{kdeb} has no modules directory for {kver}")
    if moddir_rel.startswith("usr/") and not os.path.exists(os.path.join(kroot, "lib")):
        os.symlink("usr/lib", os.path.join(kroot, "lib"))  # depmod -b looks in BASE/lib/modules
    run([find_depmod() or "depmod", "-b", kroot, kver])
    return moddir_rel


def prepare_kernel_image(kroot: str, kdeb: str, kver: str, build: str) -> str:
    """Copy the bzImage into build and unpack the vmlinux beside it; returns the one to boot."""
    vmlinuz = pick(kroot, (f"boot/vmlinuz-{kver}", f"usr/lib/linux/vmlinuz-{kver}"), os.path.isfile)
    if not vmlinuz:
        raise InfraError(f"{kdeb} has no vmlinuz-{kver}")
    vmlinuz = os.path.join(kroot, vmlinuz)
    shutil.copy2(vmlinuz, os.path.join(build, "bzImage"))
    try:
        extract_vmlinux(vmlinuz, os.path.join(build, "vmlinux"))
        return "vmlinux"
    except Exception as e:  # noqa: BLE001 - any failure: fall back to the bzImage
        log(f"could not unpack an ELF vmlinux with a PVH entry ({e}); booting the bzImage")
        return "bzImage"


def build_kernel_entry(root: str, pkg: str, kver: str) -> KernelEntry:
    """Download + unpack kernel and busybox-static, depmod, vmlinux, initramfs.

    Runs under the cache lock; the finished entry appears by one atomic rename."""
    t0 = time.monotonic()
    log(f"preparing kernel {kver} in {root} (one-time)")
    for n in os.listdir(root):  # left by an interrupted build (we hold the lock)
        if n.startswith((".build-", ".old-")):
            shutil.rmtree(os.path.join(root, n), ignore_errors=True)
    build = tempfile.mkdtemp(prefix=f".build-{kver}-", dir=root)
    done = False
    try:
        dl = os.path.join(build, "deb")
        os.mkdir(dl)
        kdeb, bdeb = download_debs(dl, pkg)
        kroot = os.path.join(build, "root")
        run(["dpkg-deb", "-x", os.path.join(dl, kdeb), kroot])
        bbroot = os.path.join(build, "bb")
        run(["dpkg-deb", "-x", os.path.join(dl, bdeb), bbroot])
        shutil.rmtree(dl)

        moddir_rel = prepare_modules(kroot, kdeb, kver)
        kernel = prepare_kernel_image(kroot, kdeb, kver, build)
        busybox = find_one(bbroot, r"/bin/busybox$")
        if not busybox:
            raise InfraError("busybox-static package has no bin/busybox")
        shutil.copy2(busybox, os.path.join(build, "busybox"))
        shutil.rmtree(bbroot)

        insmods = build_initramfs(os.path.join(build, "initramfs.cpio"), os.path.join(kroot, moddir_rel),
                                  os.path.join(build, "busybox"))
        final = os.path.join(root, kver)
        ke = KernelEntry(kver=kver, package=pkg, deb=kdeb, kernel=kernel, moddir_rel=moddir_rel,
                         initramfs_modules=insmods, built=time.strftime("%Y-%m-%dT%H:%M:%S"), dir=final)
        with open(os.path.join(build, MANIFEST), "w") as f:
            json.dump(ke.manifest(), f, indent=1)
        os.chmod(build, 0o755)
        if os.path.exists(final):  # an unusable older entry (format change): move it aside
            old = tempfile.mkdtemp(prefix=f".old-{kver}-", dir=root)
            os.rename(final, os.path.join(old, "x"))
            shutil.rmtree(old, ignore_errors=True)
        os.rename(build, final)
        done = True
        log(f"kernel {kver} ready in {time.monotonic() - t0:.1f} s ({kernel})")
        return ke
    finally:
        if not done:
            shutil.rmtree(build, ignore_errors=True)
