"""Requests and their execution: name resolution, phases, one transfer per phase.

A ``Request`` is one user-level operation (``create veth``): it names the links whose
ifindex it needs, the links it creates, and builds its message(s) once those are known.
``run()`` executes any number of them on one socket:

1. every link name needed that no earlier request creates is resolved up front, with one
   round trip (pipelined RTM_GETLINK by name; a dump when there are many). A name that does
   not exist is bad input: ``InvalidArgument``, nothing sent;
2. requests go out in *phases*, one transfer each: a new phase starts only where a request
   needs a link an earlier request of the same batch creates (``master="br0"`` after
   ``create br0``); names created by earlier phases are resolved between phases;
3. each request gets one ``Outcome`` (error or value); dumps run on their own, with the
   socket's NLM_F_DUMP_INTR retries.
"""
from __future__ import annotations

import errno
import fcntl
import struct
from .._record import record

from .._native import lib
from ..codec.rows import Pluck, Rows
from ..errors import InvalidArgument, NetlinkError
from ..transport import flow
from ..transport.flow import Flow, drive
from ..transport.netns import NetNS
from ..transport.socket import NetlinkSocket, Reply
from .message import Msg, field_name
from .validate import LinkRef

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Generic, Hashable, Iterable, Mapping, Protocol, Sequence, TypeVar, cast

    from .._bounded import Bounded
    from ..codec.program import Compiled
else:
    from .._lighttyping import Any, Callable, Generic, Protocol, TypeVar, cast

T = TypeVar("T")
if TYPE_CHECKING:                  # PEP 696 defaults (typing has them from 3.13): a bare Request is Request[Any]
    from typing_extensions import TypeVar as _TypeVarDefault
    V = _TypeVarDefault("V", default=Any)
else:
    V = TypeVar("V")
Resolve = Callable[[LinkRef], int]
Parse = Callable[[Rows, list[int]], Any]
RTEXT_FILTER_SKIP_STATS = 1 << 3   # <linux/rtnetlink.h>
_GETS_LIMIT = 32                   # more names than this: one dump instead of gets
_IFI = struct.Struct("=BxHiII")
_SIOCGIFINDEX = 0x8933             # <linux/sockios.h>
_IFNAMSIZ = 16
_IFREQ = struct.Struct("16s24x")   # struct ifreq: ifr_name, then a 24-byte union (ifr_ifindex: int)
_IFREQ_INDEX = struct.Struct("=i")


class Request(Generic[V]):
    """One operation: its label, what it needs and creates, and how to build and parse it.
    ``V`` is the type of its value (what ``parse`` returns; None without one).

    ``undo`` is the inverse, for batches that roll back; it may be given as a function that
    makes it, called on first use (most batches never roll back); ``hints`` likewise, made
    only when the request fails. ``then`` builds messages
    sent only once ``build``'s have succeeded (e.g. what the kernel ignores in a create, which
    must not reach another link of the same name when the create is refused).
    ``members`` makes it a request of several independent messages (``routes.add_many``):
    an error names its member, and the members that succeeded are undone at once.
    """

    __slots__ = ("operation", "target", "build", "needs", "creates", "parse", "dump", "_undo", "hints",
                 "then", "members", "pluck", "key")

    def __init__(self, operation: str, target: str, build: Callable[[Resolve], list[Msg]],
                 needs: tuple[str, ...] = (), creates: tuple[str, ...] = (), parse: Parse | None = None,
                 dump: bool = False, undo: "Request | Callable[[], Request] | None" = None,
                 hints: "Mapping[int, str] | Callable[[], Mapping[int, str]] | None" = None,
                 then: Callable[[Resolve], list[Msg]] | None = None,
                 members: "Members | None" = None, pluck: Pluck | None = None,
                 key: "Hashable | None" = None) -> None:
        self.members = members
        self.key = key                   # a dump whose one message is made of these alone (see _dump_one)
        self.pluck = pluck               # a dump's views' columns: decoded without a row table
        self.hints = hints               # errno -> what it means for this request (in the error)
        self.then = then
        self.operation = operation
        self.target = target
        self.build = build
        self.needs = needs
        self.creates = creates
        self.parse = parse
        self.dump = dump
        self._undo = undo

    @property
    def undo(self) -> "Request | None":
        u = self._undo
        if u is not None and not isinstance(u, Request):
            u = self._undo = u()
        return u

    @undo.setter
    def undo(self, value: "Request | Callable[[], Request] | None") -> None:
        self._undo = value

    def __repr__(self) -> str:
        return f"Request({self.operation!r}, {self.target!r}, needs={self.needs!r}, creates={self.creates!r})"


