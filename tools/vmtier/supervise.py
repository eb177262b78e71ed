"""Run qemu: stream the guest's output from the FIFO to stdout, notice the command's start,
enforce the deadline."""
from __future__ import annotations

import os
import select
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass

from .base import InfraError, log
from .entry import KernelEntry
from .options import Options
from .proc import kill_group, set_pdeathsig
from .qemu import qemu_command


@dataclass
class Boot:
    """How one qemu run ended (monotonic times)."""

    qemu_rc: int
    t_start: float
    t_started: float | None  # when the guest reported COMMAND started
    timed_out: bool


class Supervisor:
    """Owns the qemu process and the output FIFO of one run; close() releases both."""

    def __init__(self, tmp: str, opts: Options):
        self.tmp = tmp
        self.opts = opts
        self.proc: subprocess.Popen[bytes] | None = None
        self.fifo_fd: int | None = None
        self.out_broken = False

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def emit(self, data: bytes) -> None:
        if self.out_broken or not data:
            return
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except (BrokenPipeError, OSError):
            self.out_broken = True

    def drain(self, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            self.emit(data)

    def open_fifo(self) -> int:
        if self.fifo_fd is None:
            fifo = os.path.join(self.tmp, "out.fifo")
            if not os.path.exists(fifo):
                os.mkfifo(fifo, 0o600)
            # O_RDWR: never blocks on open, never sees EOF; qemu's open for writing won't block either
            self.fifo_fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        return self.fifo_fd

    def start(self, ke: KernelEntry, kernel: str, workdir: str | None) -> subprocess.Popen[bytes]:
        cmd = qemu_command(ke, kernel, self.tmp, workdir, self.opts)
        if self.opts.verbose:
            log("qemu: " + shlex.join(cmd))
        with open(os.path.join(self.tmp, "qemu.err"), "wb") as errf:
            try:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=errf, stderr=errf,
                                             start_new_session=True, preexec_fn=set_pdeathsig)
            except OSError as e:
                raise InfraError(f"cannot start qemu: {e}") from None
        return self.proc

    def boot(self, ke: KernelEntry, kernel: str, workdir: str | None, deadline: float | None) -> Boot:
        """Start qemu and stream its output until it exits or the deadline passes (then kill it)."""
        fd = self.open_fifo()
        t_start = time.monotonic()
        proc = self.start(ke, kernel, workdir)
        started_path = os.path.join(self.tmp, "ctl", "started")
        t_started = None
        timed_out = False
        while True:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                self.drain(fd)
            if t_started is None:
                t_started = self.check_started(started_path)
            if proc.poll() is not None:
                break
            if deadline is not None and time.monotonic() >= deadline:
                timed_out = True
                kill_group(proc)
                break
        self.drain(fd)
        if t_started is None:
            t_started = self.check_started(started_path)
        return Boot(proc.returncode, t_start, t_started, timed_out)

    def check_started(self, started_path: str) -> float | None:
        """The time now if the guest has started COMMAND (then its modules are reported)."""
        if not os.path.exists(started_path):
            return None
        report_modules(self.tmp, self.opts.verbose)
        return time.monotonic()

    def close(self) -> None:
        kill_group(self.proc)
        if self.fifo_fd is not None:
            os.close(self.fifo_fd)
            self.fifo_fd = None


def report_modules(tmp: str, verbose: bool) -> None:
    """Log the stage-2 modules the guest could not load (all loaded ones with verbose)."""
    try:
        with open(os.path.join(tmp, "ctl", "modules")) as f:
            info = dict(line.rstrip("\n").split(":", 1) for line in f if ":" in line)
    except OSError:
        return
    missing = info.get("missing", "").split()
    if verbose:
        log("modules loaded:" + info.get("loaded", ""))
    if missing:
        log("modules not available in the guest kernel (continuing): " + " ".join(missing))
