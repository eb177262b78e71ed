"""Netlink framing packed with ``struct``, for the CNI plugins' early raw paths (``bridgedel``,
``masqraw``): the few fixed messages they send and the replies they read, without importing
the codec's layers."""
from __future__ import annotations

import struct

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

HDR = struct.Struct("=IHHII")           # nlmsghdr
ATTR = struct.Struct("=HH")             # nlattr / rtattr
_ERRNO = struct.Struct("=i")            # nlmsgerr.error


def attr(kind: int, payload: bytes) -> bytes:
    """One attribute: its header, ``payload`` and the padding to 4 bytes."""
    return ATTR.pack(4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def header(data: bytes, at: int) -> tuple[int, int, int]:
    """(length, type, sequence) of the message at ``at`` of ``data``; ValueError unless its
    header and its whole length lie in ``data``."""
    if at + HDR.size > len(data):
        raise ValueError("short netlink reply")
    length, kind, _, seq, _ = HDR.unpack_from(data, at)
    if length < HDR.size or at + length > len(data):
        raise ValueError("malformed netlink reply")
    return length, kind, seq


def error_of(data: bytes, at: int, length: int) -> int:
    """The errno of the NLMSG_ERROR message at ``at`` (``length`` bytes, from ``header``):
    0 for an ack; ValueError if it is too short to carry one."""
    if length < HDR.size + _ERRNO.size:
        raise ValueError("short netlink error")
    code: int = _ERRNO.unpack_from(data, at + HDR.size)[0]
    return -code


def recv_kernel(sock: Any, size: int = 65536) -> bytes:
    """The next datagram the kernel (port 0) sent to ``sock``; any other sender's is dropped."""
    while True:
        data: bytes
        data, (port, _groups) = sock.recvfrom(size)
        if port == 0:
            return data
