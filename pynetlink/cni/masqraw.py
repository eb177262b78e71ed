"""The bridge plugin's masquerade elements as raw nftables transactions, without the library.

``masq`` gives each container two elements in the ``inet pynetlink_cni`` table: its address in
``masq4``/``masq6`` and (address . subnet) in the interval set ``skip4``/``skip6``. ADD adds
them and DEL removes them, each in one transaction (NEWSETELEM/DELSETELEM per set) packed here
with ``struct`` on a raw ``_socket``: neither command then imports nftables' layers (~3 ms of
a plugin process), and ADD needs no read first (a missing table is made from its prebuilt
transaction, ``_masqtable``, then the elements are sent again). The DEL runs on bridgedel's
helper thread before the veth's deletion (``NatDelete``), and closes the socket only after it:
a socket that deleted elements waits, as it closes, for their deferred release (an RCU grace
period, ~10 ms), which then passes while the veth's deletion waits for its own.

All or nothing: a transaction commits only if every member succeeds. Anything else (for DEL an
element, set or table missing; any other error; a reply not understood) is reported as not
done, and the plugin does it through the library (``masq.add``/``masq.remove``, which go on
past what is missing and raise real errors with their operation and extended ack). The bytes
are the library's own encoding (tests/cni/test_masqraw.py compares them); the numbers come
from ``_uapi`` (generated from the UAPI headers, tools/gen_cni_uapi.py).
"""
from __future__ import annotations

import _socket
import _thread
import errno
import struct

from .rawnl import HDR, attr, error_of, header, recv_kernel
from ._uapi import (NETLINK_NETFILTER, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES,
                    NFPROTO_INET, NFT_MSG_DELSETELEM, NFT_MSG_GETSET, NFT_MSG_NEWSETELEM, NFTA_DATA_VALUE,
                    NFTA_LIST_ELEM, NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_KEY_END, NFTA_SET_ELEM_LIST_ELEMENTS,
                    NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_NAME, NFTA_SET_TABLE, NLA_F_NESTED,
                    NLM_F_ACK, NLM_F_CREATE, NLM_F_REQUEST, NLMSG_ERROR)

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Sequence

TABLE, FAMILY = "pynetlink_cni", "inet"
# version -> (the address set, the (address . subnet) interval set)
SET_NAMES = {4: ("masq4", "skip4"), 6: ("masq6", "skip6")}

BATCH_SEQ = 1                           # the sequence number of every transaction's start
_NFGEN = struct.Struct("!BBH")          # nfgenmsg: family, version, res_id (big endian)


def _nest(kind: int, *parts: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(parts))


def _message(kind: int, flags: int, seq: int, family: int, res_id: int, attrs: bytes) -> bytes:
    body = _NFGEN.pack(family, 0, res_id) + attrs
    return HDR.pack(HDR.size + len(body), kind, flags, seq, 0) + body


def _member(kind: int, seq: int, flags: int, set_name: str, key: bytes, key_end: bytes | None) -> bytes:
    elem = _nest(NFTA_SET_ELEM_KEY, attr(NFTA_DATA_VALUE, key))
    if key_end is not None:
        elem += _nest(NFTA_SET_ELEM_KEY_END, attr(NFTA_DATA_VALUE, key_end))
    attrs = (attr(NFTA_SET_ELEM_LIST_TABLE, TABLE.encode() + b"\0")
             + attr(NFTA_SET_ELEM_LIST_SET, set_name.encode() + b"\0")
             + _nest(NFTA_SET_ELEM_LIST_ELEMENTS, _nest(NFTA_LIST_ELEM, elem)))
    return _message(NFNL_SUBSYS_NFTABLES << 8 | kind, flags, seq, NFPROTO_INET, 0, attrs)


