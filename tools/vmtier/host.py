"""Host tools: qemu and kmod installed when missing, apt-get with the right options."""
from __future__ import annotations

import os
import shutil

from .base import InfraError, log
from .proc import run

SBIN_PATH = "/usr/sbin:/sbin:/usr/bin:/bin"
APT_LOCK = ["-o", "DPkg::Lock::Timeout=300"]


def apt_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DEBIAN_FRONTEND"] = "noninteractive"
    return env


def apt_update(check: bool = True) -> None:
    run(["apt-get", "update", "-q", *APT_LOCK], check=check, env=apt_env())


def find_modprobe() -> str | None:
    for p in ("/usr/sbin/modprobe", "/sbin/modprobe"):
        if os.access(p, os.X_OK):
            return p
    return None


def find_depmod() -> str | None:
    return shutil.which("depmod", path=SBIN_PATH + ":" + os.environ.get("PATH", ""))


def ensure_host_packages() -> list[str]:
    """Install qemu-system-x86 / kmod only if missing. Returns what was installed."""
    missing = []
    if not shutil.which("qemu-system-x86_64"):
        missing.append("qemu-system-x86")
    if not (find_modprobe() and find_depmod()):
        missing.append("kmod")
    if not missing:
        return []
    if os.geteuid() != 0:
        raise InfraError(f"missing {', '.join(missing)} and not root: apt-get install {' '.join(missing)}")
    log(f"installing {' '.join(missing)} (apt-get, --no-install-recommends)")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *APT_LOCK, *missing]
    cp = run(cmd, check=False, env=apt_env(), shield=True)
    if cp.returncode != 0:
        log("apt-get install failed; running apt-get update and retrying")
        apt_update()
        run(cmd, env=apt_env(), shield=True)
    return missing