class Members:
    """The messages of a multi-member request: ``names[k]`` names message k in errors;
    ``undo(ok)`` is the Request that reverts the members ``ok`` (indexes) that succeeded."""

    __slots__ = ("names", "undo")

    def __init__(self, names: Sequence[str], undo: Callable[[list[int]], Request]) -> None:
        self.names = names
        self.undo = undo


@record(init=False)
class Outcome(Generic[T]):
    """The result of one request: ``error`` (None on success) and the decoded ``value``."""

    operation: str
    target: str
    error: BaseException | None = None
    value: T | None = None
    done: bool = False

    def __init__(self, operation: str, target: str, error: BaseException | None = None,
                 value: T | None = None, done: bool = False) -> None:
        # one per request (W1: five per container): the record's shared __init__ loop costs
        # ~3 us, this ~0.3; tests/test_record.py keeps the signature equal to the fields
        self.operation, self.target, self.error, self.value, self.done = operation, target, error, value, done

    @property
    def ok(self) -> bool:
        return self.done and self.error is None

    def result(self) -> T | None:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value

    def __repr__(self) -> str:
        state = "pending" if not self.done else ("ok" if self.error is None else repr(self.error))
        return f"<Outcome {self.operation} {self.target}: {state}>"


def ifindex_of(rows: Rows, msg: int) -> int:
    """ifi_index of an RTM_NEWLINK message row."""
    return int(_IFI.unpack(rows.header(msg, _IFI.size))[2])


def getlink_msg(name: str) -> Msg:
    return (Msg("get link", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_ACK)
            .fixed("Link.header", "BxHiII", 0, 0, 0, 0, 0)
            .string(lib.IFLA_IFNAME, "Link.name", name)
            .u32(lib.IFLA_EXT_MASK, "Link.ext_mask", RTEXT_FILTER_SKIP_STATS))


def dumplink_msg() -> Msg:
    return (Msg("dump links", lib.RTM_GETLINK, lib.NLM_F_REQUEST | lib.NLM_F_DUMP, dump=True)
            .fixed("Link.header", "BxHiII", 0, 0, 0, 0, 0)
            .u32(lib.IFLA_EXT_MASK, "Link.ext_mask", RTEXT_FILTER_SKIP_STATS))


class Endpoint(Protocol):
    """What the flows need of a socket besides transfers (NetlinkSocket, AsyncNetlinkSocket)."""

    @property
    def netns(self) -> NetNS | None: ...

    def fileno(self) -> int: ...


def lookup(sock: NetlinkSocket, names: Iterable[str]) -> dict[str, int]:
    """ifindex of each existing name (missing names are left out); see ``lookup_flow``."""
    return drive(sock, lookup_flow(sock, names))


def lookup_flow(sock: Endpoint, names: Iterable[str]) -> Flow[dict[str, int]]:
    """ifindex of each existing name (missing names are left out).

    One ``SIOCGIFINDEX`` ioctl per name on the netlink socket itself: the kernel answers
    it for the socket's namespace (``sock_do_ioctl`` -> ``dev_ioctl(sock_net(sk))``), with
    no message to build, send, receive or parse. Should the ioctl be refused, one round trip
    of RTM_GETLINK does it (pipelined gets by name; a dump when there are many).
    """
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = _ioctl_lookup(sock, wanted)
    if found is not None:
        return found
    return (yield from _netlink_lookup(wanted))


