"""AsyncNetlinkSocket: a netlink socket served by the caller's asyncio event loop.

Many batches may be in flight on one socket, each from its own task. The socket is
non-blocking; one reader callback (``loop.add_reader``) receives every datagram, finds the
batch it answers by its sequence number and hands it to that batch's status table with
``pnl_xfer_take`` — the C step ``pnl_xfer`` uses for blocking transfers — then takes that
batch's next queued datagrams in one C call (``pnl_xfer_recv``) until one of another batch
comes, which is routed the same way. Encoding
(``NetlinkSocket.encode``) and interpreting replies (``NetlinkSocket.interpret``: results,
errors with extack and labels) are the blocking socket's own; only the waiting differs.
No thread per request, no blocking call on the loop.

Policies, as for the blocking socket: every request asks for an ack; a batch goes out in
chunks and the next chunk is sent when the previous one is answered. Across batches:

- at most ``inflight`` requests of all batches together are sent and unanswered, so the
  replies always fit the receive buffer (rtnetlink and nfnetlink answer while ``sendmsg``
  runs: a chunk's replies are queued when its send returns);
- dumps are serialised per socket (the kernel runs one dump at a time per socket): a batch
  holding a dump waits for the socket's dump lock;
- a reply whose sequence number belongs to no batch (a late reply of a cancelled one) is
  read and dropped.

Cancellation: when the task awaiting ``transact`` is cancelled, everything already queued on
the socket is read at once (without waiting) and routed, so each request that was sent has
its reply taken; the partial Reply goes to ``partial`` (``Result.sent`` False: never sent,
nothing applied; ``Result.done`` False: a reply cut off, only possible for a dump, which
changes nothing). A dump cut off keeps the dump lock until its remaining replies have been
read and dropped; then the socket serves the next dump.

Reusable pieces (e.g. for event streams): ``AsyncNetlinkSocket.open`` opens the socket in a
namespace on a short-lived helper thread awaited with ``asyncio.to_thread``;
``on_unsolicited`` receives datagrams that belong to no batch (multicast notifications of a
socket joined to groups) as bytes.
"""
from __future__ import annotations

import asyncio
import errno
import socket
import struct
from collections import deque
from typing import Any, Callable, Sequence

from .._native import BatchReplies, RecvArea, lib
from ..codec.program import Compiled, Encoded
from ..codec.schema import Family
from ..errors import NetlinkError
from .flow import Flow, T
from .lifecycle import AsyncClosing
from .netns import NetNS
from .socket import Labels, NetlinkSocket, Reply

RECV_SIZE = 1 << 17              # the largest datagram we accept (dump chunks are <= 32 kB)
READS_PER_WAKEUP = 512           # datagrams read per reader callback (then other tasks run)
READS_PER_CALL = 64              # of which taken in one C call for one batch
_SEQ = struct.Struct("=I")
_WAIT, _IDLE, _COMPLETE = int(lib.PNL_XS_WAIT), int(lib.PNL_XS_IDLE), int(lib.PNL_XS_COMPLETE)
_OTHER, _GROW, _MORE = int(lib.PNL_XS_OTHER), int(lib.PNL_XS_GROW), int(lib.PNL_XS_MORE)
_DUMP = int(lib.PNL_ST_DUMP)


