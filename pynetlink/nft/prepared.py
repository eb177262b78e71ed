"""DockerNat's first transaction as a prepared one: on a host without its table, ``setup``
sends the structure (table, maps, chains, map rules), the masquerade rules and the port
publications in one transaction whose fixed members are encoded once per process (one raw
item) and whose map elements are filled in C from the caller's tuples (``_ports.fill``: the
checks, the duplicate check and the rows in one pass); one encode, one send, one ack.

The same bytes as ``DockerNatBase._fresh_flow`` (tests/nft/test_floor_bytes.py compares the
transaction with the C floor's; tests/nft/test_prepared.py with the general path's). Anything
it does not take (another family, ``Publish`` objects, IPv6 or odd tuples, masquerade
arguments that are not plain strings) returns None before anything is sent: the general path
then does the work, and its checks and errors are the reference. A refused transaction
(nothing changed: all or nothing) also returns None, after noting an existing table so the
general path does not send the exclusive transaction again.
"""
from __future__ import annotations

import errno
import struct

from ..codec.program import Compiled, Raw, encode, quiet
from ..errors import InvalidArgument
from . import messages as msg
from ._ports import fill

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence
    from .nat import DockerNat

_KEY, _VALUE = 8, 8                 # DockerNat's map: inet_proto . inet_service : ipv4_addr . inet_service
_FIELD = struct.Struct("=cH")


class Prepared:
    """The fixed members of one DockerNat's first transaction (structure and masquerade rules,
    encoded once, without acks) and how its map elements are laid out."""

    __slots__ = ("begin", "end", "head", "programs", "row", "fields", "step", "list_head", "list_prog")

    def __init__(self, nat: DockerNat, masquerade: Sequence[tuple[str, str]]) -> None:
        from .nat import POSTROUTING
        from .ruleset import Transaction
        rules = list({r.comment: r for r in (nat.masquerade_rule(s, b) for s, b in masquerade)}.values())
        tx = nat._structure(Transaction(nat.nft), exist_ok=False)
        for r in rules:
            tx.add_rule(nat.table, POSTROUTING.name, r, family=nat.family)
        enc = encode([(quiet(p), v) for p, v in tx.items], 0)
        self.head, self.programs = _padded(enc.tobytes()), list(enc.programs)
        self.begin, self.end = msg.batch_begin(None), msg.batch_end()
        head, data_head = msg.element_heads(_KEY, _VALUE)
        at = len(head) + _KEY + len(data_head)
        self.row = head + bytes(_KEY) + data_head + bytes(_VALUE)
        self.fields = b"".join(_FIELD.pack(c, o) for c, o in ((b"p", len(head)), (b"h", len(head) + 4),
                                                                (b"a", at), (b"t", at + 4)))
        self.step = msg.elements_per_list(head, data_head, _KEY, _VALUE)
        # an element list message (acked) up to its list: the message of one element, cut
        (self.list_prog, values), = msg.element_lists("add", nat.family, nat.table, nat.maps(4)[0].name,
                                                      [self.row], exist_ok=False)
        one = encode([(self.list_prog, values)], 0).tobytes()
        self.list_head = one[:len(one) - len(self.row)]
        assert one.endswith(self.row) and _HDR.unpack_from(one)[0] == len(one) and \
            _ATTR.unpack_from(self.list_head, len(self.list_head) - 4)[0] == 4 + len(self.row), \
            "unexpected element list layout"

    def items(self, rows: bytes, n: int) -> list[tuple[Compiled, Any]]:
        """The transaction of ``n`` elements packed in ``rows``: its members one raw item,
        acked by the last element list only."""
        size, step, head = len(self.row), self.step, self.list_head
        parts = [self.head]
        for i in range(0, n, step):
            blob = rows[i * size:(i + step) * size]
            h = bytearray(head)
            _LEN.pack_into(h, 0, len(head) + len(blob))
            _ATTR_LEN.pack_into(h, len(head) - 4, 4 + len(blob))
            if i + step < n:                # (all but the last: no ack)
                h[6] &= ~_ACK & 0xFF
            parts += (bytes(h), blob)
        lists = -(-n // step)
        return [self.begin, (self.list_prog, Raw(b"".join(parts), len(self.programs) + lists,
                                                 self.programs + [self.list_prog] * lists)), self.end]


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


_HDR = struct.Struct("=IHHII")
_LEN = struct.Struct("=I")
_ATTR = struct.Struct("=HH")
_ATTR_LEN = struct.Struct("=H")
_ACK = 4                            # NLM_F_ACK (the low byte of nlmsg_flags)


_PREPARED: dict[tuple[Any, ...], Prepared] = {}


def setup(nat: DockerNat, masquerade: Any, publish: Any) -> Optional[bool]:
    """``nat.setup(masquerade, publish)`` for a fresh DockerNat as one prepared transaction:
    True once committed; None when not taken or refused (nothing changed), for the general
    path. Raises for publications given twice (as the general path does)."""
    if nat.family != "ip" or type(masquerade) not in (list, tuple):
        return None
    try:
        key = (nat.table, type(nat), *masquerade)
        prep = _PREPARED.get(key)
    except TypeError:                   # (not hashable: not plain (subnet, bridge) strings)
        return None
    if prep is None:
        if not all(type(m) is tuple and len(m) == 2 and type(m[0]) is str and type(m[1]) is str
                   for m in masquerade):
            return None
        try:
            prep = Prepared(nat, masquerade)
        except InvalidArgument:         # (the general path says what is wrong)
            return None
        if len(_PREPARED) >= 64:
            _PREPARED.clear()
        _PREPARED[key] = prep
    got = fill(publish, prep.row, prep.fields, False)
    if got is None:
        return None
    if not got[1]:
        raise InvalidArgument("publish: the same host port is given twice")
    reply = nat.nft.sock.transact(prep.items(got[0], len(publish)), atomic=True)
    if reply.odd:
        if any((e := reply.results[i].error) is not None and e.errno == errno.EEXIST for i in reply.odd):
            nat._exclusive_refused = True
        return None
    return True


__all__ = ["Prepared", "setup"]
