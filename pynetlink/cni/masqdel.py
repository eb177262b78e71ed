"""The bridge DEL's masquerade elements, removed before the library loads (``bridgedel``).

``masq`` gives each container two elements in the ``inet pynetlink_cni`` table: its address in
``masq4``/``masq6`` and (address . subnet) in the interval set ``skip4``/``skip6``. DEL removes
them in one nftables transaction (NFT_MSG_DELSETELEM per set). Packed here with ``struct`` on a
raw ``_socket``, on bridgedel's helper thread before the veth's deletion, this saves a DEL
importing nftables' layers (~3 ms of a plugin process) and takes the kernel's wait off the end
of the command: a socket that deleted elements waits, as it closes, for their deferred release
(an RCU grace period, ~10 ms), which now passes while the veth's deletion waits for its own.

All or nothing: the transaction commits only if every element was there. Anything else (an
element, set or table missing, another error, a reply not understood) leaves ``wait`` False,
and the plugin removes the elements through the library (``masq.remove``, which goes on past
what is missing and raises real errors with their operation and extended ack).

The numbers are the kernel's UAPI values (tests/cni/test_masqdel.py checks them against the
codec's).
"""
from __future__ import annotations

import _socket
import _thread
import struct

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Sequence

TABLE, FAMILY = "pynetlink_cni", "inet"
# version -> (the address set, the (address . subnet) interval set)
SET_NAMES = {4: ("masq4", "skip4"), 6: ("masq6", "skip6")}

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 16, 17
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_DELSETELEM = 14
NFPROTO_INET = 1
NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_ELEMENTS = 1, 2, 3
NFTA_LIST_ELEM = 1
NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_KEY_END = 1, 10
NFTA_DATA_VALUE = 1

_HDR = struct.Struct("=IHHII")          # nlmsghdr
_NFGEN = struct.Struct("!BBH")          # nfgenmsg: family, version, res_id (big endian)
_ATTR = struct.Struct("=HH")            # nlattr


def _attr(kind: int, payload: bytes) -> bytes:
    return _ATTR.pack(4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def _nest(kind: int, *parts: bytes) -> bytes:
    return _attr(kind | NLA_F_NESTED, b"".join(parts))


def _message(kind: int, flags: int, seq: int, family: int, res_id: int, attrs: bytes) -> bytes:
    body = _NFGEN.pack(family, 0, res_id) + attrs
    return _HDR.pack(_HDR.size + len(body), kind, flags, seq, 0) + body


def _delete(seq: int, flags: int, set_name: str, key: bytes, key_end: bytes | None) -> bytes:
    elem = _nest(NFTA_SET_ELEM_KEY, _attr(NFTA_DATA_VALUE, key))
    if key_end is not None:
        elem += _nest(NFTA_SET_ELEM_KEY_END, _attr(NFTA_DATA_VALUE, key_end))
    attrs = (_attr(NFTA_SET_ELEM_LIST_TABLE, TABLE.encode() + b"\0")
             + _attr(NFTA_SET_ELEM_LIST_SET, set_name.encode() + b"\0")
             + _nest(NFTA_SET_ELEM_LIST_ELEMENTS, _nest(NFTA_LIST_ELEM, elem)))
    return _message(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM, flags, seq, NFPROTO_INET, 0, attrs)


def batch(interfaces: Sequence[Any], seq: int) -> tuple[bytes, int]:
    """The transaction deleting ``masq.add``'s elements of ``interfaces`` (``ip_interface``
    objects: address/prefix of its subnet), its messages numbered from ``seq``; returns it
    and the sequence number of its last member (the one acked)."""
    members = []
    for i in interfaces:
        ip, net = i.ip.packed, i.network
        addr_set, skip_set = SET_NAMES[i.version]
        members.append((addr_set, ip, None))
        members.append((skip_set, ip + net.network_address.packed, ip + net.broadcast_address.packed))
    out = [_message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, 0, NFNL_SUBSYS_NFTABLES, b"")]
    for k, (name, key, end) in enumerate(members):
        last = k == len(members) - 1
        out.append(_delete(seq + 1 + k, NLM_F_REQUEST | (NLM_F_ACK if last else 0), name, key, end))
    out.append(_message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq + 1 + len(members), 0, NFNL_SUBSYS_NFTABLES, b""))
    return b"".join(out), seq + len(members)


def outcome(data: bytes, last: int) -> bool | None:
    """Read the replies in ``data``: True once the ack of member ``last`` came with no error
    before it, False on any error, None if ``last`` has not answered yet; a malformed
    reply raises ValueError."""
    at = 0
    while at + _HDR.size <= len(data):
        length, kind, _, seq, _ = _HDR.unpack_from(data, at)
        if length < _HDR.size or at + length > len(data):
            raise ValueError("malformed netlink reply")
        if kind != NLMSG_ERROR or length < _HDR.size + 4:
            raise ValueError("unexpected netlink reply")
        if struct.unpack_from("=i", data, at + _HDR.size)[0] != 0:
            return False
        if seq == last:
            return True
        at += (length + 3) & ~3
    if at != len(data):
        raise ValueError("malformed netlink reply")
    return None


class NatDelete:
    """The masquerade elements' deletion: ``run`` then, after the veth's deletion, ``close``
    on bridgedel's thread; ``wait`` by the plugin."""

    def __init__(self, interfaces: Sequence[Any]) -> None:
        self.interfaces = interfaces
        self.done = False
        self._sock: Any = None
        self._lock = _thread.allocate_lock()
        self._lock.acquire()

    def run(self) -> None:
        """Delete the elements (never raises: ``done`` stays False on any failure). The
        socket stays open: its close waits for the elements' release (see above)."""
        try:
            self._sock = nft_socket()
            self.done = self._run(self._sock)
        except Exception:   # noqa: BLE001 - done False: the plugin removes them through the library
            pass
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the socket (never raises)."""
        try:
            if self._sock is not None:
                self._sock.close()
        except OSError:
            pass

    def wait(self) -> bool:
        """Whether every element was deleted (False: the plugin removes them itself)."""
        try:
            self._lock.acquire()
        except BaseException:
            self._lock.acquire()
            raise
        self._lock.release()
        return self.done

    def _run(self, sock: Any) -> bool:
        return transact(sock, *batch(self.interfaces, 1))


def nft_socket() -> Any:
    return _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, NETLINK_NETFILTER)


def transact(sock: Any, data: bytes, last: int) -> bool:
    """Send the transaction ``data`` (its members acked: only ``last``) on the nftables socket
    ``sock``; whether every member succeeded (``outcome``)."""
    sock.send(data)
    buffered = b""
    while True:
        buffered += sock.recv(65536)
        got = outcome(buffered, last)
        if got is not None:
            return got
