"""Flows: multi-step netlink operations written once for the blocking and the asyncio socket.

A flow is a generator that yields a ``Transfer`` (a batch to send) and receives its
``Reply``; it returns the operation's value. It does no I/O itself, so the same code
(name lookups, phases, dump retries, nftables read-modify-write) runs on a
``NetlinkSocket`` with ``drive(sock, flow)`` and on a ``transport.aio.AsyncNetlinkSocket``
with ``await adrive(asock, flow)``: only the waiting differs. Errors of a transfer are
thrown into the flow at its ``yield``, so a flow may catch them.
"""
from __future__ import annotations

from .._record import record

from ..codec.program import Compiled
from ..errors import DumpInterrupted
from .socket import DUMP_RETRIES, Label, Labels, Reply

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import (Any, Awaitable, Callable, Concatenate, Generator, Generic, Literal, ParamSpec, Protocol,
                        Sequence, TypeVar, overload)
else:
    from .._lighttyping import Any, Generator, Generic, ParamSpec, Protocol, Sequence, TypeVar

T = TypeVar("T")
P = ParamSpec("P")
Items = Sequence[tuple[Compiled, Sequence[Any]]]


@record(frozen=True, init=False)
class Transfer:
    """One batch for the socket: ``NetlinkSocket.transact``'s arguments."""

    items: Items
    labels: Labels = None
    atomic: bool = False
    chunk: int = 64
    pluck: Any = None           # a codec.rows.Pluck: decode into its columns, no row table

    def __init__(self, items: Items, labels: Labels = None, atomic: bool = False, chunk: int = 64,
                 pluck: Any = None) -> None:
        # one per transfer: the record's shared __init__ loop costs ~2 us, this ~0.3;
        # tests/test_record.py keeps the signature equal to the fields
        d = self.__dict__
        d["items"], d["labels"], d["atomic"], d["chunk"], d["pluck"] = items, labels, atomic, chunk, pluck


Flow = Generator[Transfer, Reply, T]


class Transactor(Protocol):
    def transact(self, items: Items, *, labels: Labels = None, atomic: bool = False,
                 chunk: int = 64, pluck: Any = None) -> Reply: ...


def drive(sock: Transactor, flow: Flow[T]) -> T:
    """Run a flow to its end on a blocking socket; its value."""
    try:
        step = next(flow)
        while True:
            try:
                reply = sock.transact(step.items, labels=step.labels, atomic=step.atomic, chunk=step.chunk,
                                      pluck=step.pluck)
            except Exception as exc:           # the flow may handle it; if not, it comes back out
                step = flow.throw(exc)
            else:
                step = flow.send(reply)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


class SyncDriver(Protocol):
    """An object whose operations run at once: ``_drive(flow)`` returns the value."""

    flow_mode: Literal["sync"]

    def _drive(self, flow: Flow[T]) -> T: ...


class AsyncDriver(Protocol):
    """An object whose operations are awaited: ``_drive(flow)`` returns an awaitable."""

    flow_mode: Literal["async"]

    def _drive(self, flow: Flow[T]) -> Awaitable[T]: ...


class operation(Generic[P, T]):
    """A method written once as a flow, run by its object's ``_drive``.

    ``name = operation(_name_flow)`` in a class shared by a blocking and an asyncio front end
    gives ``obj.name(...)`` returning the value on a ``SyncDriver`` and an awaitable on an
    ``AsyncDriver`` (typed per front end). Inside flows call the generator method itself
    (``yield from self._name_flow(...)``).
    """

    def __init__(self, fn: Callable[Concatenate[Any, P], Flow[T]]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __call__(self, obj: Any, *args: P.args, **kw: P.kwargs) -> Any:
        """Called through the class: ``Cls.name(obj, ...)``."""
        return obj._drive(self.fn(obj, *args, **kw))

    if TYPE_CHECKING:
        @overload
        def __get__(self, obj: None, owner: type) -> "operation[P, T]": ...
        @overload
        def __get__(self, obj: SyncDriver, owner: type) -> Callable[P, T]: ...
        @overload
        def __get__(self, obj: AsyncDriver, owner: type) -> Callable[P, Awaitable[T]]: ...

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        fn, run = self.fn, obj._drive

        def call(*args: Any, **kw: Any) -> Any:
            return run(fn(obj, *args, **kw))
        call.__doc__ = fn.__doc__
        return call


def transact(items: Items, labels: Labels = None, *, atomic: bool = False, chunk: int = 64) -> Flow[Reply]:
    """One transfer (errors in the Reply's results)."""
    return (yield Transfer(items, labels, atomic, chunk))


def request(prog: Compiled, values: Sequence[Any], label: Label = ("request", "")) -> Flow[Reply]:
    """One request; raises its error."""
    reply = yield Transfer([(prog, values)], label)
    return reply.check()


def dump(prog: Compiled, values: Sequence[Any], label: Label = ("dump", ""),
         retries: int = DUMP_RETRIES, pluck: Any = None) -> Flow[Reply]:
    """A dump, retried while the kernel flags it inconsistent (NLM_F_DUMP_INTR); ``pluck``
    (a ``codec.rows.Pluck``) decodes it into those columns without a row table."""
    reply = None
    for _ in range(retries + 1):
        reply = yield Transfer([(prog, values)], label, pluck=pluck)
        reply.check()
        if not reply.results[0].dump_intr:
            return reply
    raise DumpInterrupted(label[0], retries + 1, reply)


__all__ = ["AsyncDriver", "Flow", "Items", "SyncDriver", "Transactor", "Transfer", "drive", "dump", "operation",
           "request", "transact"]
