"""The only importer of the compiled codec: typed wrappers around csrc/pnl.h.

Each function crosses into C once for a whole batch or buffer.
"""
from __future__ import annotations


try:
    from ._codec import ffi, lib
except ImportError as _exc:                  # a source tree without the built extension
    raise ImportError(
        f"pynetlink's C codec (pynetlink._codec) is not built in {__file__.rsplit('/', 1)[0]}: "
        "in a checkout run `pip install -e .` (or `bash tools/install.sh`), which compiles it "
        "(needs gcc and the Python headers); or install the package and run from outside the "
        "source tree, which would otherwise shadow it") from _exc
from .errors import DecodeError

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

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
