"""The Docker NAT model in a table this library owns: masquerade, port publishing, teardown.

All rules live in one table (``pynetlink`` by default, family ``ip``), so the host's own
firewall is never touched and ``teardown()`` removes exactly what was made.

Published ports are elements of maps, not rules: PREROUTING (and OUTPUT, for the host's own
connections to a local address) hold a fixed handful of rules such as
``dnat ip to meta l4proto . th dport map @published_v4``, and publishing or unpublishing a
port is one element added or deleted in one transaction, whatever the number of ports.
Maps per IP version (``v4``/``v6``; an ``inet`` table has both):

- ``published_v4``: ``inet_proto . inet_service : ipv4_addr . inet_service`` (any host address);
- ``published_v4_addr``: ``ipv4_addr . inet_proto . inet_service : ...`` (``host_addr`` given),
  consulted first;
- ``remote_only_v4`` / ``remote_only_v4_addr``: keys published with ``local=False`` (OUTPUT
  skips them).

Masquerade rules carry a comment naming what they are for; ``unmasquerade`` deletes by that
comment, pinned to the ruleset generation it read.
"""
from __future__ import annotations

import errno
import ipaddress
import operator
from .._bounded import Bounded
from .._record import record

from ..codec.program import Raw, encode, quiet
from ..errors import ExistsError, InvalidArgument
from ..transport import NetNS
from ..transport.flow import Flow, operation
from . import prepared, validate
from .bulk import Ports, columns, plain, publications
from .match import PROTOCOLS, Fib, Ip, Ip6, Meta, Th, port_field
from .rule import Chain, Rule, Table
from .ruleset import Each, GenerationChanged, Nftables, NftablesBase, Transaction, RETRIES, members
from .sets import Map, NamedSet, Set
from .stmt import Dnat, Drop, Masquerade, NatMap

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Literal, Optional, Sequence, TypeVar, Union
    from ..codec.program import Compiled
else:
    from .._lighttyping import TypeVar

POSTROUTING = Chain("POSTROUTING", "nat", "postrouting", 100)
PREROUTING = Chain("PREROUTING", "nat", "prerouting", -100)
OUTPUT = Chain("OUTPUT", "nat", "output", -100)
FORWARD = Chain("FORWARD", "filter", "forward", 0)          # made only by ``isolate``
_ADDR = {4: "ipv4_addr", 6: "ipv6_addr"}
_VERSIONS = {"ip": (4,), "ip6": (6,), "inet": (4, 6)}     # IP versions of each table family
_HOST_ADDR = operator.attrgetter("host_addr")
_PROTO_BYTES = {name: bytes([PROTOCOLS[name], 0, 0, 0]) for name in ("tcp", "udp")}
T = TypeVar("T")


