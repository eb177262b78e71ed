"""The qemu command line: accelerator, kernel, 9p shares, output port, isolated NICs."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .entry import KernelEntry
from .options import Options

KERNEL_ARGS = "console=ttyS0 quiet panic=-1 net.ifnames=0 rdinit=/init"


def accel_args(env: Mapping[str, str] = os.environ) -> tuple[list[str], str]:
    """qemu's -accel/-cpu and the accelerator's name: KVM only where the CPU shows vmx/svm
    (PYNETLINK_VM_ACCEL=kvm|tcg and PYNETLINK_VM_CPU override)."""
    want = env.get("PYNETLINK_VM_ACCEL", "auto")
    if want == "auto":
        want = "kvm" if hardware_virt() and os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"
    if want == "kvm":
        return ["-accel", "kvm", "-cpu", "host"], "kvm"
    return ["-accel", "tcg,thread=multi", "-cpu", env.get("PYNETLINK_VM_CPU", "max")], "tcg"


def hardware_virt() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return re.search(r"^flags\s*:.*\b(vmx|svm)\b", flags, re.M) is not None


def share(name: str, path: str, *extra: str) -> list[str]:
    """A virtio-9p share of host path with mount tag name."""
    opts = ",".join((f"local,id=fs{name}", f"path={path}", "security_model=none", *extra))
    return ["-fsdev", opts, "-device", f"virtio-9p-pci,fsdev=fs{name},mount_tag={name}"]


def qemu_command(ke: KernelEntry, kernel: str, tmp: str, workdir: str | None, opts: Options) -> list[str]:
    """qemu-system-x86_64 booting ke's kernel file (vmlinux or bzImage), run files in tmp."""
    acc, _ = accel_args()
    cmd = [
        "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-machine", "pc",
        *acc, "-m", str(opts.mem), "-smp", str(opts.smp), "-display", "none", "-no-reboot",
        "-kernel", ke.path(kernel), "-initrd", ke.path("initramfs.cpio"), "-append", KERNEL_ARGS,
        "-chardev", f"file,id=con,path={os.path.join(tmp, 'console.log')}", "-serial", "chardev:con",
        *share("hostroot", "/", "multidevs=remap", "readonly=on"),
        *share("vmctl", os.path.join(tmp, "ctl")),
        "-chardev", f"file,id=out,path={os.path.join(tmp, 'out.fifo')}",
        "-device", "virtio-serial-pci", "-device", "virtserialport,chardev=out,name=out",
    ]
    if workdir:
        cmd += share("work", workdir, "multidevs=remap")
    for i in range(opts.nics):
        # a hub with no host port: frames only travel between the guest's own NICs
        cmd += ["-netdev", f"hubport,id=hp{i},hubid=0",
                "-device", f"virtio-net-pci,netdev=hp{i},mac=52:54:00:12:34:{0x10 + i:02x},romfile="]
    return cmd
