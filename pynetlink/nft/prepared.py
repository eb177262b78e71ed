"""DockerNat's first transaction as a prepared one: on a host without its table, ``setup``
sends the structure (table, maps, chains, map rules), the masquerade rules and the port
publications in one transaction whose fixed members are encoded once per process and whose
map elements are filled in C from the caller's tuples: ``_ports.fill`` (the checks, the
duplicate check, the element lists and the framing in one pass: the transaction's bytes, as
add_dnat_rules writes its rules) and
``_ports.exchange`` (numbered, sent in one sendto, its one ack and any error collected with
the codec's transfer, ``pnl_xfer``), two C calls.

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

from .._bounded import Bounded
from ..codec.program import encode, quiet
from ..errors import InvalidArgument
from . import messages as msg
from ._ports import exchange, fill

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence
    from .nat import DockerNat

_KEY, _VALUE = 8, 8                 # DockerNat's map: inet_proto . inet_service : ipv4_addr . inet_service
_FIELD = struct.Struct("=cH")


class Prepared:
    """The fixed members of one DockerNat's first transaction (BATCH_BEGIN, structure and
    masquerade rules: encoded once, without acks; BATCH_END) and how its map elements are
    laid out (``_ports.fill``'s arguments but the tuples: element rows, acks on the last
    list, framed by the fixed members)."""

    __slots__ = ("parts",)

    def __init__(self, nat: DockerNat, masquerade: Sequence[tuple[str, str]]) -> None:
        from .nat import POSTROUTING
        from .ruleset import Transaction
        rules = list({r.comment: r for r in (nat.masquerade_rule(s, b) for s, b in masquerade)}.values())
        tx = nat._structure(Transaction(nat.nft), exist_ok=False)
        for r in rules:
            tx.add_rule(nat.table, POSTROUTING.name, r, family=nat.family)
        head = encode([msg.batch_begin(None)] + [(quiet(p), v) for p, v in tx.items], 0).tobytes()
        end = encode([msg.batch_end()], 0).tobytes()
        elem_head, data_head = msg.element_heads(_KEY, _VALUE)
        at = len(elem_head) + _KEY + len(data_head)
        row = elem_head + bytes(_KEY) + data_head + bytes(_VALUE)
        fields = b"".join(_FIELD.pack(c, o) for c, o in ((b"p", len(elem_head)), (b"h", len(elem_head) + 4),
                                                           (b"a", at), (b"t", at + 4)))
        step = msg.elements_per_list(elem_head, data_head, _KEY, _VALUE)
        # an element list message (acked) up to its list: the message of one element, cut
        (list_prog, values), = msg.element_lists("add", nat.family, nat.table, nat.maps(4)[0].name,
                                                 [row], exist_ok=False)
        one = encode([(list_prog, values)], 0).tobytes()
        list_head = one[:len(one) - len(row)]
        assert one.endswith(row) and _HDR.unpack_from(one)[0] == len(one) and \
            _ATTR.unpack_from(list_head, len(list_head) - 4)[0] == 4 + len(row) and \
            len(head) % 4 == 0 and len(end) % 4 == 0, "unexpected element list layout"
        self.parts = (row, fields, True, _padded(head), _padded(end), list_head, step)


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


_HDR = struct.Struct("=IHHII")
_ATTR = struct.Struct("=HH")


_PREPARED: Bounded[tuple[Any, ...], Prepared] = Bounded(64)


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
        _PREPARED.put(key, prep)
    got = fill(publish, *prep.parts)
    if got is None:
        return None
    data, unique = got
    if not unique:
        raise InvalidArgument("publish: the same host port is given twice")
    errors = nat.nft.sock.exchange(data, exchange)
    if errors:
        if errno.EEXIST in errors:
            nat._exclusive_refused = True
        return None
    return True


__all__ = ["Prepared", "setup"]