@record(frozen=True, init=False)
class Publish:
    """``docker run -p [host_addr:]host_port:to_port/proto`` towards container address ``to``."""

    host_port: int
    to: str
    to_port: Optional[int] = None
    proto: str = "tcp"
    host_addr: Optional[str] = None

    def __init__(self, host_port: int, to: str, to_port: Optional[int] = None, proto: str = "tcp",
                 host_addr: Optional[str] = None) -> None:
        # written out (a publish may take hundreds): one dict write per field, then the checks
        d = self.__dict__
        d["host_port"], d["to"], d["to_port"], d["proto"], d["host_addr"] = host_port, to, to_port, proto, host_addr
        self.__post_init__()

    def __post_init__(self) -> None:
        d = self.__dict__
        host_port, to_port, proto = d["host_port"], d["to_port"], d["proto"]
        if type(host_port) is not int or not 0 < host_port < 65536:
            validate.port(host_port)
        version, to_raw, d["to"] = validate.packed_address(d["to"])      # inet_pton, once
        if to_port is not None and (type(to_port) is not int or not 0 < to_port < 65536):
            validate.port(to_port)
        proto_raw = _PROTO_BYTES.get(proto) if type(proto) is str else None
        if proto_raw is None:
            port_field(proto, "dport")                                    # raises
            raise InvalidArgument(f"publish: protocol {proto!r}: expected tcp or udp")
        host_raw = b""
        if d["host_addr"] is not None:
            host_version, host_raw, d["host_addr"] = validate.packed_address(d["host_addr"])
            if host_version != version:
                raise InvalidArgument(f"publish {self.host_addr}:{host_port} to {self.to}: "
                                      "host and container addresses of different IP versions")
        d["_packed"] = (version, to_raw, host_raw)
        # the map element as the kernel stores it (nft's concatenation: members padded to 4 bytes)
        d["_encoded"] = (host_raw + proto_raw + host_port.to_bytes(2, "big") + b"\0\0",
                         to_raw + (to_port or host_port).to_bytes(2, "big") + b"\0\0")

    @property
    def version(self) -> int:
        return self._packed[0]  # type: ignore[attr-defined,no-any-return]

    def encoded(self) -> tuple[bytes, bytes]:
        """(key, value) of this publication's map element as the kernel stores them (nft's
        concatenation: every member padded to 4 bytes)."""
        return self._encoded  # type: ignore[attr-defined,no-any-return]

    @property
    def tag(self) -> str:
        """A name of this publication (its host side)."""
        return f"pynetlink publish {self.proto} {self.host_addr or '*'}:{self.host_port}"

    @property
    def key(self) -> tuple[str | int, ...]:
        """The map key: (proto, host_port), or (host_addr, proto, host_port)."""
        if self.host_addr is None:
            return (self.proto, self.host_port)
        return (self.host_addr, self.proto, self.host_port)

    @property
    def value(self) -> tuple[str, int]:
        return (self.to, self.to_port or self.host_port)

    def rule(self) -> Rule:
        """This publication as one DNAT rule (what a map element replaces)."""
        match = [port_field(self.proto, "dport") == self.host_port]
        if self.host_addr is not None:
            addr = ipaddress.ip_address(self.host_addr)
            match.insert(0, (Ip.daddr if addr.version == 4 else Ip6.daddr) == self.host_addr)
        return Rule(match, [Dnat(self.to, self.to_port or self.host_port)], comment=self.tag)


