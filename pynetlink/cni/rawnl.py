"""Netlink framing packed with ``struct``, for the CNI plugins' early raw paths (``bridgedel``,
``masqraw``): the few fixed messages they send without importing the codec's layers."""
from __future__ import annotations

import struct

HDR = struct.Struct("=IHHII")           # nlmsghdr
ATTR = struct.Struct("=HH")             # nlattr / rtattr


def attr(kind: int, payload: bytes) -> bytes:
    """One attribute: its header, ``payload`` and the padding to 4 bytes."""
    return ATTR.pack(4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)
