"""main: prepare the host and the kernel, write the guest scripts, boot, and map the outcome
to an exit status (COMMAND's, 124 timeout, 125 infrastructure, 128+N signal)."""
from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections.abc import Sequence
from types import FrameType

from .base import EXIT_INFRA, EXIT_TIMEOUT, STOP_SIGNALS, InfraError, Stopped, log
from .guest import stage1_script, stage2_script
from .host import ensure_host_packages
from .entry import KernelEntry
from .kernel import ensure_kernel
from .modules import STAGE2_MODULES
from .options import Options, parse_args
from .rundir import make_rundir, tail, write_file
from .shares import find_workdir, tmp_binds
from .supervise import Boot, Supervisor

PVH_FAILURE = re.compile(r"PVH|uncompressed kernel|load.*kernel", re.I)


def guest_env() -> dict[str, str]:
    """The caller's environment plus the VM-tier marker (and unbuffered Python)."""
    env = dict(os.environ)
    env["PYNETLINK_VM_TIER"] = "1"
    env.setdefault("PYTHONUNBUFFERED", "1")  # output streams live through the serial port
    return env


def stage2_modules(opts: Options) -> list[str]:
    return [*STAGE2_MODULES, *(["virtio_net"] if opts.nics else []), *opts.modules]


def shared_workdir(opts: Options, cwd: str) -> str | None:
    """The directory shared read-write (None for /)."""
    workdir = find_workdir(cwd, opts.workdir)
    if not os.path.isdir(workdir):
        raise InfraError(f"--workdir {workdir} is not a directory")
    if workdir == "/":
        log("working directory is /: not sharing it read-write")
        return None
    return workdir


def write_scripts(tmp: str, ke: KernelEntry, opts: Options) -> str | None:
    """Write stage1.sh and stage2.sh into the control share; returns the shared workdir."""
    cwd = os.path.realpath(os.getcwd())
    workdir = shared_workdir(opts, cwd)
    env = guest_env()
    ctl = os.path.join(tmp, "ctl")
    write_file(os.path.join(ctl, "stage1.sh"), stage1_script(ke, workdir, tmp_binds(env, workdir or "")))
    write_file(os.path.join(ctl, "stage2.sh"), stage2_script(stage2_modules(opts), cwd, env, opts.command))
    return workdir


def boot_with_fallback(sup: Supervisor, ke: KernelEntry, workdir: str | None, deadline: float | None) -> Boot:
    """Boot ke's kernel; if a vmlinux fails to boot through PVH, boot the bzImage instead."""
    boot = sup.boot(ke, ke.kernel, workdir, deadline)
    qerr = tail(os.path.join(sup.tmp, "qemu.err"))
    if boot.t_started is None and not boot.timed_out and ke.kernel == "vmlinux" and PVH_FAILURE.search(qerr):
        log("PVH boot of vmlinux failed, retrying with the bzImage: " + qerr.strip().splitlines()[-1])
        boot = sup.boot(ke, "bzImage", workdir, deadline)
    return boot


def exit_status(tmp: str, boot: Boot, opts: Options) -> int:
    """COMMAND's status from the control share, 124 on timeout; InfraError if the guest gave none."""
    ctl = os.path.join(tmp, "ctl")
    status_path = os.path.join(ctl, "status")
    if boot.timed_out:
        log(f"timeout after {opts.timeout:g} s: qemu killed")
        return EXIT_TIMEOUT
    if os.path.exists(status_path):
        with open(status_path) as f:
            return int(f.read().strip() or EXIT_INFRA)
    msg = [f"the guest ended without an exit status (qemu exit {boot.qemu_rc})"]
    if os.path.exists(os.path.join(ctl, "error")):
        msg.append(tail(os.path.join(ctl, "error")))
    qerr = tail(os.path.join(tmp, "qemu.err"))
    if qerr.strip():
        msg.append("qemu stderr:\n" + qerr)
    con = tail(os.path.join(tmp, "console.log"))
    if con.strip():
        msg.append("guest console (last lines):\n" + con)
    raise InfraError("\n".join(msg))


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signum)


def main(argv: Sequence[str]) -> int:
    opts = parse_args(argv)
    for s in STOP_SIGNALS:
        signal.signal(s, on_signal)
    tmp: str | None = None
    sup: Supervisor | None = None
    kver = "?"
    boot_s = cmd_s = None
    rc = EXIT_INFRA
    try:
        ensure_host_packages()
        ke = ensure_kernel()
        kver = ke.kver
        # installs and the one-time cache build do not count
        deadline = time.monotonic() + opts.timeout if opts.timeout > 0 else None
        tmp = make_rundir()
        sup = Supervisor(tmp, opts)
        workdir = write_scripts(tmp, ke, opts)
        boot = boot_with_fallback(sup, ke, workdir, deadline)
        t_end = time.monotonic()
        if boot.t_started is not None:
            boot_s, cmd_s = boot.t_started - boot.t_start, t_end - boot.t_started
        else:
            boot_s = t_end - boot.t_start
        rc = exit_status(tmp, boot, opts)
    except InfraError as e:
        log(f"error: {e}")
        rc = EXIT_INFRA
    except Stopped as e:
        log(f"stopped by signal {e.signum}" + (": killing qemu" if sup and sup.running() else ""))
        rc = 128 + e.signum
    finally:
        # Cleanup must not be interrupted by a second Ctrl-C.
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        if sup:
            sup.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"kernel {kver}, boot {fmt(boot_s)} s, command {fmt(cmd_s)} s, exit {rc}")
    return rc
