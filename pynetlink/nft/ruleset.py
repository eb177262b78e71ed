"""nf_tables in one namespace: read the ruleset, change it in atomic transactions.

Every change is one ``BATCH_BEGIN … BATCH_END`` transaction sent in one sendmsg: the
kernel applies all of it or none. A failing member raises its own error (labelled with
the operation and the rule's text, carrying the kernel's extack); nothing is left changed.
Read-modify-write helpers pin the ruleset generation so a concurrent change makes the
commit fail with ``GenerationChanged`` instead of acting on stale handles.
"""
from __future__ import annotations

import errno
from .._bounded import Bounded
from .._record import record, replace

from .._native import lib
from ..codec.program import Many, Packed, Raw, encode, quiet
from ..codec.rows import Rows, reading
from ..codec.specs.nft import (CHAIN, DATA, GEN, HOOK, NETLINK_NETFILTER, NFT, RULE, SET, SETELEM, SETELEM_LIST,
                               TABLE, VERDICT, msg_type)
from ..errors import DumpInterrupted, InvalidArgument, NetlinkError
from ..transport import NetlinkSocket, NetNS
from ..transport import flow
from ..transport.flow import Flow, drive, operation
from ..transport.lifecycle import Closing
from ..transport.socket import DUMP_RETRIES
from . import messages as msg
from . import validate
from .sets import (FLAGS, MAP_FLAG, VERDICT_TYPE, Element, Map, NamedSet, Set, decode_elements, map_elements,
                   set_elements, type_names)
from .validate import FAMILIES, FAMILY_NAMES

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:      # rule (match, stmt, ops) loads where rules are built or listed: sets stay light
    from typing import Any, Callable, Iterable, Iterator, Literal, Optional, Sequence, TypeVar, Union
    from .rule import Chain, Rule, Table
else:
    from .._lighttyping import Callable, TypeVar, Union

RETRIES = 5
FRAME_MAX = 64          # items before bulk rules that add_dnat_rules still writes into the whole transaction
T = TypeVar("T")
_END: list[bytes] = []


def _batch_end() -> bytes:
    """BATCH_END as bytes (made once)."""
    if not _END:
        _END.append(encode([msg.batch_end()], 0).tobytes())
    return _END[0]


_HEADS: Bounded[tuple[Any, ...], tuple[list[Any], bytes]] = Bounded(64)


def _head(items: Sequence[msg.Item]) -> bytes:
    """BATCH_BEGIN and ``items`` without acks as bytes (padded to 4; sequence numbers 0),
    kept for items of the same programs and values (at most 64 kept: a process sets up
    the same table again and again, e.g. one per restart of a service)."""
    try:        # (a program by identity, checked below; its values by equality: they make the bytes)
        key: Optional[tuple[Any, ...]] = tuple((id(p), v.record if isinstance(v, Packed) else tuple(v))
                                               for p, v in items)
        got = _HEADS.get(key)  # type: ignore[arg-type]
    except TypeError:           # (values that do not hash: not kept)
        key, got = None, None
    if got is not None and len(got[0]) == len(items) and all(a is p for a, (p, _) in zip(got[0], items)):
        return got[1]
    head = encode([msg.batch_begin(None), *[(quiet(p), v) for p, v in items]], 0).tobytes()
    head += bytes(-len(head) % 4)
    if key is not None:
        _HEADS.put(key, ([p for p, _ in items], head))
    return head