def batch(interfaces: Sequence[Any], add: bool = False) -> tuple[bytes, int]:
    """The transaction deleting (``add``: adding) ``masq.add``'s elements of ``interfaces``
    (``ip_interface`` objects: address/prefix of its subnet), its messages numbered from
    ``BATCH_SEQ``; returns it and the sequence number of its last member (the one acked)."""
    members = []
    for i in interfaces:
        ip, net = i.ip.packed, i.network
        addr_set, skip_set = SET_NAMES[i.version]
        members.append((addr_set, ip, None))
        members.append((skip_set, ip + net.network_address.packed, ip + net.broadcast_address.packed))
    kind, flags = (NFT_MSG_NEWSETELEM, NLM_F_REQUEST | NLM_F_CREATE) if add else (NFT_MSG_DELSETELEM, NLM_F_REQUEST)
    out = [_message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, BATCH_SEQ, 0, NFNL_SUBSYS_NFTABLES, b"")]
    for k, (name, key, end) in enumerate(members):
        last = k == len(members) - 1
        out.append(_member(kind, BATCH_SEQ + 1 + k, flags | (NLM_F_ACK if last else 0), name, key, end))
    out.append(_message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, BATCH_SEQ + 1 + len(members), 0, NFNL_SUBSYS_NFTABLES, b""))
    return b"".join(out), BATCH_SEQ + len(members)


def outcome(data: bytes, last: int) -> int | None:
    """Read the replies in ``data`` to a transaction whose members are numbered up to ``last``
    (or to one acked request numbered ``last``): None until member ``last`` (acked, so always
    answered) or the batch as a whole (its start, numbered below the first member: an error
    there ends it) has answered; then 0 if no error came, else the first error's errno. The
    objects a GET returns are passed over; a malformed reply raises ValueError."""
    at, first = 0, 0
    while at < len(data):
        length, kind, seq = header(data, at)
        at_next = at + ((length + 3) & ~3)
        if kind >> 8 == NFNL_SUBSYS_NFTABLES:        # an object a GET asked for: not an answer
            at = at_next
            continue
        if kind != NLMSG_ERROR:
            raise ValueError("unexpected netlink reply")
        err = error_of(data, at, length)
        first = first or err
        if seq == last or (err and seq < last and seq == BATCH_SEQ):
            return first
        at = at_next
    return None


def add(interfaces: Sequence[Any]) -> bool:
    """``masq.add`` for ``interfaces`` in this namespace (the table made first if missing, as
    ``masq._ensure`` does: asked for first, since a transaction the kernel refuses costs an RCU
    grace period); False where the plugin must do it through the library (nothing, or only
    the table, done)."""
    sock = nft_socket()
    try:
        if transact(sock, _get_set(SET_NAMES[6][1]), BATCH_SEQ) == errno.ENOENT:
            from ._masqtable import BATCH, LAST
            if transact(sock, BATCH, LAST) != 0:
                return False
        return transact(sock, *batch(interfaces, add=True)) == 0
    except (OSError, ValueError):
        return False
    finally:
        sock.close()


def _get_set(name: str) -> bytes:
    """GETSET of the table's set ``name``, acked (the reply: the set and the ack, or ENOENT)."""
    attrs = attr(NFTA_SET_TABLE, TABLE.encode() + b"\0") + attr(NFTA_SET_NAME, name.encode() + b"\0")
    return _message(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSET, NLM_F_REQUEST | NLM_F_ACK, BATCH_SEQ, NFPROTO_INET, 0,
                    attrs)


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
        return transact(sock, *batch(self.interfaces)) == 0


def nft_socket() -> Any:
    """A netfilter socket of this namespace; its replies awaited 10 s at most (then OSError)."""
    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, NETLINK_NETFILTER)
    sock.settimeout(10)
    return sock


def transact(sock: Any, data: bytes, last: int) -> int:
    """Send the transaction ``data`` (its members acked: only ``last``) on the nftables socket
    ``sock``; 0 if every member succeeded, else the first error's errno (``outcome``)."""
    sock.send(data)
    buffered = b""
    while True:
        buffered += recv_kernel(sock)
        got = outcome(buffered, last)
        if got is not None:
            return got