def _ioctl_lookup(sock: Endpoint, wanted: list[str]) -> dict[str, int] | None:
    fd = sock.fileno()
    out: dict[str, int] = {}
    for name in wanted:
        try:
            res = fcntl.ioctl(fd, _SIOCGIFINDEX, _IFREQ.pack(name.encode()))
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                continue
            return None             # not answered here: ask with netlink messages instead
        out[name] = _IFREQ_INDEX.unpack_from(res, _IFNAMSIZ)[0]
    return out


def _netlink_lookup(wanted: list[str]) -> Flow[dict[str, int]]:
    out: dict[str, int] = {}
    if len(wanted) > _GETS_LIMIT:
        reply = yield from flow.dump(*dumplink_msg().item(), label=("dump links", ""))
        rows = reply.rows
        want = set(wanted)
        for m in reply.results[0].messages:
            name = rows.get_str(m, lib.IFLA_IFNAME)
            if name in want:
                out[name] = ifindex_of(rows, m)
        return out
    reply = yield from flow.transact([getlink_msg(n).item() for n in wanted],
                                     [("get link", n) for n in wanted])
    for name, res in zip(wanted, reply.results):
        if res.error is None and res.messages:
            out[name] = ifindex_of(reply.rows, res.messages[0])
        elif res.error is not None and res.error.errno not in (errno.ENODEV, errno.ENOENT):
            raise res.error
    return out


def _where(sock: Endpoint) -> str:
    ns = sock.netns
    return "" if ns is None else f" in netns {ns.name or ns.path}"


def _clean(err: NetlinkError,
           hints: "Mapping[int, str] | Callable[[], Mapping[int, str]] | None" = None) -> NetlinkError:
    """The same error with the innermost field name (``Vlan.id``) instead of the full path,
    and the request's hint for this errno (which argument or object is at fault)."""
    if callable(hints):
        hints = hints()
    hint = hints.get(int(err.errno or 0)) if hints else None
    if not err.field and not hint:
        return err
    extack = err.extack if not hint else f"{err.extack}; {hint}" if err.extack else hint
    return NetlinkError.from_errno(int(err.errno or errno.EIO), err.operation, err.target, extack,
                                   field_name(err.field) if err.field else "", err.offset)


def run(sock: NetlinkSocket, requests: Sequence[Request], outcomes: Sequence[Outcome[Any]] | None = None,
        *, chunk: int = 64) -> list[Outcome[Any]]:
    """Execute requests in order, filling one Outcome each (see the module docstring)."""
    return drive(sock, run_flow(sock, requests, outcomes, chunk=chunk))


def run_flow(sock: Endpoint, requests: Sequence[Request], outcomes: Sequence[Outcome[Any]] | None = None,
             *, chunk: int = 64) -> Flow[list[Outcome[Any]]]:
    """``run`` as a flow (transport.flow): the same steps on a blocking or an asyncio socket.

    An Outcome left ``done=False`` was never executed (a cancelled asyncio run)."""
    where = _where(sock)
    if outcomes is None:
        outcomes = [Outcome(r.operation, r.target) for r in requests]
    outcomes = list(outcomes)
    if where:
        for o in outcomes:
            o.target += where
    made_here: set[str] = set()
    external: set[str] = set()
    dumps = thens = depends = False
    for r in requests:
        if r.needs:
            for n in r.needs:
                if n in made_here:
                    depends = True          # on a link an earlier request of the batch creates
                else:
                    external.add(n)
        if r.creates:
            made_here.update(r.creates)
        if r.dump:
            dumps = True
        if r.then is not None:
            thens = True
    index = (yield from lookup_flow(sock, external)) if external else {}
    missing = sorted(external - index.keys())
    if missing:
        raise InvalidArgument(f"no such link{'s' if len(missing) > 1 else ''} in this namespace: "
                              f"{', '.join(missing)}")
    # no request needing what another creates and no dump: one phase (what _phases would
    # find, without its walk), every name it needs resolved already
    for phase in _phases(requests) if depends or dumps else [list(range(len(requests)))]:
        yield from _run_phase(sock, requests, outcomes, phase, index, chunk, created=depends)
        follow = [i for i in phase if requests[i].then is not None and outcomes[i].ok] if thens else None
        if follow:
            yield from _run_phase(sock, requests, outcomes, follow, index, chunk, then=True, created=depends)
    return outcomes