class DockerNatBase:
    """DockerNat's operations, written once as flows (transport.flow) for the blocking
    ``DockerNat`` and ``pynetlink.aio.AsyncDockerNat``."""

    def __init__(self, nft: NftablesBase, table: str = "pynetlink", family: str = "ip") -> None:
        self.nft = nft
        self.table = validate.name(table, "table name")
        self.family = validate.family(family)
        self.versions = _VERSIONS[self.family]
        self._ready = False          # structure seen in place (or made) by this instance
        self._exclusive_refused = False     # the exclusive first transaction found the table

    # -- structure ----------------------------------------------------------------------------------
    def maps(self, version: int) -> tuple[Map, Map, Set, Set]:
        """(published, published_addr, remote_only, remote_only_addr) of one IP version (empty)."""
        return _MAPS[version]

    @staticmethod
    def _make_maps(version: int) -> tuple[Map, Map, Set, Set]:
        addr = _ADDR[version]
        key = ("inet_proto", "inet_service")
        v = f"v{version}"
        return (Map(f"published_{v}", key, (addr, "inet_service")),
                Map(f"published_{v}_addr", (addr, *key), (addr, "inet_service")),
                Set(f"remote_only_{v}", key), Set(f"remote_only_{v}_addr", (addr, *key)))

    def _rules(self, version: int, local: bool) -> list[Rule]:
        pub, pub_addr, remote, remote_addr = self.maps(version)
        daddr = Ip.daddr if version == 4 else Ip6.daddr
        dep = [Meta.nfproto("ipv4" if version == 4 else "ipv6")] if self.family == "inet" else []
        key, key_addr = Meta.l4proto & Th.dport, daddr & Meta.l4proto & Th.dport
        gate = [Fib.daddr_type == "local"]              # only connections to the host itself
        gate_remote = [key.not_in_set(remote.name)] if local else []
        gate_remote_addr = [key_addr.not_in_set(remote_addr.name)] if local else []
        where = "local" if local else "in"
        return [Rule(dep + gate + gate_remote_addr, [NatMap(key_addr, pub_addr.name, version=version)],
                     comment=f"pynetlink publish {where} v{version} by address"),
                Rule(dep + gate + gate_remote, [NatMap(key, pub.name, version=version)],
                     comment=f"pynetlink publish {where} v{version}")]

    def _drive(self, flow: Flow[T]) -> Any:
        return self.nft._drive(flow)

    def _base(self, tx: Transaction, *, force: bool = False) -> Flow[Transaction]:
        """Table, chains, maps and the map rules, unless this DockerNat already saw them in place.

        The first call per instance checks (rules of PREROUTING and OUTPUT, one GETSET per map);
        if anything is missing or different, the transaction re-creates it idempotently
        (existing maps and their elements stay; PREROUTING and OUTPUT, which are ours, are
        flushed and rewritten). Later calls add nothing: a publication is one element.
        """
        if not force and (self._ready or (yield from self._in_place())):
            self._ready = True
            return tx
        if len(tx):
            return self._structure(tx)
        # the same messages every time for one (table, family): built once per process (set ids
        # are positions in the transaction, so the cached messages go first in an empty one)
        return self._cached_structure(tx, (self.table, self.family), exist_ok=True)

    def _cached_structure(self, tx: Transaction, key: tuple[str, ...], *, exist_ok: bool) -> Transaction:
        """The structure's messages, encoded once per process and ``key`` (one raw item, its
        members labelled as made), added to ``tx``."""
        cached = _STRUCTURE.get(key)
        if cached is None:
            cached = _STRUCTURE[key] = _raw_item(self._structure(Transaction(self.nft), exist_ok=exist_ok))
        tx.items.append(cached[0])  # type: ignore[arg-type]
        tx.labels.append(cached[1])
        return tx

    def _structure(self, tx: Transaction, *, exist_ok: bool = True) -> Transaction:
        tx.add_table(Table(self.table, self.family, [POSTROUTING, PREROUTING, OUTPUT],
                           [s for v in self.versions for s in self.maps(v)]), exist_ok=exist_ok)
        if exist_ok:                # (a table made exclusively has no rules to flush)
            tx.flush(self.table, PREROUTING.name, family=self.family)
            tx.flush(self.table, OUTPUT.name, family=self.family)
        for chain, rules in self._chain_rules().items():
            for r in rules:
                tx.add_rule(self.table, chain, r, family=self.family)
        return tx

    def _chain_rules(self) -> dict[str, list[Rule]]:
        return {PREROUTING.name: [r for v in self.versions for r in self._rules(v, local=False)],
                OUTPUT.name: [r for v in self.versions for r in self._rules(v, local=True)]}

    def _in_place(self) -> Flow[bool]:
        try:
            for chain, want in self._chain_rules().items():
                if (yield from self.nft._rules_flow(self.table, chain, family=self.family)) != want:
                    return False
            for v in self.versions:
                for s in self.maps(v):
                    if not (yield from self.nft._has_set_flow(self.table, s.name, family=self.family)):
                        return False
            return True
        except FileNotFoundError:
            return False

    def _fresh_flow(self, build: Callable[[Transaction], None]) -> Flow[bool]:
        """For an instance that has not seen its table yet, optimistically: the whole structure
        and ``build``'s changes in one transaction, no read first, its NEWTABLE with
        NLM_F_EXCL. True once committed; False when that was refused (the table exists, or
        an element clashed: EEXIST, nothing changed), and the caller reads and writes as usual."""
        if self._ready or self._exclusive_refused:
            return False
        tx = self._cached_structure(self.nft.transaction(), (self.table, self.family, type(self).__qualname__),
                                    exist_ok=False)     # (built once per process, as in _base)
        build(tx)
        try:
            yield from tx.flow()
        except ExistsError:
            self._exclusive_refused = True
            return False
        self._ready = True
        return True

    def _setup_flow(self, masquerade: Sequence[tuple[str, str]] = (),
                    publish: Sequence[Union[Publish, tuple[int, str, int]]] = (), *,
                    local: bool = True) -> Flow[bool]:
        """``masquerade`` each ``(subnet, bridge)`` and ``publish`` the ports, in one
        transaction; returns whether anything changed.

        On a host without the table (a fresh instance) that is the only exchange: structure,
        masquerade rules and map elements go in one transaction that creates the table
        exclusively. Otherwise, as ``masquerade`` and ``publish`` do: the rules are read first
        and the changes committed pinned to that generation. All or nothing; errors as theirs.
        """
        rules = list({r.comment: r for r in (self.masquerade_rule(subnet, bridge)
                                             for subnet, bridge in masquerade)}.values())
        specs = self._specs(publish)

        def elements(tx: Transaction) -> None:
            self._add_publications(tx, specs, local)

        def everything(tx: Transaction) -> None:
            for r in rules:
                tx.add_rule(self.table, POSTROUTING.name, r, family=self.family)
            elements(tx)
        try:
            if (yield from self._fresh_flow(everything)):
                return True
            if rules:
                return (yield from self._ensure_rules_flow(POSTROUTING, rules, elements if specs else None))
            yield from self._commit(elements)
            return bool(specs)
        except ExistsError as exc:
            better = yield from self._clash(specs, exc)
            if better is exc:
                raise
            raise better from exc

    setup = operation(_setup_flow)

    def _commit(self, build: Callable[[Transaction], None]) -> Flow[None]:
        """``build`` on top of the structure, committed; once more with the structure if it
        vanished meanwhile (someone deleted our table)."""
        for attempt in range(2):
            tx = yield from self._base(self.nft.transaction())
            build(tx)
            try:
                yield from tx.flow()
                self._ready = True
                return
            except FileNotFoundError:
                if not self._ready or attempt:
                    raise
                self._ready = False

    def _ensure_flow(self) -> Flow[None]:
        """Create the table, its nat chains, the maps and their rules if missing."""
        return (yield from self._commit(lambda tx: None))

    ensure = operation(_ensure_flow)

    # -- masquerade ---------------------------------------------------------------------------------
    def masquerade_rule(self, subnet: str, bridge: str) -> Rule:
        """The rule ``masquerade`` ensures: ``subnet`` leaving by any interface but ``bridge``."""
        key = (subnet, bridge)
        rule = _MASQ_RULES.get(key) if type(subnet) is str and type(bridge) is str else None
        if rule is not None:            # (an immutable Rule, made once per network)
            return rule
        net = validate.network(subnet)
        field = Ip.saddr if net.version == 4 else Ip6.saddr
        rule = Rule([field == str(net), Meta.oifname != validate.ifname(bridge)], [Masquerade()],
                    comment=f"pynetlink masquerade {net} !{bridge}")
        if type(subnet) is str and type(bridge) is str:
            _MASQ_RULES.put(key, rule)
        return rule

    def _masquerade_flow(self, subnet: str, bridge: str) -> Flow[bool]:
        """Ensure ``subnet`` is masqueraded leaving by any interface except ``bridge``:
        exactly one such rule (found by its comment) in POSTROUTING. Returns whether anything
        changed (False: the rule was there already; re-running adds no duplicate).

        Read and write are pinned to one ruleset generation: duplicates or a changed rule
        with the same comment are replaced in the same transaction as the add.
        """
        return (yield from self._setup_flow([(subnet, bridge)]))

    masquerade = operation(_masquerade_flow)

    def _ensure_rules_flow(self, chain: Chain, rules: list[Rule],
                           extra: Callable[[Transaction], None] | None = None) -> Flow[bool]:
        """Ensure each of ``rules`` is in ``chain`` exactly once (found by its comment; the
        chain is made if missing); returns whether anything changed. ``extra`` adds more
        changes to the same transaction (which then always commits)."""
        for attempt in range(RETRIES):
            # the generation and the chain's rules, read in one transfer
            gen, listed = yield from self.nft._generation_and_rules_flow(
                self.table, chain.name, family=self.family, comments=_comments(rules))
            missing = listed is None        # no table (or no such chain) yet
            haves = [[r for r in listed or () if r.comment == rule.comment] for rule in rules]
            if extra is None and all(len(have) == 1 and have[0] == rule for have, rule in zip(haves, rules)):
                return False
            tx = yield from self._base(self.nft.transaction(genid=gen), force=missing)
            if chain.name != POSTROUTING.name:      # not in the structure: made on demand
                tx.add_chain(self.table, chain, family=self.family)     # (a dump of a missing
                # chain in an existing table is empty, not an error)
            for have, rule in zip(haves, rules):
                if len(have) == 1 and have[0] == rule:
                    continue
                for old in have:
                    if old.handle is not None:
                        tx.delete_rule(self.table, chain.name, old.handle, family=self.family)
                tx.add_rule(self.table, chain.name, rule, family=self.family)
            if extra is not None:
                extra(tx)
            try:
                yield from tx.flow()
            except GenerationChanged:
                if attempt == RETRIES - 1:
                    raise
                continue
            self._ready = True
            return True
        return False

    # -- internal networks ----------------------------------------------------------------------
    def isolation_rules(self, bridge: str) -> list[Rule]:
        """What ``isolate`` ensures in FORWARD: nothing is forwarded into or out of ``bridge``
        (Docker's ``--internal``); traffic between its own ports is bridged, never forwarded."""
        name = validate.ifname(bridge)
        return [Rule([Meta.iifname == name, Meta.oifname != name], [Drop()],
                     comment=f"pynetlink internal {name} out"),
                Rule([Meta.oifname == name, Meta.iifname != name], [Drop()],
                     comment=f"pynetlink internal {name} in")]

    def _isolate_flow(self, bridge: str) -> Flow[bool]:
        """Ensure nothing is forwarded between ``bridge`` and any other interface (a filter
        chain FORWARD in this table, made on demand); returns whether anything changed."""
        return (yield from self._ensure_rules_flow(FORWARD, self.isolation_rules(bridge)))

    isolate = operation(_isolate_flow)

    def _unisolate_flow(self, bridge: str) -> Flow[int]:
        """Delete the rules ``isolate`` made for ``bridge``; returns how many."""
        return (yield from self.nft._delete_tagged_flow(self.table, _comments(self.isolation_rules(bridge)) or (),
                                                        family=self.family))

    unisolate = operation(_unisolate_flow)

    def _unmasquerade_flow(self, subnet: str, bridge: str) -> Flow[int]:
        """Delete the rule(s) ``masquerade`` made for ``subnet``/``bridge``; returns how many."""
        tags = _comments([self.masquerade_rule(subnet, bridge)]) or ()
        return (yield from self.nft._delete_tagged_flow(self.table, tags, family=self.family))

    unmasquerade = operation(_unmasquerade_flow)

    # -- publishing ---------------------------------------------------------------------------------
    def _check(self, p: Publish) -> None:
        if p.version not in self.versions:
            raise InvalidArgument(f"{p.tag} to {p.to}: IPv{p.version} in a table of family {self.family}")

    def _publish_flow(self, *mappings: Union[Publish, tuple[int, str, int]], local: bool = True) -> Flow[None]:
        """Publish ports (``Publish`` or ``(host_port, to, to_port)``), all in one transaction:
        one map element each.

        With ``local`` the host's own connections to a local address and the port are
        published too (OUTPUT); without, the key is also put in ``remote_only``.
        A host port already published elsewhere fails with ``ExistsError``; nothing changes.
        """
        yield from self._setup_flow((), mappings, local=local)

    publish = operation(_publish_flow)

    def _specs(self, mappings: Sequence[Union[Publish, tuple[int, str, int]]]) -> Union[list[Publish], Ports]:
        """The publications checked: as columns when they are plain IPv4 tuples (no object
        each), else as ``Publish`` objects."""
        if 4 in self.versions:
            ports = columns(plain(mappings))
            if ports is not None:
                if not ports.unique():
                    raise InvalidArgument("publish: the same host port is given twice")
                return ports
        specs = publications(mappings, "publish")
        # one IPv4 and one IPv6 target per host port is fine (the key of ``tag``, as a tuple)
        if len({(s._packed[0], s.proto, s.host_addr, s.host_port) for s in specs}) != len(specs):  # type: ignore[attr-defined]
            raise InvalidArgument("publish: the same host port is given twice")
        if not {s._packed[0] for s in specs} <= set(self.versions):   # type: ignore[attr-defined]
            for sp in specs:
                self._check(sp)
        return specs

    def _add_publications(self, tx: Transaction, specs: Union[list[Publish], Ports], local: bool) -> None:
        if isinstance(specs, Ports):            # IPv4, no host address: elements of published_v4
            pub, _, remote, _ = self.maps(4)
            tx._add_lists(self.table, pub.name, specs.element_lists(), len(specs), family=self.family, exist_ok=False)
            if not local:
                tx.add_encoded(self.table, remote.name, [(k, None) for k, _ in specs.elements()], family=self.family)
            return
        for v in self.versions:
            pub, pub_addr, remote, remote_addr = self.maps(v)
            mine = specs if len(self.versions) == 1 else [sp for sp in specs if sp.version == v]
            plain = not any(map(_HOST_ADDR, mine))
            for m, r, addr in ((pub, remote, False), (pub_addr, remote_addr, True)):
                # elements packed from the validated Publish values (no second parse)
                if plain:
                    group = [] if addr else [sp._encoded for sp in mine]  # type: ignore[attr-defined]
                else:
                    group = [sp.encoded() for sp in mine if (sp.host_addr is not None) == addr]
                if group:
                    tx.add_encoded(self.table, m.name, group, family=self.family, exist_ok=False)
                if group and not local:
                    tx.add_encoded(self.table, r.name, [(k, None) for k, _ in group], family=self.family)

    def _clash(self, specs: Union[list[Publish], Ports], exc: ExistsError) -> Flow[ExistsError]:
        """The error to raise for a refused publication: which host ports are taken, and by
        what (or ``exc`` itself when none of ``specs`` is)."""
        if isinstance(specs, Ports):
            specs = publications(specs.mappings, "publish")
        taken = {p.key: p for p in (yield from self._published_flow())}
        clash = [f"host port {sp.proto}/{sp.host_port}" + (f" on {sp.host_addr}" if sp.host_addr else "")
                 + f" is already published (to {taken[sp.key].to}:{taken[sp.key].to_port})"
                 for sp in specs if sp.key in taken]
        if not clash:
            return exc
        return ExistsError(errno.EEXIST, "publish", f"{self.family} {self.table}",
                           "; ".join(clash) + "; unpublish it first (nothing changed)")

    def _unpublish_flow(self, host_port: int, proto: str = "tcp", host_addr: Optional[str] = None) -> Flow[int]:
        """Remove one publication (its map element); returns 1, or 0 if it was not published."""
        key_spec = Publish(host_port, host_addr or "0.0.0.0", None, proto, host_addr)
        versions = [key_spec.version] if host_addr else list(self.versions)
        for attempt in range(RETRIES):
            gen = yield from self.nft._generation_flow()
            tx = self.nft.transaction(genid=gen)
            found = 0
            for v in versions:
                pub, pub_addr, remote, remote_addr = self.maps(v)
                spec = Publish(host_port, host_addr or ("0.0.0.0" if v == 4 else "::"), None, proto, host_addr)
                m, r = (pub_addr, remote_addr) if host_addr else (pub, remote)
                for s in (m, r):
                    try:
                        present = yield from self.nft._has_element_flow(self.table, s, spec.key, family=self.family)
                    except FileNotFoundError:
                        present = False
                    if present:
                        tx.delete_elements(self.table, s, [spec.key], family=self.family)
                        found += s is m
            if not len(tx):
                return 0
            try:
                yield from tx.flow()
                return found
            except GenerationChanged:
                if attempt == RETRIES - 1:
                    raise
        return 0

    unpublish = operation(_unpublish_flow)

    def _published_flow(self) -> Flow[list[Publish]]:
        """The current publications, read from the maps."""
        try:
            table = yield from self.nft._table_flow(self.table, family=self.family)
        except FileNotFoundError:
            return []
        out: list[Publish] = []
        for v in self.versions:
            pub, pub_addr, _, _ = self.maps(v)
            for m in (pub, pub_addr):
                listed = _listed(table, m.name)
                if not isinstance(listed, Map):
                    continue
                for key, value in listed.elements.items():
                    assert isinstance(key, tuple) and isinstance(value, tuple)
                    host_addr = str(key[0]) if len(key) == 3 else None
                    proto, port = key[-2], key[-1]
                    out.append(Publish(int(port), str(value[0]), int(value[1]), str(proto), host_addr))
        return sorted(out, key=lambda p: (p.proto, p.host_port, p.host_addr or ""))

    published = operation(_published_flow)

    def _teardown_flow(self) -> Flow[None]:
        """Delete our table and everything in it (nothing else is touched)."""
        self._ready = False
        return (yield from self.nft._delete_table_flow(self.table, family=self.family, missing_ok=True))

    teardown = operation(_teardown_flow)


