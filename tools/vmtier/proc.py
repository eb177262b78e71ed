"""Helper processes: run one with its output captured, kill a process group."""
from __future__ import annotations

import ctypes
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from .base import STOP_SIGNALS, InfraError, log


def run(cmd: Sequence[str], *, cwd: str | None = None, check: bool = True,
        env: Mapping[str, str] | None = None, shield: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a helper in its own process group, output captured.

    Interrupted (Ctrl-C/SIGTERM): the whole group is killed and waited for, so no
    grandchild (dpkg-deb's tar) keeps writing into a directory being removed.
    shield=True instead lets the helper finish first (apt-get install: killing dpkg
    half-way would leave the host's package database broken)."""
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    except FileNotFoundError as e:
        raise InfraError(f"cannot run {cmd[0]}: {e}") from None
    try:
        out, _ = proc.communicate()
    except BaseException:
        if shield:
            finish_shielded(proc, cmd[0])
        else:
            kill_whole_group(proc)
        raise
    cp = subprocess.CompletedProcess(list(cmd), proc.returncode, out, None)
    if check and cp.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-15:])
        raise InfraError(f"command failed ({cp.returncode}): {shlex.join(cmd)}\n{tail}")
    return cp


def finish_shielded(proc: subprocess.Popen[str], name: str) -> None:
    """Wait for proc to finish, ignoring the stop signals meanwhile."""
    log(f"waiting for {name} to finish before stopping")
    old = {s: signal.signal(s, signal.SIG_IGN) for s in STOP_SIGNALS}
    try:
        proc.communicate()
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def kill_whole_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL proc's group, reap proc, and keep killing until the group is gone."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    # reap the rest of the group (children re-parented elsewhere still hold the pgid)
    for _ in range(50):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        time.sleep(0.02)


def kill_group(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a still-running proc's group: SIGTERM, then SIGKILL; wait for proc."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def set_pdeathsig() -> None:
    """In a child before exec: get SIGKILL when the parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass
