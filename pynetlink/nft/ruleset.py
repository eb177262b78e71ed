"""nf_tables in one namespace: read the ruleset, change it in atomic transactions.

Every change is one ``BATCH_BEGIN … BATCH_END`` transaction sent in one sendmsg: the
kernel applies all of it or none. A failing member raises its own error (labelled with
the operation and the rule's text, carrying the kernel's extack); nothing is left changed.
Read-modify-write helpers pin the ruleset generation so a concurrent change makes the
commit fail with ``GenerationChanged`` instead of acting on stale handles.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Optional, Sequence

from ..codec.rows import Rows
from ..codec.specs.nft import CHAIN, GEN, HOOK, NETLINK_NETFILTER, NFT, RULE, TABLE, msg_type
from ..errors import InvalidArgument, NetlinkError
from ..transport import NetlinkSocket, NetNS
from . import messages as msg
from . import validate
from .ops import decode_ops
from .rule import HOOK_NAMES, POLICIES, Chain, Rule, Table, comment_of, decompile
from .validate import FAMILIES, FAMILY_NAMES

RETRIES = 5
_POLICY_NAMES = {v: k for k, v in POLICIES.items()}


class GenerationChanged(NetlinkError):
    """The ruleset changed between our read and our commit (the kernel said ERESTART)."""


@dataclass(frozen=True)
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

    def __init__(self, nft: "Nftables", genid: Optional[int] = None) -> None:
        self.nft = nft
        self.genid = genid
        self.items: list[msg.Item] = []
        self.labels: list[tuple[str, str]] = []

    def _push(self, item: msg.Item, operation: str, target: str) -> "Transaction":
        self.items.append(item)
        self.labels.append((operation, target))
        return self

    def add_table(self, table: Table, *, exist_ok: bool = True) -> "Transaction":
        """The table, its chains, then their rules (so a rule may jump to any chain of the table)."""
        self._push(msg.add_table(table.family, table.name, exist_ok=exist_ok), "add table", str(table))
        for chain in table.chains:
            self.add_chain(table.name, replace(chain, rules=()), family=table.family, exist_ok=exist_ok)
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

    def add_rule(self, table: str, chain: str, rule: Rule, *, family: str = "ip") -> "Transaction":
        """Append ``rule`` to the chain."""
        validate.family(family)
        validate.name(table, "table name")
        validate.name(chain, "chain name")
        return self._push(msg.add_rule(family, table, chain, rule), "add rule", f"{table}/{chain} '{rule}'")

    def delete_rule(self, table: str, chain: str, handle: int, *, family: str = "ip") -> "Transaction":
        validate.family(family)
        if isinstance(handle, bool) or not isinstance(handle, int) or handle <= 0:
            raise InvalidArgument(f"invalid rule handle {handle!r}")
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

    def commit(self) -> None:
        """Send everything as one transaction; raise the first member's error if the kernel refused."""
        if not self.items:
            return
        self.nft.commit(self.items, self.labels, self.genid)
        self.items, self.labels = [], []

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.commit()


class Nftables:
    """nf_tables of one network namespace (default: ours), over one NETLINK_NETFILTER socket."""

    def __init__(self, netns: "NetNS | str | None" = None, *, timeout: float = 30.0) -> None:
        ns = None if netns is None else NetNS.open(netns)
        self.sock = NetlinkSocket(NETLINK_NETFILTER, NFT, ns, timeout=timeout)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Nftables":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- changes --------------------------------------------------------------------------------
    def transaction(self, *, genid: Optional[int] = None) -> Transaction:
        """A new transaction; with ``genid`` it only commits if the ruleset is still at that generation."""
        return Transaction(self, genid)

    def commit(self, items: Sequence[msg.Item], labels: Sequence[tuple[str, str]],
               genid: Optional[int] = None) -> None:
        """Send ``items`` framed by BATCH_BEGIN/END in one sendmsg; raise if any member failed."""
        batch = [msg.batch_begin(genid), *items, msg.batch_end()]
        names = [("begin transaction", ""), *labels, ("end transaction", "")]
        reply = self.sock.transact(batch, labels=names, atomic=True)
        errors = [r.error for r in reply.results if r.error is not None]
        if not errors:
            return
        begin = reply.results[0].error
        if begin is not None and begin.errno == errno.ERESTART:
            raise GenerationChanged(errno.ERESTART, "commit transaction", f"generation {genid}",
                                    "the ruleset changed since it was read")
        real = [e for e in errors if e.errno != errno.ECANCELED] or errors
        first = real[0]
        if len(items) > 1:
            first.add_note(f"the transaction of {len(items)} changes was not applied (nothing changed)")
        for extra in real[1:]:
            first.add_note(f"also: {extra}")
        raise first

    def apply(self, *tables: Table) -> None:
        """Create the tables with their chains and rules, in one transaction."""
        tx = self.transaction()
        for t in tables:
            tx.add_table(t)
        tx.commit()

    def add_rule(self, table: str, chain: str, rule: Rule, *, family: str = "ip") -> None:
        self.transaction().add_rule(table, chain, rule, family=family).commit()

    def delete_rule(self, table: str, chain: str, handle: int, *, family: str = "ip") -> None:
        self.transaction().delete_rule(table, chain, handle, family=family).commit()

    def delete_table(self, table: str, *, family: str = "ip", missing_ok: bool = False) -> None:
        try:
            self.transaction().delete_table(table, family=family).commit()
        except FileNotFoundError:
            if not missing_ok:
                raise

    def flush(self, table: str, chain: Optional[str] = None, *, family: str = "ip") -> None:
        self.transaction().flush(table, chain, family=family).commit()

    def delete_rules(self, table: str, where: Callable[[str, Rule], bool], *, family: str = "ip") -> int:
        """Delete the rules ``where(chain, rule)`` selects (e.g. by comment: their owner).

        Read, then delete by handle pinned to the generation read; retried if the ruleset
        changed in between. Returns how many rules were deleted.
        """
        for attempt in range(RETRIES):
            rs = self.ruleset(family)
            if (family, table) not in rs:
                return 0
            tx = self.transaction(genid=rs.generation)
            for chain in rs.table(family, table).chains:
                for rule in chain.rules:
                    if rule.handle is not None and where(chain.name, rule):
                        tx.delete_rule(table, chain.name, rule.handle, family=family)
            count = len(tx)
            try:
                tx.commit()
                return count
            except GenerationChanged:
                if attempt == RETRIES - 1:
                    raise
        return 0

    # -- reads ----------------------------------------------------------------------------------
    def generation(self) -> int:
        """The ruleset generation id (changes with every committed transaction)."""
        reply = self.sock.request(*msg.get_generation(), label=("get generation", ""))
        rows = reply.rows
        for m in reply.results[0].messages:
            gid = rows.get_u(m, GEN["id"])
            if gid is not None:
                return gid
        raise NetlinkError(errno.EPROTO, "get generation", "", "no NEWGEN reply")

    def ruleset(self, family: Optional[str] = None) -> Ruleset:
        """Every table (of ``family``, or all) with chains and rules, consistent with one generation."""
        fam = FAMILIES[validate.family(family)] if family is not None else 0
        for _ in range(RETRIES):
            gen = self.generation()
            dumps = {what: self.sock.dump(*msg.dump(what, fam), label=(f"list {what.lower()}s", ""))
                     for what in ("TABLE", "CHAIN", "RULE")}
            if self.generation() == gen:
                return Ruleset(_assemble(dumps["TABLE"].rows, dumps["CHAIN"].rows, dumps["RULE"].rows), gen)
        raise NetlinkError(errno.EAGAIN, "list ruleset", "", f"the ruleset kept changing ({RETRIES} tries)")

    def table(self, name: str, *, family: str = "ip") -> Table:
        """One table with its chains and rules (NotFoundError if absent)."""
        rs = self.ruleset(family)
        if (family, name) not in rs:
            raise NetlinkError.from_errno(errno.ENOENT, "list table", f"{family} {name}", "no such table")
        return rs.table(family, name)

    def __repr__(self) -> str:
        return f"Nftables({self.sock.netns!r})"


# -- decoding listed objects ---------------------------------------------------------------------
def _family(rows: Rows, m: int) -> Optional[str]:
    return FAMILY_NAMES.get(rows.header(m, 1)[0])


def _msgs(rows: Rows, kind: str) -> Iterator[int]:
    t = msg_type(kind)
    return (m for m in rows.messages() if rows.type(m) == t)


def decode_rule(rows: Rows, m: int, family: str) -> Rule:
    """A listed (or echoed) NEWRULE message as a Rule, with its handle."""
    exprs = rows.find(m, RULE["expressions"])
    ops = decode_ops(rows, exprs) if exprs >= 0 else []
    matches, stmts = decompile(ops, family)
    return Rule(matches, stmts, comment_of(rows.get_bytes(m, RULE["userdata"])),
                handle=rows.get_u(m, RULE["handle"]))


def decode_chain(rows: Rows, m: int) -> Chain:
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
                 _POLICY_NAMES.get(policy if policy is not None else 1, "accept"), handle=handle)


def _assemble(tables: Rows, chains: Rows, rules: Rows) -> tuple[Table, ...]:
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
        out.append(Table(name, fam, by_table.get((fam, name), []), handle=tables.get_u(m, TABLE["handle"])))
    return tuple(out)


__all__ = ["Nftables", "Transaction", "Ruleset", "GenerationChanged", "decode_rule", "decode_chain"]