class DockerNat(DockerNatBase):
    """Masquerade and port publishing for bridge networks, in a table of our own."""

    flow_mode: Literal["sync"] = "sync"
    nft: Nftables

    def __init__(self, nft: Nftables, table: str = "pynetlink", family: str = "ip") -> None:
        DockerNatBase.__init__(self, nft, table, family)     # (not super(): the first setup's clock)

    def _drive(self, flow: Flow[T]) -> T:
        return self.nft._drive(flow)

    def setup(self, masquerade: Sequence[tuple[str, str]] = (),
              publish: Sequence[Union[Publish, tuple[int, str, int]]] = (), *, local: bool = True) -> bool:
        """``masquerade`` each ``(subnet, bridge)`` and ``publish`` the ports, in one
        transaction; returns whether anything changed (``DockerNatBase._setup_flow``). The
        first call of an instance with plain IPv4 publications (tuples, or ``Publish`` objects
        without a host address) sends a prepared transaction
        (``nft.prepared``: the fixed members encoded once, the elements filled in C)."""
        if local and not self._ready and not self._exclusive_refused and publish:
            if prepared.setup(self, masquerade, plain(publish)):
                self._ready = True
                return True
        return self._drive(self._setup_flow(masquerade, publish, local=local))


_MAPS = {v: DockerNatBase._make_maps(v) for v in (4, 6)}
_STRUCTURE: dict[tuple[str, ...], tuple[tuple[Compiled, Raw], Each]] = {}
_MASQ_RULES: Bounded[tuple[str, str], Rule] = Bounded(1024)