def _phases(requests: Sequence[Request]) -> list[list[int]]:
    phases: list[list[int]] = []
    current: list[int] = []
    made: set[str] = set()
    for i, r in enumerate(requests):
        if current and (r.dump or requests[current[-1]].dump or (r.needs and made.intersection(r.needs))):
            phases.append(current)
            current, made = [], set()
        current.append(i)
        if r.creates:
            made.update(r.creates)
    if current:
        phases.append(current)
    return phases


def _run_phase(sock: Endpoint, requests: Sequence[Request], outcomes: Sequence[Outcome[Any]],
               phase: list[int], index: dict[str, int], chunk: int, then: bool = False,
               created: bool = True) -> Flow[None]:
    """``created``: a request of the batch needs a link another creates (else every name
    needed was resolved up front)."""
    if created:
        later = {n for i in phase for n in requests[i].needs if n not in index}
        if later:
            index.update((yield from lookup_flow(sock, later)))

    def resolve(ref: LinkRef) -> int:
        return ref if isinstance(ref, int) else index[ref]

    items: list[tuple[int, Msg]] = []
    spans: dict[int, tuple[int, int]] = {}     # multi-member requests: their messages
    try:
        n_msgs = _build(requests, outcomes, phase, resolve, items, spans,
                        index if created else None, then)
        if not items:
            return
        if len(items) == 1 and requests[items[0][0]].dump:
            i, m = items[0]
            reply = yield from flow.dump(*m.item(), label=(requests[i].operation, outcomes[i].target),
                                         pluck=requests[i].pluck)
        else:
            reply = yield from flow.transact([m.item() for _, m in items],
                                             _labels(sock, requests, outcomes, items, spans, n_msgs),
                                             chunk=chunk)
        yield from _settle(sock, requests, outcomes, items, spans, reply)
    finally:
        for _, m in items:
            if m.fds:
                m.close_fds()


def _build(requests: Sequence[Request], outcomes: Sequence[Outcome[Any]], phase: list[int],
           resolve: Resolve, items: list[tuple[int, Msg]], spans: dict[int, tuple[int, int]],
           index: dict[str, int] | None, then: bool) -> int:
    """The messages of a phase's requests into ``items`` (and the multi-member ones' spans);
    how many messages (a bulk Msg stands for many). ``index``: the names known, when a
    request may need a link an earlier one failed to create (None: all were resolved)."""
    append = items.append
    n_msgs = 0
    for i in phase:
        r = requests[i]
        if index is not None and r.needs:
            gone = [n for n in r.needs if n not in index]
            if gone:
                out = outcomes[i]
                out.error = NetlinkError.from_errno(
                    int(errno.ENODEV), r.operation, out.target,
                    f"link {', '.join(gone)} does not exist (an earlier request of the batch failed)")
                out.done = True
                continue
        try:
            msgs = r.then(resolve) if then and r.then is not None else r.build(resolve)
        except OSError as exc:          # e.g. a target namespace that vanished
            outcomes[i].error, outcomes[i].done = exc, True
            continue
        if r.members is not None:
            size = sum(m.count for m in msgs)
            spans[i] = (n_msgs, n_msgs + size)
            outcomes[i].done = not size
        for m in msgs:
            append((i, m))
            n_msgs += m.count
    return n_msgs


def _labels(sock: Endpoint, requests: Sequence[Request], outcomes: Sequence[Outcome[Any]],
            items: list[tuple[int, Msg]], spans: dict[int, tuple[int, int]], n_msgs: int) -> Callable[[int], tuple[str, str]]:
    """(operation, target) of message k of a transfer, for its error."""
    starts = _starts(items) if n_msgs != len(items) else None

    def label(k: int) -> tuple[str, str]:     # only asked for failed requests
        item = k
        if starts is not None:
            from bisect import bisect_right     # (a failure's label only: not imported up front)
            item = bisect_right(starts, k) - 1
        i = items[item][0]
        r = requests[i]
        if r.members is not None:
            return r.operation, r.members.names[k - spans[i][0]] + _where(sock)
        return r.operation, outcomes[i].target
    return label


