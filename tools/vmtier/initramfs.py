"""The stage-1 initramfs: busybox, the virtio/9p/overlay modules, and an /init that mounts
the control share and runs the per-run stage-1 script the host wrote there."""
from __future__ import annotations

import lzma
import os

from .base import InfraError
from .cpio import Cpio
from .modules import STAGE1_MODULES, modname, module_closure
from .shares import P9_OPTS

INIT_SCRIPT = r"""#!/bin/busybox sh
# vm-tier stage 1 (initramfs): load the virtio/9p stack, mount the control
# share, then run the per-run stage-1 script the host wrote there.
export PATH=/bin
/bin/busybox --install -s /bin
exec </dev/console >/dev/console 2>&1
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
die() { echo "vm-tier stage1: $*"; poweroff -f; sleep 5; reboot -f; }
while read -r m; do
    insmod "/lib/modules/$m" || echo "vm-tier stage1: insmod $m failed"
done < /modules.order
mount -t 9p -o __P9_OPTS__ vmctl /ctl || die "cannot mount the control share"
. /ctl/stage1.sh
die "stage1.sh returned"
""".replace("__P9_OPTS__", P9_OPTS)

DIRS = ("bin", "dev", "proc", "sys", "lib", "lib/modules", "ctl", "lower", "ovl", "newroot")


def build_initramfs(dest: str, moddir: str, busybox: str) -> list[str]:
    """Write the initramfs to dest (atomically); returns the names of the modules it loads."""
    mods = module_closure(moddir, STAGE1_MODULES)
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        c = Cpio(f)
        for d in DIRS:
            c.dir(d)
        c.chardev("dev/console", 5, 1)
        c.chardev("dev/null", 1, 3)
        with open(busybox, "rb") as bb:
            c.file("bin/busybox", bb.read(), 0o755)
        c.file("init", INIT_SCRIPT.encode(), 0o755)
        names = []
        for rel in mods:
            name, data = plain_module(moddir, rel)
            c.file("lib/modules/" + name, data)
            names.append(name)
        c.file("modules.order", ("\n".join(names) + "\n").encode())
        c.close()
    os.rename(tmp, dest)
    return [modname(n) for n in names]


def plain_module(moddir: str, rel: str) -> tuple[str, bytes]:
    """(file name, contents) of a module as insmod takes it: .ko.xz is decompressed."""
    with open(os.path.join(moddir, rel), "rb") as f:
        data = f.read()
    name = os.path.basename(rel)
    if name.endswith(".xz"):
        return name[:-3], lzma.decompress(data)
    if not name.endswith(".ko"):
        raise InfraError(f"cannot unpack module {rel} (only .ko and .ko.xz are handled)")
    return name, data
