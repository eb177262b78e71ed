"""The per-run temp directory (owner pid, control share, guest scripts, logs) and the reaping
of ones left by SIGKILLed runs."""
from __future__ import annotations

import os
import shutil
import tempfile

PREFIX = "vm-tier-"


def make_rundir() -> str:
    """A fresh temp dir with owner.pid and an empty ctl/ (the control share)."""
    reap_stale_tmpdirs(tempfile.gettempdir())
    tmp = tempfile.mkdtemp(prefix=PREFIX)
    try:
        write_file(os.path.join(tmp, "owner.pid"), f"{os.getpid()}\n")
        os.mkdir(os.path.join(tmp, "ctl"))
    except BaseException:  # a stop signal here must not leave the dir behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def write_file(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def reap_stale_tmpdirs(base: str) -> None:
    """Remove temp dirs left by runs that were SIGKILLed (their owner pid is gone)."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for n in names:
        if not n.startswith(PREFIX):
            continue
        d = os.path.join(base, n)
        try:
            with open(os.path.join(d, "owner.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:
            pass


def tail(path: str, n: int = 25) -> str:
    """The last n lines of a text file, '' if it cannot be read."""
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])