def _settle(sock: Endpoint, requests: Sequence[Request], outcomes: Sequence[Outcome[Any]],
            items: list[tuple[int, Msg]], spans: dict[int, tuple[int, int]], reply: Reply) -> Flow[None]:
    """Outcomes from a phase's reply; the members that succeeded of a multi-member request
    that failed are undone."""
    _collect(requests, outcomes, items, reply)
    undo = _partial_undo(requests, outcomes, spans, reply)
    if undo:
        yield from run_flow(sock, undo)


def _no_names(ref: LinkRef) -> int:
    if isinstance(ref, int):
        return ref
    raise AssertionError(f"link {ref!r} was not resolved")    # (a request without needs names none)


def _run_plain(sock: NetlinkSocket, request: Request[V]) -> V:
    """``run_one`` of a request that needs no link name, dumps nothing, has no second step
    and parses nothing: its transfer at once; the outcome collected only when the reply
    has something other than plain acks (``_settle``, as ``run`` does)."""
    outcome: Outcome[V] = Outcome(request.operation, request.target + _where(sock))
    items: list[tuple[int, Msg]] = []
    spans: dict[int, tuple[int, int]] = {}
    try:
        n_msgs = _build((request,), (outcome,), [0], _no_names, items, spans, None, False)
        if items:
            reply = sock.transact([m.item() for _, m in items],
                                  labels=_labels(sock, (request,), (outcome,), items, spans, n_msgs))
            if reply.odd:
                drive(sock, _settle(sock, (request,), (outcome,), items, spans, reply))
            else:
                outcome.done = True
    finally:
        for _, m in items:
            if m.fds:
                m.close_fds()
    return cast(V, outcome.result())


def _starts(items: list[tuple[int, Msg]]) -> list[int]:
    """The index of each item's first message (a bulk Msg stands for ``count``)."""
    out, k = [], 0
    for _, m in items:
        out.append(k)
        k += m.count
    return out


def _collect(requests: Sequence[Request], outcomes: Sequence[Outcome[Any]],
             items: list[tuple[int, Msg]], reply: Reply) -> None:
    msgs: dict[int, list[int]] = {}
    if len(items) != reply.encoded.n:
        _collect_bulk(requests, outcomes, items, reply, msgs)
    else:
        for (i, _), res in zip(items, reply.results):
            if not res.done:
                continue                        # never sent, or cut off: left not done
            out = outcomes[i]
            out.done = True
            if res.error is not None and out.error is None:
                out.error = _clean(res.error, requests[i].hints)
            if requests[i].parse is not None:
                got = msgs.get(i)               # one result's list as it is (a dump's: no copy)
                msgs[i] = res.messages if got is None else [*got, *res.messages]
    for i, rows_of in msgs.items():
        out, parse = outcomes[i], requests[i].parse
        if out.error is None and parse is not None:
            out.value = parse(reply.rows, rows_of)


def _collect_bulk(requests: Sequence[Request], outcomes: Sequence[Outcome[Any]],
                  items: list[tuple[int, Msg]], reply: Reply, msgs: dict[int, list[int]]) -> None:
    """``_collect`` where a Msg stands for many messages: their Results are looked at only
    where the status table says something happened (an error, not done) or to parse."""
    odd, k, hi = reply.odd, 0, 0        # odd is sorted: each item's part of it in turn
    for i, m in items:
        c, out = m.count, outcomes[i]
        lo = hi
        while hi < len(odd) and odd[hi] < k + c:
            hi += 1
        results = reply.results if hi > lo or requests[i].parse is not None else None
        undone = 0
        for j in odd[lo:hi]:
            assert results is not None
            res = results[j]
            if not res.done:
                undone += 1
            elif res.error is not None and out.error is None:
                out.error = _clean(res.error, requests[i].hints)
        if undone < c:
            out.done = True
            if results is not None and requests[i].parse is not None:
                msgs.setdefault(i, []).extend(x for res in results[k:k + c] if res.done for x in res.messages)
        k += c


