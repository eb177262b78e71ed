"""Delegation (spec section 4): run another plugin (a foreign IPAM) found in ``CNI_PATH``.

The delegated plugin gets the same environment (``CNI_COMMAND`` set to the command) and the
same config on stdin; its stderr is ours. This is the CNI protocol itself, not the library
doing its work through a tool: it uses ``os.posix_spawn`` and pipes. pynetlink's own
host-local is called in-process instead (``is_ours``): no process start.
"""
from __future__ import annotations

import os

from . import jsonlite as json
from .skel import INTERNAL, INVALID_CONFIG, CNIError, Request

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional

MARK = b"# pynetlink CNI plugin "


def find(name: str, req: Request) -> str:
    """The executable ``name`` in ``CNI_PATH`` (code 7 if none)."""
    if not name or "/" in name:
        raise CNIError(INVALID_CONFIG, f"ipam.type {name!r} is not a plugin name")
    for d in req.path:
        exe = os.path.join(d, name)
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    raise CNIError(INVALID_CONFIG, f"ipam.type {name!r}: no such plugin in CNI_PATH",
                   f"searched: {', '.join(req.path) or '(CNI_PATH is empty)'}")


def is_ours(name: str, req: Request, ours: str) -> bool:
    """Whether plugin ``name`` is pynetlink's plugin ``ours`` (by type, or an executable
    ``pynetlink cni install --names reference`` wrote): then it can run in-process."""
    if name == ours:
        return True
    for d in req.path:
        try:
            with open(os.path.join(d, name), "rb") as f:
                head = f.read(200)
        except OSError:
            continue
        return MARK + ours.encode() + b":" in head
    return False


def call(name: str, command: str, req: Request, config: Optional[dict[str, Any]] = None) -> Optional[dict[str, Any]]:
    """Run plugin ``name`` with ``command``; its result (None if it printed nothing).
    Its error object is raised as a ``CNIError`` with the same code."""
    exe = find(name, req)
    stdin = req.stdin if config is None else json.dumps(config).encode()
    env = dict(req.env)
    env["CNI_COMMAND"] = command
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    try:
        pid = os.posix_spawn(exe, [exe], env, file_actions=[
            (os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_CLOSE, in_w), (os.POSIX_SPAWN_CLOSE, out_r)])
    except OSError as e:
        for fd in (in_r, in_w, out_r, out_w):
            os.close(fd)
        raise CNIError(INTERNAL, f"cannot execute {exe}: {e.strerror}") from None
    os.close(in_r)
    os.close(out_w)
    try:
        with os.fdopen(in_w, "wb") as f:
            f.write(stdin)
    except BrokenPipeError:
        pass
    with os.fdopen(out_r, "rb") as f:
        out = f.read()
    _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    try:
        parsed = json.loads(out) if out.strip() else None
    except ValueError:
        parsed = None
    if rc != 0:
        if isinstance(parsed, dict) and isinstance(parsed.get("code"), int):
            raise CNIError(parsed["code"], f"{name}: {parsed.get('msg', '')}", str(parsed.get("details", "")))
        raise CNIError(INTERNAL, f"{name} {command} failed (exit {rc})", out.decode(errors="replace")[:500])
    if out.strip() and not isinstance(parsed, dict):
        raise CNIError(INTERNAL, f"{name} {command} printed something that is not a JSON object",
                       out.decode(errors="replace")[:500])
    return parsed
