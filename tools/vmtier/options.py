"""The command line: options and COMMAND."""
from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass

USAGE = "tools/vm-tier [--timeout SECONDS] [--mem MB] [--modules m1,m2] [--nics N] -- COMMAND [ARGS...]"


@dataclass(frozen=True)
class Options:
    timeout: float  # seconds for boot + COMMAND; 0 = none
    mem: int  # MB
    smp: int
    modules: list[str]  # extra modules to modprobe
    nics: int
    workdir: str | None
    verbose: bool
    command: list[str]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tools/vm-tier", usage=USAGE,
        description="Run COMMAND inside Debian's linux-image-amd64 kernel booted under qemu, with the "
                    "host's root filesystem (read-only + tmpfs overlay) and the working directory "
                    "mounted read-write. Exit status: COMMAND's, 124 timeout, 125 infrastructure failure.")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="wall-clock limit in seconds for boot + COMMAND (one-time installs not counted; default 1800; 0 = none)")
    p.add_argument("--mem", type=int, default=2048, help="guest memory in MB (default 2048)")
    p.add_argument("--smp", type=int, default=min(os.cpu_count() or 1, 4),
                   help="guest CPUs (default: host CPUs, at most 4)")
    p.add_argument("--modules", default="", help="extra kernel modules to modprobe, comma-separated")
    p.add_argument("--nics", type=int, default=0,
                   help="add N virtio-net NICs joined only to each other by a qemu hub (default 0)")
    p.add_argument("--workdir", default=None,
                   help="directory shared read-write at the same path (default: the git checkout "
                        "containing the cwd, else the cwd)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the qemu command and loaded modules")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return p


def parse_args(argv: Sequence[str]) -> Options:
    """Options from argv; exits 2 with usage on bad input (argparse)."""
    p = parser()
    a = p.parse_args(argv)
    cmd: list[str] = a.command
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        p.error("no COMMAND given (use: tools/vm-tier [options] -- COMMAND [ARGS...])")
    if a.nics < 0 or a.mem < 256 or a.smp < 1:
        p.error("bad --nics/--mem/--smp")
    modules = [m.strip() for m in a.modules.split(",") if m.strip()]
    return Options(timeout=a.timeout, mem=a.mem, smp=a.smp, modules=modules, nics=a.nics,
                   workdir=a.workdir, verbose=a.verbose, command=cmd)