def _partial_undo(requests: Sequence[Request], outcomes: Sequence[Outcome[Any]],
                  spans: dict[int, tuple[int, int]], reply: Reply) -> list[Request]:
    """For each multi-member request that failed, the Request reverting its members that
    succeeded (they are undone at once: such a request is all or nothing)."""
    undo = []
    for i, (start, end) in spans.items():
        members = requests[i].members
        if outcomes[i].error is not None and members is not None:
            odd = {k for k in reply.odd if start <= k < end
                   and (not reply.results[k].done or reply.results[k].error is not None)}
            ok = [k - start for k in range(start, end) if k not in odd]
            if ok:
                undo.append(members.undo(ok))
    return undo


def run_one(sock: NetlinkSocket, request: Request[V]) -> V:
    """Execute one request; return its value or raise its error."""
    r = request
    if r.dump and not r.needs and r.then is None and r.members is None:
        return cast(V, _dump_one(sock, r))
    if r.needs or r.dump or r.then is not None or r.parse is not None:
        return cast(V, run(sock, [r])[0].result())
    return _run_plain(sock, r)


MEMO_MAX = 64                      # requests a ``memo`` cache keeps


def memo(cache: "Bounded[Hashable, Request[V]]", make: "Callable[..., Request[V]]", *args: Any) -> "Request[V]":
    """``make(*args)``, kept in ``cache`` by the arguments' values and types (a
    ``Bounded(MEMO_MAX)``: a new one takes the oldest's place when full): a dump asked again
    and again is one Request (it holds no state of a run; its arguments were checked when it
    was made). Unhashable arguments: made each time."""
    key = (args, tuple(map(type, args)))
    try:
        r = cache.get(key)
    except TypeError:
        return make(*args)
    return cache.put(key, make(*args)) if r is None else r


def _no_name(ref: LinkRef) -> int:
    """A dump's ``resolve``: it needs no link name (as ``run`` with nothing looked up)."""
    if isinstance(ref, int):
        return ref
    raise KeyError(ref)


def _dump_one(sock: NetlinkSocket, r: Request[V]) -> V | None:
    """``run`` of one dump needing no link name (every view dump): its one message sent
    as ``_run_phase`` sends it, its reply parsed as ``_collect`` parses it, without the
    batch's bookkeeping (phases, outcomes); another shape goes through ``run``."""
    if r.key is not None:           # built and encoded once for every socket (NetlinkSocket.dump_prepared)
        got = sock.dump_prepared(r.key, lambda: _only_item(r), (r.operation, r.target + _where(sock)),
                                 r.pluck, parse=r.parse or _no_value)
        return _dumped(got, r) if isinstance(got, Reply) else got      # (a Reply: not answered plainly)
    msgs = r.build(_no_name)
    try:
        if len(msgs) != 1:
            built = Request(r.operation, r.target, lambda _: msgs, parse=r.parse, dump=True,
                            hints=r.hints, pluck=r.pluck)
            return run(sock, [built])[0].result()
        m = msgs[0]
        reply = drive(sock, flow.dump(*m.item(), label=(r.operation, r.target + _where(sock)),
                                      pluck=r.pluck))
    finally:
        for m in msgs:
            if m.fds:
                m.close_fds()
    return _dumped(reply, r)


def _no_value(rows: Rows, msgs: list[int]) -> None:
    """The value of a dump without ``parse``."""
    return None


def _dumped(reply: Reply, r: Request[V]) -> V | None:
    """The value of dump ``r`` from its Reply (as ``_collect`` makes it)."""
    res = reply.results[0]
    if not res.done:
        return None
    if res.error is not None:
        raise _clean(res.error, r.hints)
    return r.parse(reply.rows, res.messages) if r.parse is not None else None


def _only_item(r: Request[Any]) -> tuple[Compiled, Sequence[Any]]:
    """The (program, values) of the one message of a keyed dump (it needs no link name and
    holds no file descriptor)."""
    msgs = r.build(_no_name)
    if len(msgs) != 1 or msgs[0].fds:
        raise InvalidArgument(f"{r.operation}: a keyed request must build one message without descriptors")
    return msgs[0].item()

