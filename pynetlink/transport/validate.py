"""Checks of values every protocol shares, run before anything is sent.

Interface names follow the kernel's ``dev_valid_name()``; namespace files must be network
namespaces (``ioctl(NS_GET_NSTYPE)``); timeouts are finite positive seconds. Each check
raises ``InvalidArgument`` naming the field; the rtnl and nft layers build on these.
"""
from __future__ import annotations

import errno
import fcntl
import os

from .._bounded import Bounded
from ..errors import InvalidArgument

IFNAMSIZ = 16
# the kernel's isspace() (lib/ctype.c) also counts byte 0xa0; '/' and ':' are refused too
_BAD_IFNAME_BYTES = frozenset(b"\0/: \t\n\v\f\r\xa0")
NS_GET_NSTYPE = 0xB703                    # _IO(0xb7, 0x3)
CLONE_NEWNET = 0x40000000
MAX_TIMEOUT = 0x7FFFFFFF / 1000          # the C transfer waits in int32 milliseconds


def ifname(value: object, field: str = "name") -> str:
    """A name the kernel takes as given (``dev_valid_name``): 1-15 bytes of UTF-8, not '.'
    or '..', without NUL, '/', ':' or whitespace. Whitespace is what ``str.isspace()`` or the
    kernel's isspace() counts: stricter than the kernel, which takes the separators
    0x1c-0x1f and Unicode spaces (U+2003...) in a name."""
    # the common case first (W1 checks ~9 names per container, most of them "lo", "eth0"):
    # a name seen valid before is one set lookup; else printable ASCII excludes NUL and
    # every other whitespace byte, so only ' ', '/', ':', '.' and '..' are left to refuse
    if type(value) is str:
        if value in _VALID:
            return value
        if (0 < len(value) < IFNAMSIZ and value.isascii() and value.isprintable() and " " not in value
                and "/" not in value and ":" not in value and value != "." and value != ".."):
            _VALID.put(value, None)
            return value
    return ifname_checked(value, field)


# names found valid (only exact str instances are looked up)
_VALID_MAX = 4096
_VALID: Bounded[str, None] = Bounded(_VALID_MAX)


def ifname_checked(value: object, field: str = "name") -> str:
    """``ifname`` without its fast path (every rule checked one by one; the error names it)."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field}: interface name must be a string, not {value!r}")
    try:
        raw = value.encode()
    except UnicodeEncodeError:
        raise InvalidArgument(f"{field}: interface name {value!r} is not valid UTF-8") from None
    if not raw or len(raw) >= IFNAMSIZ:
        raise InvalidArgument(f"{field}: interface name {value!r} must be 1-{IFNAMSIZ - 1} bytes")
    if "\0" in value:
        raise InvalidArgument(f"{field}: interface name {value!r} contains a NUL byte "
                              "(the kernel would cut the name there)")
    if value in (".", "..") or _BAD_IFNAME_BYTES.intersection(raw) or any(c.isspace() for c in value):
        raise InvalidArgument(f"{field}: invalid interface name {value!r} (no '/', ':', spaces, "
                              "not '.' or '..')")
    return value


def netns_path(value: object, field: str = "netns") -> str:
    """An absolute, normalised path (no '..', '.', '//', NUL) of a namespace file."""
    path = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(path, str) or not path:
        raise InvalidArgument(f"{field}: expected a namespace path, not {value!r}")
    if "\0" in path or not path.startswith("/") or os.path.normpath(path) != path or path.startswith("//"):
        raise InvalidArgument(f"{field}: namespace path {path!r} must be absolute and normalised "
                              "(no '..', '.', '//' or NUL)")
    return path


def netns_fd(fd: int, path: str, field: str = "netns") -> int:
    """``fd`` if it refers to a network namespace, else InvalidArgument naming ``path``."""
    try:
        kind = fcntl.ioctl(fd, NS_GET_NSTYPE)
    except OSError as exc:
        if exc.errno not in (errno.ENOTTY, errno.EINVAL):
            raise
        kind = -1
    if kind != CLONE_NEWNET:
        raise InvalidArgument(f"{field}: {path} is not a network namespace")
    return fd


def check_netns_file(path: str, field: str = "netns") -> None:
    """Open ``path`` and make sure it is a network namespace (FileNotFoundError if absent)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"{field}: no such network namespace", path) from None
    try:
        netns_fd(fd, path, field)
    finally:
        os.close(fd)


def timeout(value: object, field: str = "timeout") -> float:
    """Seconds to wait for a reply: a finite number > 0 (at most about 24 days)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{field}: expected seconds as a number, not {value!r}")
    if not 0 < value <= MAX_TIMEOUT:                 # False for NaN too
        raise InvalidArgument(f"{field}: {value!r} is not a number of seconds above 0 and at most "
                              f"{MAX_TIMEOUT:.0f}")
    return float(value)


def sysctl_value(value: object, key: str) -> str:
    """What to write to a sysctl: an integer, or one line of text (no NUL, no newline)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value or any(c in value for c in "\0\n\r"):
        raise InvalidArgument(f"sysctl {key}: expected an integer or one line of text, not {value!r}")
    return value