class _Xfer:
    """One batch in flight: its encoding, transfer state and kept replies."""

    __slots__ = ("enc", "replies", "x", "waiter", "charged", "error", "orphan", "progress")

    def __init__(self, enc: Encoded, atomic: bool, chunk: int, sndbuf: int) -> None:
        self.enc = enc
        self.replies = BatchReplies(chunk, max(16384, min(sndbuf // 4, 1 << 20)), atomic)
        self.x = self.replies.x          # the C transfer state (counters read below)
        self.waiter: asyncio.Future[int] | None = None
        self.charged = 0                 # requests counted against the socket's in-flight limit
        self.error: BaseException | None = None
        self.orphan = False              # cancelled with a dump open: drained, then forgotten
        self.progress = 0.0

    def take(self, area: RecvArea, got: int) -> int:
        """Hand the datagram received in ``area`` (``got`` bytes) to the status table."""
        enc = self.enc
        return self.replies.take(area, got, enc.seq_first, enc.status, enc.n)

    def bytes(self) -> bytes:
        return self.replies.bytes()


class AsyncNetlinkSocket(AsyncClosing):
    """A ``NetlinkSocket`` driven by the running event loop (see the module docstring)."""

    def __init__(self, sock: NetlinkSocket, *, inflight: int = 256) -> None:
        self.sock = sock
        self.inflight = inflight
        self._loop = asyncio.get_running_loop()
        self._fd = sock.fileno()
        sock._sock.setblocking(False)
        self._pending: dict[int, _Xfer] = {}          # sequence number -> its batch
        self._area = RecvArea(RECV_SIZE)          # every datagram is received here
        self._dump_lock = asyncio.Lock()
        self._charged = 0
        self._room: deque[tuple[int, _Xfer, asyncio.Future[None]]] = deque()
        self._closed = False
        self._watchdog: asyncio.TimerHandle | None = None
        self.on_unsolicited: Callable[[bytes], None] | None = None
        self._loop.add_reader(self._fd, self._readable)

    @classmethod
    async def open(cls, protocol: int, family: Family, netns: NetNS | str | int | None = None,
                   *, inflight: int = 256, **kw: Any) -> "AsyncNetlinkSocket":
        """A socket inside ``netns`` (a NetNS, name, path or pid), opened without blocking the
        loop: in another namespace on a helper thread (setns), awaited."""
        if netns is None:
            sock = NetlinkSocket(protocol, family, None, **kw)
        else:
            ns = NetNS.open(netns)
            sock = await asyncio.to_thread(NetlinkSocket, protocol, family, ns, **kw)
        return cls(sock, inflight=inflight)

    # -- what the flows need ----------------------------------------------------------------
    @property
    def netns(self) -> NetNS | None:
        return self.sock.netns

    @property
    def timeout(self) -> float:
        return self.sock.timeout

    def fileno(self) -> int:
        return self._fd

    @property
    def busy(self) -> int:
        """Batches in flight (cancelled dumps still draining included)."""
        return len({id(t) for t in self._pending.values()})

    # -- transfers ---------------------------------------------------------------------------
    async def transact(self, items: Sequence[tuple[Compiled, Sequence[Any]]], *, labels: Labels = None,
                       atomic: bool = False, chunk: int = 64,
                       partial: Callable[[Reply], None] | None = None, pluck: Any = None) -> Reply:
        """``NetlinkSocket.transact`` on the event loop. If the awaiting task is cancelled,
        ``partial`` receives what is known (see the module docstring), then CancelledError."""
        if self._closed:
            raise NetlinkError.from_errno(errno.EBADF, "netlink transfer", "", "socket closed")
        enc = self.sock.encode(items)
        if enc.n == 0:
            return self.sock.interpret(enc, b"", labels)
        t = _Xfer(enc, atomic, chunk, self.sock._sndbuf)
        dump = any(enc.status[i].flags & _DUMP for i in range(enc.n))
        locked = False
        try:
            if dump:
                await self._dump_lock.acquire()
                locked = True
            self._pending.update(dict.fromkeys(range(enc.seq_first, enc.seq_first + enc.n), t))
            await self._run(t)
        except asyncio.CancelledError:
            self._drain(t, dump)
            if partial is not None:
                partial(self.sock.interpret(enc, t.bytes(), labels))
            if locked and t.x.first_open < t.x.next_req:
                t.orphan = True          # a dump still running: its replies are read and dropped
                locked = False
            raise
        finally:
            self._uncharge(t)
            if not t.orphan:
                self._forget(t)
            if locked:
                self._dump_lock.release()
        if t.error is not None:
            raise t.error
        return self.sock.interpret(enc, t.bytes(), labels, pluck)

    async def _run(self, t: _Xfer) -> None:
        enc, x = t.enc, t.x
        t.progress = self._loop.time()
        if self._watchdog is None:
            self._watchdog = self._loop.call_later(self.sock.timeout, self._watch)
        oneshot = x.flags & lib.PNL_XF_ONESHOT
        while True:
            if not t.charged:
                await self._reserve(t, enc.n - x.next_req if oneshot else min(x.chunk_msgs, enc.n - x.next_req))
            before = x.next_req
            rc = t.replies.send(self._fd, enc.buf, enc.length, enc.seq_first, enc.status, enc.n)
            if rc == -errno.EAGAIN:
                await self._writable()
                continue
            if rc < 0:
                raise self.sock._transfer_error(-rc)
            sent = x.next_req - before
            if sent < t.charged:                 # a shorter chunk than reserved (its byte limit)
                self._charged -= t.charged - sent
                t.charged = sent
                self._wake()
            if rc == _WAIT:
                t.waiter = self._loop.create_future()
                rc = await t.waiter
                t.waiter = None
            self._uncharge(t)
            if t.error is not None or rc == _COMPLETE:
                return

    async def _reserve(self, t: _Xfer, want: int) -> None:
        """Count ``want`` requests of ``t`` against the in-flight limit, waiting (first come,
        first served) while it is reached; a batch alone on the socket may exceed it."""
        if not self._room and (not self._charged or self._charged + want <= self.inflight):
            self._charged += want
            t.charged += want
            return
        room: asyncio.Future[None] = self._loop.create_future()
        self._room.append((want, t, room))
        await room                               # _wake charged t before waking it

    def _wake(self) -> None:
        room = self._room
        while room:
            want, t, fut = room[0]
            if fut.done():                       # its task was cancelled meanwhile
                room.popleft()
                continue
            if self._charged and self._charged + want > self.inflight:
                return
            room.popleft()
            self._charged += want
            t.charged += want
            fut.set_result(None)

    def _uncharge(self, t: _Xfer) -> None:
        if t.charged:
            self._charged -= t.charged
            t.charged = 0
            self._wake()

    def _forget(self, t: _Xfer) -> None:
        pop = self._pending.pop
        for seq in range(t.enc.seq_first, t.enc.seq_first + t.enc.n):
            if self._pending.get(seq) is t:
                pop(seq)

    async def _writable(self) -> None:
        ready: asyncio.Future[None] = self._loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)
        self._loop.add_writer(self._fd, wake)
        try:
            await ready
        finally:
            self._loop.remove_writer(self._fd)

    def _watch(self) -> None:
        """One timer per socket: fail the batches without a reply for ``timeout`` seconds."""
        self._watchdog = None
        now, limit = self._loop.time(), self.sock.timeout
        waiting = list(set(self._pending.values()))
        for t in waiting:
            if now - t.progress < limit:
                continue
            if t.orphan:                 # the rest of a cut-off dump never came: give up on it
                self._forget(t)
                self._dump_lock.release()
            else:
                self._fail(t, self.sock._transfer_error(errno.ETIMEDOUT))
        if waiting and not self._closed:
            first = min(t.progress for t in waiting)
            self._watchdog = self._loop.call_later(max(first + limit - now, 0.05), self._watch)

    def _fail(self, t: _Xfer, exc: BaseException) -> None:
        if t.error is None:
            t.error = exc
        if t.waiter is not None and not t.waiter.done():
            t.waiter.set_result(_COMPLETE)

    # -- the reader ----------------------------------------------------------------------------
    def _readable(self) -> None:
        for _ in range(READS_PER_WAKEUP // READS_PER_CALL):
            if not self._read_one():
                return

    def _drain(self, t: _Xfer, dump: bool) -> None:
        """Read and route what is queued (never waits) until every request ``t`` sent is
        complete. The replies of a non-dump request are queued when its send returns; a dump
        is not read to its end here (the kernel makes more as we read): past the replies
        that can be queued, the rest of it is left to the reader, which drops it."""
        budget = 2 * self._charged + 8
        x = t.x
        while x.first_open < x.next_req and self._read_one(0):
            budget -= 1
            if dump and budget <= 0:
                return

    def _read_one(self, more: int = READS_PER_CALL) -> bool:
        """Receive one datagram and route it; then, while the batch it answered waits, take
        that batch's next datagrams in C (at most ``more``). False when the socket is empty."""
        try:
            got, _, flags, addr = self.sock._sock.recvmsg_into([self._area.view], 0, socket.MSG_TRUNC)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:           # ENOBUFS: replies were lost; which ones is unknown
            err = NetlinkError.from_errno(exc.errno or errno.EIO, "netlink transfer", "",
                                          "socket receive buffer overflowed, replies were lost")
            for lost in set(self._pending.values()):
                self._fail(lost, err)
            return exc.errno == errno.ENOBUFS
        if addr[0] != 0 or got < 16:
            return True                  # not from the kernel
        if flags & socket.MSG_TRUNC or got > RECV_SIZE:
            bad = self._pending.get(_SEQ.unpack_from(self._area.buf, 8)[0])
            if bad is not None:
                self._fail(bad, self.sock._transfer_error(errno.EMSGSIZE))
            return True
        t = self._dispatch(got)
        area = self._area
        while t is not None and more > 0:
            x, enc = t.x, t.enc
            before = x.n_recvmsg
            rc = t.replies.recv(self._fd, area, more, enc.seq_first, enc.status, enc.n)
            more -= x.n_recvmsg - before + 1
            if rc == _OTHER:
                t = self._dispatch(area.pending[0])
            elif rc == _GROW:
                pass                     # its replies were copied out of the receive area
            elif rc == _WAIT:
                return False             # the socket is empty
            elif rc == _MORE:
                return True
            else:
                self._settled(t, rc)
                return True
        return True

    def _dispatch(self, got: int) -> _Xfer | None:
        """Route the datagram in the receive area to its batch; that batch if it still waits."""
        t = self._pending.get(_SEQ.unpack_from(self._area.buf, 8)[0])
        if t is None:
            if self.on_unsolicited is not None:
                self.on_unsolicited(bytes(self._area.view[:got]))
            return None                  # a late reply of a cancelled batch: dropped
        t.progress = self._loop.time()
        rc = t.take(self._area, got)
        if rc == _WAIT:
            return None if t.orphan else t
        self._settled(t, rc)
        return None

    def _settled(self, t: _Xfer, rc: int) -> None:
        if rc < 0:
            self._fail(t, NetlinkError.from_errno(-rc, "netlink transfer", "", "malformed reply"))
        elif t.orphan:
            if rc == _COMPLETE:
                self._forget(t)
                self._dump_lock.release()
        elif t.waiter is not None and not t.waiter.done():
            t.waiter.set_result(rc)

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop reading and close; batches still in flight fail with EBADF."""
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._fd)
        if self._watchdog is not None:
            self._watchdog.cancel()
        err = NetlinkError.from_errno(errno.EBADF, "netlink transfer", "", "socket closed")
        for t in set(self._pending.values()):
            self._fail(t, err)
        self._pending.clear()
        self.sock.close()

    def __repr__(self) -> str:
        return f"AsyncNetlinkSocket(protocol={self.sock.protocol}, netns={self.netns!r})"


async def adrive(sock: AsyncNetlinkSocket, flow: Flow[T]) -> T:
    """Run a flow (transport.flow) to its end on the event loop; its value.

    If the task is cancelled during a transfer, the flow is given that transfer's partial
    Reply (so it records what was applied, e.g. rtnl Outcomes), then closed; CancelledError
    propagates."""
    try:
        step = next(flow)
        while True:
            got: list[Reply] = []
            try:
                reply = await sock.transact(step.items, labels=step.labels, atomic=step.atomic,
                                            chunk=step.chunk, partial=got.append, pluck=step.pluck)
            except asyncio.CancelledError:
                if got:
                    try:
                        flow.send(got[0])
                    except (StopIteration, Exception):
                        pass
                flow.close()
                raise
            except Exception as exc:
                step = flow.throw(exc)
            else:
                step = flow.send(reply)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


__all__ = ["AsyncNetlinkSocket", "adrive"]