def _handle(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgument(f"invalid rule handle {value!r}")
    return value


class Each:
    """A label per message of a bulk item (a codec ``Many``): ``fn(k)`` for its ``k``-th
    message (made only for a member that failed)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[int], tuple[str, str]]) -> None:
        self.fn = fn

    def __call__(self, k: int) -> tuple[str, str]:
        return self.fn(k)


def members(values: object) -> int:
    """How many messages an item's values stand for (a ``Many`` or ``Raw``: its count)."""
    return values.count if isinstance(values, (Many, Raw)) else 1


LazyLabel = Union[tuple[str, str], Callable[[], tuple[str, str]], Each]


class GenerationChanged(NetlinkError):
    """The ruleset changed between our read and our commit (the kernel said ERESTART)."""


@record(frozen=True)
class Ruleset:
    """Tables (with chains and rules) as listed at ruleset generation ``generation``."""

    tables: tuple[Table, ...]
    generation: int

    def table(self, family: str, name: str) -> Table:
        for t in self.tables:
            if t.family == family and t.name == name:
                return t
        raise KeyError(f"{family} {name}")

    def __contains__(self, key: tuple[str, str]) -> bool:
        return any((t.family, t.name) == key for t in self.tables)


class Transaction:
    """Changes that commit together or not at all: ``with nft.transaction() as tx: tx.add(...)``."""

    def __init__(self, nft: "NftablesBase", genid: Optional[int] = None) -> None:
        self.nft = nft
        self.genid = genid
        self.items: list[msg.Item] = []
        self.labels: list[LazyLabel] = []
        # the whole transaction as one bytearray, when add_dnat_rules could write it so (a
        # blocking Nftables, no generation pinned), and how many items it holds: sent as it
        # is by commit while no item was added since (``_send_whole``)
        self._whole: Optional[tuple[bytearray, int]] = None

    def _push(self, item: msg.Item, operation: str, target: str) -> "Transaction":
        self.items.append(item)
        self.labels.append((operation, target))
        return self

    def add_table(self, table: Table, *, exist_ok: bool = True) -> "Transaction":
        """The table, its sets (with elements) and chains, then the rules (which may use any of them).

        An ``owner`` table belongs to this Nftables' socket: the kernel deletes it when the
        socket closes, and no other socket may change it.
        """
        from .rule import Table
        if not isinstance(table, Table):
            raise InvalidArgument(f"add_table: expected a Table, not {table!r}")
        self._push(msg.add_table(table.family, table.name, exist_ok=exist_ok, flags=table.flags),
                   "add table", str(table))
        for s in table.sets:
            self.add_set(table.name, s, family=table.family, exist_ok=exist_ok, elements=False)
        for chain in table.chains:          # (the table checked its names: no add_chain checks again)
            self._push(msg.add_chain(table.family, table.name, chain, exist_ok=exist_ok), "add chain",
                       f"{table.family} {table.name}/{chain.name}")
        for s in table.sets:              # after the chains (verdict maps may jump to them)
            if s.elements:
                self.add_elements(table.name, s, family=table.family)
        for chain in table.chains:
            for rule in chain.rules:
                self.add_rule(table.name, chain.name, rule, family=table.family)
        return self

    def add_chain(self, table: str, chain: Chain, *, family: str = "ip", exist_ok: bool = True) -> "Transaction":
        """The chain, then its rules."""
        validate.family(family)
        validate.name(table, "table name")
        self._push(msg.add_chain(family, table, chain, exist_ok=exist_ok), "add chain",
                   f"{family} {table}/{chain.name}")
        for rule in chain.rules:
            self.add_rule(table, chain.name, rule, family=family)
        return self

    def add_rule(self, table: str, chain: str, rule: Rule, *, family: str = "ip",
                 after: Optional[int] = None) -> "Transaction":
        """Append ``rule`` to the chain (or put it right after the rule with handle ``after``)."""
        where = "" if after is None else f" after handle {_handle(after)}"
        return self._put_rule("add rule", family, table, chain, rule, True, after, where)

    def insert_rule(self, table: str, chain: str, rule: Rule, *, family: str = "ip",
                    before: Optional[int] = None) -> "Transaction":
        """Put ``rule`` at the start of the chain (or right before the rule with handle ``before``)."""
        where = " at the start" if before is None else f" before handle {_handle(before)}"
        return self._put_rule("insert rule", family, table, chain, rule, False, before, where)

    def _put_rule(self, verb: str, family: str, table: str, chain: str, rule: Rule, append: bool,
                  position: Optional[int], where: str) -> "Transaction":
        validate.family(family)
        validate.name(table, "table name")
        validate.name(chain, "chain name")
        self.items.append(msg.add_rule(family, table, chain, rule, append=append, position=position))
        # the rule's text only when the kernel refuses it (labels are made for failures)
        self.labels.append(lambda: (verb, f"{table}/{chain}{where} '{rule}'"))
        return self

    def add_dnat_rules(self, table: str, chain: str, publish: Sequence[Any], *,
                       family: str = "ip") -> "Transaction":
        """Append one ``<proto> dport <host_port> dnat to <to>:<to_port>`` rule per tuple
        ``(host_port, to, to_port[, proto])`` (proto ``tcp`` by default; ``Publish`` objects
        too): the rules ``Rule([Tcp.dport(host_port)], [Dnat(to, to_port)])`` would make,
        byte for byte, checked in bulk and filled into one message template in C. A bad
        tuple raises naming its position; nothing is added then."""
        from . import bulk
        validate.family(family)
        validate.name(table, "table name")
        validate.name(chain, "chain name")
        if isinstance(publish, (str, bytes)) or not hasattr(publish, "__len__"):
            raise InvalidArgument(f"add_dnat_rules: expected a list of (host_port, to, to_port) tuples, "
                                  f"not {publish!r}")
        publish = bulk.plain(publish)
        frame = self._frame() if family != "ip6" else None
        got = bulk.dnat_items(family, table, chain, publish, frame) if family != "ip6" else None
        if got is None:                         # one by one: IPv6, a host address, or a bad tuple
            rules = [bulk.dnat_rule(p) for p in bulk.publications(publish, "add_dnat_rules")]
            for r in rules:
                self.add_rule(table, chain, r, family=family)
            return self

        def label(k: int) -> tuple[str, str]:
            rule = bulk.dnat_rule(bulk.publications([publish[k]], "add_dnat_rules")[0])
            return ("add rule", f"{table}/{chain} '{rule}'")
        items, whole = got
        self.items += items
        self.labels.append(Each(label))
        self._whole = None if whole is None else (whole, len(self.items))
        return self

    def _frame(self) -> Optional[tuple[bytes, bytes]]:
        """BATCH_BEGIN and the items so far (without acks), and BATCH_END: what goes around
        bulk rules added now to make the whole transaction (None on an asyncio Nftables, with
        a generation pinned, or after other bulk items or many items: those go the general way,
        and a transaction made of many bulk calls is not framed again at each)."""
        if self.genid is not None or not isinstance(self.nft, Nftables) or len(self.items) > FRAME_MAX or \
                any(isinstance(v, (Raw, Many)) for _, v in self.items):
            return None
        return _head(self.items), _batch_end()

    # -- sets and maps ----------------------------------------------------------------------------
    def add_set(self, table: str, s: NamedSet, *, family: str = "ip", exist_ok: bool = True,
                elements: bool = True) -> "Transaction":
        """Create a set or map (``Set``/``Map``) and (with ``elements``) add its elements."""
        validate.family(family)
        validate.name(table, "table name")
        if not isinstance(s, NamedSet):
            raise InvalidArgument(f"add set: {s!r} is not a Set or Map")
        # (the set id: the message's position in the transaction, unique in it)
        self._push(msg.add_set(family, table, s, sum(members(v) for _, v in self.items) + 1, exist_ok=exist_ok),
                   "add " + str(s).split()[0], f"{family} {table}/{s.name}")
        if elements and s.elements:
            self.add_elements(table, s, family=family)
        return self

    def delete_set(self, table: str, name: str, *, family: str = "ip") -> "Transaction":
        """Delete a set or map (the kernel refuses while a rule uses it: EBUSY)."""
        validate.family(family)
        return self._push(msg.delete_set(family, validate.name(table, "table name"),
                                         validate.name(name, "set name")), "delete set",
                          f"{family} {table}/{name}")

    def add_elements(self, table: str, s: NamedSet, elements: Any = None, *, family: str = "ip",
                     exist_ok: bool = True) -> "Transaction":
        """Add elements to the set or map ``s`` (its definition gives the types; its own elements
        are used when ``elements`` is None). Sets take an iterable of keys, maps a dict."""
        validate.family(family)
        validate.name(table, "table name")
        elems = self._elements(s, elements)
        for item in msg.elements("add", family, table, s.name, elems, exist_ok=exist_ok):
            self._push(item, "add elements", f"{family} {table}/{s.name} ({len(elems)})")
        return self

    def add_encoded(self, table: str, set_name: str, elements: Sequence[tuple[bytes, Optional[bytes]]], *,
                    family: str = "ip", exist_ok: bool = True) -> "Transaction":
        """Add elements already encoded as (key bytes, data bytes or None): for callers that
        validated and packed their values once (``DockerNat.publish``); the kernel checks the
        sizes against the set's definition."""
        validate.family(family)
        validate.name(table, "table name")
        validate.name(set_name, "set name")
        target = f"{family} {table}/{set_name} ({len(elements)})"
        for item in msg.pairs("add", family, table, set_name, elements, exist_ok=exist_ok):
            self._push(item, "add elements", target)
        return self

    def _add_lists(self, table: str, set_name: str, blobs: Sequence[bytes], count: int, *, family: str,
                   exist_ok: bool) -> "Transaction":
        """``add_encoded`` of element lists already made as bytes (``messages.element_lists``)."""
        target = f"{family} {table}/{set_name} ({count})"
        for item in msg.element_lists("add", family, table, set_name, blobs, exist_ok=exist_ok):
            self._push(item, "add elements", target)
        return self

    def delete_elements(self, table: str, s: NamedSet, keys: Iterable[Any], *,
                        family: str = "ip") -> "Transaction":
        """Delete elements (by key) from the set or map ``s``."""
        validate.family(family)
        validate.name(table, "table name")
        key_list = s.keys(keys) if isinstance(s, Set) else [s.key(k) for k in keys]
        elems = set_elements(s, key_list)
        if not elems:
            return self
        for item in msg.elements("delete", family, table, s.name, elems):
            self._push(item, "delete elements", f"{family} {table}/{s.name} ({len(elems)})")
        return self

    def flush_set(self, table: str, name: str, *, family: str = "ip") -> "Transaction":
        """Delete every element of a set or map."""
        validate.family(family)
        (item,) = msg.elements("delete", family, validate.name(table, "table name"),
                               validate.name(name, "set name"), [])
        return self._push(item, "flush set", f"{family} {table}/{name}")

    @staticmethod
    def _elements(s: NamedSet, elements: Any) -> list[Element]:
        if isinstance(s, Map):
            return map_elements(s, s.items(elements))
        if isinstance(s, Set):
            return set_elements(s, s.keys(elements))
        raise InvalidArgument(f"elements: {s!r} is not a Set or Map")

    def delete_rule(self, table: str, chain: str, handle: int, *, family: str = "ip") -> "Transaction":
        validate.family(family)
        _handle(handle)
        return self._push(msg.delete_rule(family, validate.name(table, "table name"),
                                          validate.name(chain, "chain name"), handle),
                          "delete rule", f"{table}/{chain} handle {handle}")

    def delete_chain(self, table: str, chain: str, *, family: str = "ip") -> "Transaction":
        validate.family(family)
        return self._push(msg.delete_chain(family, validate.name(table, "table name"),
                                           validate.name(chain, "chain name")),
                          "delete chain", f"{family} {table}/{chain}")

    def delete_table(self, table: str, *, family: str = "ip") -> "Transaction":
        validate.family(family)
        return self._push(msg.delete_table(family, validate.name(table, "table name")),
                          "delete table", f"{family} {table}")

    def flush(self, table: str, chain: Optional[str] = None, *, family: str = "ip") -> "Transaction":
        """Delete every rule of the table (or of one chain); chains stay."""
        validate.family(family)
        validate.name(table, "table name")
        if chain is not None:
            validate.name(chain, "chain name")
        return self._push(msg.flush(family, table, chain), "flush",
                          f"{family} {table}" + (f"/{chain}" if chain else ""))

    def __len__(self) -> int:
        return len(self.items)

    def flow(self) -> Flow[None]:
        """The commit as a flow (transport.flow)."""
        self._whole = None
        if not self.items:
            return
        yield from self.nft._commit_flow(self.items, self.labels, self.genid)
        self.items, self.labels = [], []

    def commit(self) -> Any:
        """Send everything as one transaction; raise the first member's error if the kernel refused.

        On an asyncio Nftables (pynetlink.aio) it returns an awaitable."""
        if self._whole is not None and self._send_whole():
            return None
        return self.nft._drive(self.flow())

    def _send_whole(self) -> bool:
        """The transaction add_dnat_rules wrote whole, sent as it is (``_ports.exchange``: one
        sendto, its one ack): True once committed. False when items were added since, or the
        kernel refused it (nothing changed: all or nothing): the general path then sends it
        again and raises the member's error with its label."""
        whole, count = self._whole or (None, 0)
        self._whole = None
        if whole is None or count != len(self.items) or not isinstance(self.nft, Nftables):
            return False
        from ._ports import exchange           # (loaded already: add_dnat_rules used it)
        if self.nft.sock.exchange(whole, exchange):
            return False
        self.items, self.labels = [], []
        return True

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.commit()

    async def __aenter__(self) -> "Transaction":
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            await self.commit()


class NftablesBase:
    """The nf_tables operations of one namespace, written once as flows (transport.flow): the
    blocking ``Nftables`` runs them at once, ``pynetlink.aio.AsyncNftables`` awaits them."""

    def _drive(self, flow: Flow[T]) -> Any:
        """Run a flow: at once (Nftables) or as an awaitable (AsyncNftables)."""
        raise NotImplementedError

    # -- changes --------------------------------------------------------------------------------
    def transaction(self, *, genid: Optional[int] = None) -> Transaction:
        """A new transaction; with ``genid`` it only commits if the ruleset is still at that generation."""
        return Transaction(self, genid)

    def _commit_flow(self, items: Sequence[msg.Item], labels: Sequence[LazyLabel],
                     genid: Optional[int] = None) -> Flow[None]:
        """Send ``items`` framed by BATCH_BEGIN/END in one sendmsg; raise if any member failed.

        ``labels``: (operation, target) per item, or a callable making it (called only for a
        member that failed)."""
        # one ack for the transaction: the members before the last ask none (quiet: the
        # kernel answers them only with their errors, which come before the last one's ack)
        batch = [msg.batch_begin(genid), *[(quiet(p), v) for p, v in items[:-1]], *items[-1:], msg.batch_end()]

        def label(i: int) -> tuple[str, str]:
            if i == 0:
                return ("begin transaction", "")
            k = i - 1                   # message k of the members: find its item (a Many is many)
            for (_, v), lb in zip(items, labels):
                count = members(v)
                if k < count:
                    return lb(k) if isinstance(lb, Each) else lb() if callable(lb) else lb
                k -= count
            return ("end transaction", "")
        reply = yield from flow.transact(batch, label, atomic=True)
        if not reply.odd:               # (no Result objects made for a transaction of plain acks)
            return
        errors = [e for i in reply.odd if (e := reply.results[i].error) is not None]
        if not errors:
            return
        begin = reply.results[0].error
        if begin is not None and begin.errno == errno.ERESTART:
            raise GenerationChanged(errno.ERESTART, "commit transaction", f"generation {genid}",
                                    "the ruleset changed since it was read")
        real = [e for e in errors if e.errno != errno.ECANCELED] or errors
        first = real[0]
        changes = sum(members(v) for _, v in items)
        if changes > 1:
            first.add_note(f"the transaction of {changes} changes was not applied (nothing changed)")
        for extra in real[1:]:
            first.add_note(f"also: {extra}")
        raise first

    commit = operation(_commit_flow)

    def _apply_flow(self, *tables: Table) -> Flow[None]:
        """Create the tables with their chains and rules, in one transaction."""
        tx = self.transaction()
        for t in tables:
            tx.add_table(t)
        yield from tx.flow()

    apply = operation(_apply_flow)

    def _add_rule_flow(self, table: str, chain: str, rule: Rule, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().add_rule(table, chain, rule, family=family).flow())

    add_rule = operation(_add_rule_flow)

    def _delete_rule_flow(self, table: str, chain: str, handle: int, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().delete_rule(table, chain, handle, family=family).flow())

    delete_rule = operation(_delete_rule_flow)

    def _delete_table_flow(self, table: str, *, family: str = "ip", missing_ok: bool = False) -> Flow[None]:
        try:
            yield from self.transaction().delete_table(table, family=family).flow()
        except FileNotFoundError:
            if not missing_ok:
                raise

    delete_table = operation(_delete_table_flow)

    def _flush_flow(self, table: str, chain: Optional[str] = None, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().flush(table, chain, family=family).flow())

    flush = operation(_flush_flow)

    def _insert_rule_flow(self, table: str, chain: str, rule: Rule, *, family: str = "ip",
                          before: Optional[int] = None) -> Flow[None]:
        return (yield from self.transaction().insert_rule(table, chain, rule, family=family, before=before).flow())

    insert_rule = operation(_insert_rule_flow)

    def _add_set_flow(self, table: str, s: NamedSet, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().add_set(table, s, family=family).flow())

    add_set = operation(_add_set_flow)

    def _delete_set_flow(self, table: str, name: str, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().delete_set(table, name, family=family).flow())

    delete_set = operation(_delete_set_flow)

    def _add_elements_flow(self, table: str, s: NamedSet, elements: Any, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().add_elements(table, s, elements, family=family).flow())

    add_elements = operation(_add_elements_flow)

    def _delete_elements_flow(self, table: str, s: NamedSet, keys: Iterable[Any], *,
                              family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().delete_elements(table, s, keys, family=family).flow())

    delete_elements = operation(_delete_elements_flow)

    def _flush_set_flow(self, table: str, name: str, *, family: str = "ip") -> Flow[None]:
        return (yield from self.transaction().flush_set(table, name, family=family).flow())

    flush_set = operation(_flush_set_flow)

    def _elements_flow(self, table: str, s: NamedSet, *, family: str = "ip") -> Flow[Any]:
        """The elements of the set or map ``s`` (its definition gives the types): a frozenset of
        keys, or a dict for a map. One dump of that set only (NotFoundError if absent)."""
        validate.family(family)
        reply = yield from flow.dump(*msg.dump_elements(family, validate.name(table, "table name"), s.name),
                                     label=("list elements", f"{family} {table}/{s.name}"))
        elems = [e for m in reply.results[0].messages for e in decode_elements_msg(reply.rows, m)]
        return decode_elements(s, elems)

    elements = operation(_elements_flow)

    def _has_element_flow(self, table: str, s: NamedSet, key: Any, *, family: str = "ip") -> Flow[bool]:
        """Whether the set or map ``s`` holds ``key`` (one GETSETELEM: no dump of the set).

        NotFoundError if the set itself is missing."""
        validate.family(family)
        validate.name(table, "table name")
        k = s.key(key)
        if s.interval:
            raise InvalidArgument(f"{s}: has_element does not look up intervals; use elements()")
        (item,) = msg.elements("get", family, table, s.name, set_elements(s, [k]))
        reply = yield from flow.transact([item], ("get element", f"{family} {table}/{s.name}"))
        err = reply.results[0].error
        if err is None:
            return True
        if err.errno == errno.ENOENT and (yield from self._has_set_flow(table, s.name, family=family)):
            return False
        raise err

    has_element = operation(_has_element_flow)

    def _has_set_flow(self, table: str, name: str, *, family: str = "ip") -> Flow[bool]:
        """Whether the table has a set or map of this name (one GETSET)."""
        validate.family(family)
        try:
            yield from flow.request(*msg.get_set(family, table, name), label=("get set", f"{family} {table}/{name}"))
        except FileNotFoundError:
            return False
        return True

    has_set = operation(_has_set_flow)

    def _rules_flow(self, table: str, chain: Optional[str] = None, *, family: str = "ip") -> Flow[list[Rule]]:
        """The rules of one table, or of one chain, in order (the kernel filters the dump)."""
        validate.family(family)
        reply = yield from flow.dump(*msg.dump_rules(family, validate.name(table, "table name"),
                                                     None if chain is None else validate.name(chain, "chain name")),
                                     label=("list rules", f"{family} {table}" + (f"/{chain}" if chain else "")))
        return [decode_rule(reply.rows, m, family) for m in reply.results[0].messages
                if reply.rows.type(m) == msg_type("NEWRULE")]

    rules = operation(_rules_flow)

    def _generation_and_rules_flow(self, table: str, chain: Optional[str] = None, *,
                                   family: str = "ip", comments: Optional[Iterable[str]] = None
                                   ) -> Flow[tuple[int, Optional[list[Rule]]]]:
        """The ruleset generation and then the rules of one table (or chain), in one transfer
        (GETGEN and the filtered dump in one sendmsg); rules None if the table or chain does
        not exist. Pin a transaction to the generation to act on what was read. With
        ``comments``, only the rules carrying one of them are decoded and returned (the
        others cost a comment read each, not a decode)."""
        gen, got = yield from self._listing_flow(table, chain, family, comments)
        return gen, None if got is None else [decode_rule(got[0], m, family) for m in got[1]]

    def _listing_flow(self, table: str, chain: Optional[str], family: str, comments: Optional[Iterable[str]]
                      ) -> Flow[tuple[int, Optional[tuple[Rows, list[int]]]]]:
        """``_generation_and_rules_flow`` before decoding: the generation, the rows and the
        NEWRULE messages (those carrying one of ``comments``, if given)."""
        validate.family(family)
        validate.name(table, "table name")
        target = f"{family} {table}" + (f"/{validate.name(chain, 'chain name')}" if chain else "")
        labels = [("get generation", ""), ("list rules", target)]
        reply = None
        for _ in range(DUMP_RETRIES + 1):
            reply = yield from flow.transact([msg.get_generation(), msg.dump_rules(family, table, chain)], labels)
            gen_res, dump_res = reply.results
            if gen_res.error is not None:
                raise gen_res.error
            gen = next((g for g in (reply.rows.get_u(m, GEN["id"]) for m in gen_res.messages) if g is not None),
                       None)
            if gen is None:
                raise NetlinkError(errno.EPROTO, "get generation", "", "no NEWGEN reply")
            if dump_res.error is not None:
                if dump_res.error.errno == errno.ENOENT:
                    return gen, None
                raise dump_res.error
            if not dump_res.dump_intr:
                return gen, (reply.rows, list(_tagged(reply.rows, dump_res.messages, comments)))
        raise DumpInterrupted("list rules", DUMP_RETRIES + 1, reply)

    generation_and_rules = operation(_generation_and_rules_flow)

    def _delete_tagged_flow(self, table: str, comments: Iterable[str], *, family: str = "ip") -> Flow[int]:
        """Delete the rules of ``table`` carrying one of ``comments`` (their owner's tags):
        one dump of the table's rules (no rule decoded) and one transaction pinned to its
        generation, retried if the ruleset changed in between. Returns how many."""
        tags = set(comments)

        def read() -> Flow[Optional[tuple[int, list[tuple[str, int]]]]]:
            gen, got = yield from self._listing_flow(table, None, family, tags)
            if got is None:
                return None
            rows, msgs = got
            return gen, [(rows.get_str(m, RULE["chain"]) or "", h) for m in msgs
                         if (h := rows.get_u(m, RULE["handle"])) is not None]
        return (yield from self._delete_pinned_flow(table, family, read))

    def _delete_pinned_flow(self, table: str, family: str,
                            read: Callable[[], Flow[Optional[tuple[int, list[tuple[str, int]]]]]]) -> Flow[int]:
        """Delete the rules ``read`` lists ((chain, handle) at a generation; None: no table) in
        one transaction pinned to that generation; read again if the ruleset changed."""
        for attempt in range(RETRIES):
            got = yield from read()
            if got is None:
                return 0
            gen, doomed = got
            tx = self.transaction(genid=gen)
            for chain, handle in doomed:
                tx.delete_rule(table, chain, handle, family=family)
            try:
                yield from tx.flow()
                return len(doomed)
            except GenerationChanged:
                if attempt == RETRIES - 1:
                    raise
        return 0

    def _set_flow(self, table: str, name: str, *, family: str = "ip") -> Flow[NamedSet]:
        """One set or map with its elements, as listed (NotFoundError if absent)."""
        try:
            return (yield from self._table_flow(table, family=family)).set(name)
        except KeyError:
            raise NetlinkError.from_errno(errno.ENOENT, "list set", f"{family} {table}/{name}",
                                          "no such set") from None

    set = operation(_set_flow)

    def _delete_rules_flow(self, table: str, where: Callable[[str, Rule], bool], *, family: str = "ip") -> Flow[int]:
        """Delete the rules ``where(chain, rule)`` selects (e.g. by comment: their owner).

        Read, then delete by handle pinned to the generation read; retried if the ruleset
        changed in between. Returns how many rules were deleted.
        """
        def read() -> Flow[Optional[tuple[int, list[tuple[str, int]]]]]:
            rs = yield from self._ruleset_flow(family)
            if (family, table) not in rs:
                return None
            return rs.generation, [(chain.name, rule.handle) for chain in rs.table(family, table).chains
                                   for rule in chain.rules if rule.handle is not None and where(chain.name, rule)]
        return (yield from self._delete_pinned_flow(table, family, read))

    delete_rules = operation(_delete_rules_flow)

    # -- reads ----------------------------------------------------------------------------------
    def _generation_flow(self) -> Flow[int]:
        """The ruleset generation id (changes with every committed transaction)."""
        reply = yield from flow.request(*msg.get_generation(), label=("get generation", ""))
        rows = reply.rows
        for m in reply.results[0].messages:
            gid = rows.get_u(m, GEN["id"])
            if gid is not None:
                return gid
        raise NetlinkError(errno.EPROTO, "get generation", "", "no NEWGEN reply")

    generation = operation(_generation_flow)

    def _ruleset_flow(self, family: Optional[str] = None) -> Flow[Ruleset]:
        """Every table (of ``family``, or all) with chains and rules, consistent with one generation."""
        fam = FAMILIES[validate.family(family)] if family is not None else 0
        for _ in range(RETRIES):
            gen = yield from self._generation_flow()
            dumps = {}
            for what in ("TABLE", "CHAIN", "RULE", "SET"):
                dumps[what] = yield from flow.dump(*msg.dump(what, fam), label=(f"list {what.lower()}s", ""))
            sets = yield from self._sets(dumps["SET"].rows)
            if sets is not None and (yield from self._generation_flow()) == gen:
                return Ruleset(_assemble(dumps["TABLE"].rows, dumps["CHAIN"].rows, dumps["RULE"].rows, sets), gen)
        raise NetlinkError(errno.EAGAIN, "list ruleset", "", f"the ruleset kept changing ({RETRIES} tries)")

    ruleset = operation(_ruleset_flow)

    def _sets(self, rows: Rows) -> Flow[Optional[dict[tuple[str, str], list[NamedSet]]]]:
        """Every listed set with its elements (one GETSETELEM dump each, in one transfer);
        None if a dump was interrupted (the caller retries)."""
        defs: list[tuple[str, str, NamedSet]] = []
        for m in _msgs(rows, "NEWSET"):
            fam = _family(rows, m)
            if fam is None:
                continue
            s = decode_set(rows, m)
            if s is not None:
                defs.append((fam, rows.get_str(m, SET["table"]) or "", s))
        out: dict[tuple[str, str], list[NamedSet]] = {}
        if not defs:
            return out
        reply = yield from flow.transact([msg.dump_elements(f, t, s.name) for f, t, s in defs],
                                         [("list elements", f"{f} {t}/{s.name}") for f, t, s in defs])
        for (fam, table, s), res in zip(defs, reply.results):
            if res.dump_intr:
                return None
            if res.error is not None:
                if res.error.errno == errno.ENOENT:      # deleted meanwhile: the generation check sees it
                    continue
                raise res.error
            elems = [e for m in res.messages for e in decode_elements_msg(reply.rows, m)]
            out.setdefault((fam, table), []).append(replace(s, elements=decode_elements(s, elems)))
        return out

    def _table_flow(self, name: str, *, family: str = "ip") -> Flow[Table]:
        """One table with its chains and rules (NotFoundError if absent)."""
        rs = yield from self._ruleset_flow(family)
        if (family, name) not in rs:
            raise NetlinkError.from_errno(errno.ENOENT, "list table", f"{family} {name}", "no such table")
        return rs.table(family, name)

    table = operation(_table_flow)


class Nftables(NftablesBase, Closing):
    """nf_tables of one network namespace (default: ours), over one NETLINK_NETFILTER socket."""

    flow_mode: Literal["sync"] = "sync"

    def __init__(self, netns: "NetNS | str | None" = None, *, timeout: float = 30.0) -> None:
        ns = None if netns is None else NetNS.open(netns)
        self.sock = NetlinkSocket(NETLINK_NETFILTER, NFT, ns, timeout=timeout)

    def _drive(self, flow: Flow[T]) -> T:
        return drive(self.sock, flow)

    def close(self) -> None:
        self.sock.close()

    def __repr__(self) -> str:
        return f"Nftables({self.sock.netns!r})"


# -- decoding listed objects ---------------------------------------------------------------------
def _family(rows: Rows, m: int) -> Optional[str]:
    return FAMILY_NAMES.get(rows.header(m, 1)[0])


def _msgs(rows: Rows, kind: str) -> Iterator[int]:
    t = msg_type(kind)
    return (m for m in rows.messages() if rows.type(m) == t)


def _tagged(rows: Rows, messages: Iterable[int], comments: Optional[Iterable[str]]) -> Iterator[int]:
    """The NEWRULE messages of ``messages`` (those carrying one of ``comments``, if given)."""
    from .rule import comment_of
    t = msg_type("NEWRULE")
    tags = None if comments is None else set(comments)
    for m in messages:
        if rows.type(m) == t and (tags is None or comment_of(rows.get_bytes(m, RULE["userdata"])) in tags):
            yield m


@reading("nftables rule")
def decode_rule(rows: Rows, m: int, family: str) -> Rule:
    """A listed (or echoed) NEWRULE message as a Rule, with its handle."""
    from .ops import decode_ops
    from .rule import Rule, comment_of, decompile
    exprs = rows.find(m, RULE["expressions"])
    ops = decode_ops(rows, exprs) if exprs >= 0 else []
    matches, stmts = decompile(ops, family)
    rule = Rule(matches, stmts, comment_of(rows.get_bytes(m, RULE["userdata"])),
                handle=rows.get_u(m, RULE["handle"]))
    # what the kernel holds encodes as it is: nft's transport-match rule is for what we write
    rule.__dict__["_transport_ok"] = True
    return rule


@reading("nftables chain")
def decode_chain(rows: Rows, m: int) -> Chain:
    from .rule import HOOK_NAMES, POLICIES, Chain
    name = rows.get_str(m, CHAIN["name"]) or ""
    hook = rows.find(m, CHAIN["hook"])
    handle = rows.get_u(m, CHAIN["handle"])
    if hook < 0:
        return Chain(name, handle=handle)
    num = rows.get_u(hook, HOOK["num"])
    prio_row = rows.find(hook, HOOK["priority"])
    prio = rows.s(prio_row) if prio_row >= 0 else 0
    policy = rows.get_u(m, CHAIN["policy"])
    return Chain(name, rows.get_str(m, CHAIN["type"]), HOOK_NAMES.get(num or 0, str(num)),
                 prio,
                 next((k for k, v in POLICIES.items() if v == (1 if policy is None else policy)), "accept"),
                 handle=handle)


@reading("nftables set")
def decode_set(rows: Rows, m: int) -> Optional[NamedSet]:
    """A listed NEWSET as a Set or Map without elements (None for anonymous sets and types we
    do not model)."""
    name = rows.get_str(m, SET["name"]) or ""
    flags = rows.get_u(m, SET["flags"]) or 0
    if name.startswith("__") or flags & int(lib.NFT_SET_ANONYMOUS):
        return None
    key = type_names(rows.get_u(m, SET["key-type"]) or 0, rows.get_u(m, SET["key-len"]) or 0)
    if key is None:
        return None
    names = [n for n, bit in FLAGS.items() if flags & bit]
    handle = rows.get_u(m, SET["handle"])
    if not flags & MAP_FLAG:
        return Set(name, key, (), names, handle=handle)
    dtype = rows.get_u(m, SET["data-type"]) or 0
    if dtype == VERDICT_TYPE:
        return Map(name, key, "verdict", {}, names, handle=handle)
    data = type_names(dtype, rows.get_u(m, SET["data-len"]) or 0)
    return None if data is None else Map(name, key, data, {}, names, handle=handle)


@reading("nftables set elements")
def decode_elements_msg(rows: Rows, m: int) -> list[Element]:
    """The elements of one NEWSETELEM message (a dump reply or a request)."""
    out: list[Element] = []
    lst = rows.find(m, SETELEM_LIST["elements"])
    if lst < 0:
        return out
    for e in rows.children(lst):
        k = rows.path(e, SETELEM["key"], DATA["value"])
        if k < 0:
            continue
        raw_flags = rows.get_bytes(e, SETELEM["flags"])
        flags = int.from_bytes(raw_flags, "big") if raw_flags and len(raw_flags) == 4 else 0
        d = rows.find(e, SETELEM["data"])
        data: Any = None
        if d >= 0:
            v = rows.find(d, DATA["value"])
            if v >= 0:
                data = rows.payload(v)
            else:
                vd = rows.find(d, DATA["verdict"])
                code = rows.get_u(vd, VERDICT["code"]) if vd >= 0 else None
                code = 0 if code is None else (code - (1 << 32) if code >= 1 << 31 else code)
                data = (code, rows.get_str(vd, VERDICT["chain"]) if vd >= 0 else None)
        ke = rows.path(e, SETELEM["key-end"], DATA["value"])
        out.append(Element(rows.payload(k), data, flags, rows.payload(ke) if ke >= 0 else None))
    return out


@reading("nftables ruleset")
def _assemble(tables: Rows, chains: Rows, rules: Rows,
              sets: Optional[dict[tuple[str, str], list[NamedSet]]] = None) -> tuple[Table, ...]:
    from .rule import Table
    by_chain: dict[tuple[str, str, str], list[Rule]] = {}
    for m in _msgs(rules, "NEWRULE"):
        fam = _family(rules, m)
        if fam is None:
            continue
        key = (fam, rules.get_str(m, RULE["table"]) or "", rules.get_str(m, RULE["chain"]) or "")
        by_chain.setdefault(key, []).append(decode_rule(rules, m, fam))
    by_table: dict[tuple[str, str], list[Chain]] = {}
    for m in _msgs(chains, "NEWCHAIN"):
        fam = _family(chains, m)
        if fam is None:
            continue
        table = chains.get_str(m, CHAIN["table"]) or ""
        chain = decode_chain(chains, m)
        chain = replace(chain, rules=by_chain.get((fam, table, chain.name), []))
        by_table.setdefault((fam, table), []).append(chain)
    out: list[Table] = []
    for m in _msgs(tables, "NEWTABLE"):
        fam = _family(tables, m)
        if fam is None:
            continue
        name = tables.get_str(m, TABLE["name"]) or ""
        tflags = tables.get_u(m, TABLE["flags"]) or 0
        out.append(Table(name, fam, by_table.get((fam, name), []), (sets or {}).get((fam, name), []),
                         owner=bool(tflags & int(lib.NFT_TABLE_F_OWNER)), handle=tables.get_u(m, TABLE["handle"])))
    return tuple(out)


__all__ = ["Nftables", "Transaction", "Ruleset", "GenerationChanged", "decode_rule", "decode_chain", "decode_set",
           "decode_elements_msg"]
