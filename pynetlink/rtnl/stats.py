"""Link statistics: IFLA_STATS64 (struct rtnl_link_stats64) as a typed value."""
from __future__ import annotations

import struct
from .._record import asdict, record, fields

from ..errors import DecodeError

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any


@record(frozen=True)
class LinkStats:
    """Counters of a link since it was created (``ip -s link``); newer fields a kernel does not
    send read 0."""

    rx_packets: int = 0
    tx_packets: int = 0
    rx_bytes: int = 0
    tx_bytes: int = 0
    rx_errors: int = 0
    tx_errors: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0
    multicast: int = 0
    collisions: int = 0
    rx_length_errors: int = 0
    rx_over_errors: int = 0
    rx_crc_errors: int = 0
    rx_frame_errors: int = 0
    rx_fifo_errors: int = 0
    rx_missed_errors: int = 0
    tx_aborted_errors: int = 0
    tx_carrier_errors: int = 0
    tx_fifo_errors: int = 0
    tx_heartbeat_errors: int = 0
    tx_window_errors: int = 0
    rx_compressed: int = 0
    tx_compressed: int = 0
    rx_nohandler: int = 0
    rx_otherhost_dropped: int = 0

    @classmethod
    def from_bytes(cls, raw: bytes, offset: int = 0) -> "LinkStats":
        """Decode a struct rtnl_link_stats64 (whole u64 counters; a kernel may send fewer or
        more than we name)."""
        if len(raw) % 8 or len(raw) < 8 * 23:
            raise DecodeError(f"IFLA_STATS64 of {len(raw)} bytes (expected 8-byte counters, "
                              "at least 23)", offset)
        n = min(len(raw) // 8, len(_NAMES))
        return cls(*struct.unpack_from(f"={n}Q", raw))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_NAMES = tuple(f.name for f in fields(LinkStats))

__all__ = ["LinkStats"]
