"""Host directories the guest sees: the read-write working directory and read-only /tmp binds."""
from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

P9_OPTS = "trans=virtio,version=9p2000.L,msize=262144"


def find_workdir(cwd: str, explicit: str | None) -> str:
    """--workdir if given, else the git checkout containing cwd, else cwd."""
    if explicit:
        return os.path.realpath(explicit)
    d = cwd
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return cwd
        d = parent


def tmp_binds(env: Mapping[str, str], workdir: str) -> list[str]:
    """Top-level /tmp/X directories the command needs (a venv or interpreter in /tmp):
    the guest gets a fresh /tmp, so these are bind-mounted read-only from the host."""
    paths = []
    if env.get("VIRTUAL_ENV"):
        paths.append(env["VIRTUAL_ENV"])
    for var in ("PATH", "PYTHONPATH"):
        paths += [p for p in env.get(var, "").split(":") if p]
    py = shutil.which("python3", path=env.get("PATH", ""))
    if py:
        paths += [py, os.path.realpath(py)]
    out: list[str] = []
    for p in paths:
        rp = os.path.realpath(p)
        parts = rp.split("/")
        if len(parts) >= 3 and parts[1] == "tmp" and parts[2]:
            top = "/tmp/" + parts[2]
            if top in out or not os.path.isdir(top):
                continue
            if workdir and (top == workdir or top.startswith(workdir + "/")):
                continue  # inside the read-write share already
            out.append(top)
    return out