def _listed(table: Table, name: str) -> Optional[NamedSet]:
    try:
        return table.set(name)
    except KeyError:
        return None


def _raw_item(tx: Transaction) -> tuple[tuple[Compiled, Raw], Each]:
    """A transaction's items (one message each) as one raw item, encoded as its commit does
    (NLM_F_ACK on the last message only), and the label of each of its messages."""
    assert all(members(v) == 1 for _, v in tx.items), "a bulk item in the structure"
    items = [(quiet(p), v) for p, v in tx.items[:-1]] + tx.items[-1:]
    enc = encode(items, 0)
    labels = tuple(tx.labels)

    def label(k: int) -> tuple[str, str]:
        lb = labels[k]
        return lb if isinstance(lb, tuple) else lb(0) if isinstance(lb, Each) else lb()
    return (tx.items[0][0], Raw(enc.tobytes(), enc.n, tuple(enc.programs))), Each(label)


def set_forwarding(netns: "NetNS | str", enabled: bool = True, *, ipv6: bool = False) -> None:
    """Turn IPv4 (and with ``ipv6`` also IPv6) forwarding on or off in one namespace only."""
    ns = NetNS.open(netns)
    ns.set_sysctl("net.ipv4.ip_forward", int(enabled))
    if ipv6:
        ns.set_sysctl("net.ipv6.conf.all.forwarding", int(enabled))


def forwarding(netns: "NetNS | str") -> tuple[bool, bool]:
    """(IPv4, IPv6) forwarding of a namespace."""
    ns = NetNS.open(netns)
    return ns.sysctl("net.ipv4.ip_forward") == "1", ns.sysctl("net.ipv6.conf.all.forwarding") == "1"


__all__ = ["DockerNat", "Publish", "set_forwarding", "forwarding"]


def _comments(rules: Sequence[Rule]) -> Optional[list[str]]:
    """The comments that find ``rules`` in a listing (None: one has none, read them all)."""
    out = [r.comment for r in rules if r.comment is not None]
    return out if len(out) == len(rules) else None
