"""The only importer of the compiled codec: typed wrappers around csrc/pnl.h.

Each function crosses into C once for a whole batch or buffer.
"""
from __future__ import annotations

from typing import Any

from ._codec import ffi, lib
from .errors import DecodeError

__all__ = ["ffi", "lib", "const", "consts", "check_rc"]


def const(name: str) -> int:
    """A UAPI constant, as the kernel headers define it."""
    return int(getattr(lib, name))


def consts(prefix: str) -> dict[str, int]:
    """All UAPI constants starting with ``prefix``, keyed by the rest of the name."""
    return {n[len(prefix):]: int(getattr(lib, n)) for n in dir(lib) if n.startswith(prefix)}


def check_rc(rc: int, what: str) -> int:
    """Turn a -errno return into OSError."""
    if rc < 0:
        import os
        raise OSError(-rc, f"{what}: {os.strerror(-rc)}")
    return rc


def new(ctype: str, n: int) -> Any:
    return ffi.new(ctype, n)


def decode_error(rc: int, err_off: int) -> DecodeError:
    import os
    return DecodeError(f"malformed netlink data ({os.strerror(-rc)})", err_off)
