"""NetlinkSocket: one netlink socket, opened in any namespace, that sends whole batches.

A transfer is one C call: the batch goes out in chunks that fit the socket buffers and
every ack, error and reply of its sequence range is collected, with the GIL released.
Policies (docs/design.md): every request asks for an ack; dumps run one at a time;
NLM_F_DUMP_INTR is retried a bounded number of times; MSG_TRUNC is an error.
"""
from __future__ import annotations

import errno
import os
import _socket as socket  # the C module: socket.py (and its enums) is ~2 ms of each CNI plugin start
import _thread   # not threading: it imports functools and collections (~2 ms of each CNI plugin start)
from .._record import field, record as dataclass  # the light @dataclass (start-up of CNI plugins)

from .. import _native
from .._bounded import Bounded
from .._native import Transfer, lib
from ..codec.columns import _cview
from ..codec.program import Compiled, Encoded, Prepared, encode
from ..codec.rows import Pluck, Rows, decode
from ..codec.schema import Family
from ..errors import DumpInterrupted, NetlinkError
from . import validate
from .netns import NetNS, run_in
from . import faults
from .lifecycle import Closing

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Hashable, Optional, Sequence, TypeVar, Union, overload
    T = TypeVar("T")
    # what NetlinkSocket.exchange calls: (fd, batch, seq_first, timeout_ms, namespace check)
    Exchange = Callable[[int, bytearray, int, int, Optional[tuple[bytes, int, int]]], Optional[T]]
else:
    from .._lighttyping import Callable, Sequence, Union, overload

SOL_NETLINK = 270
SO_RCVBUFFORCE, SO_SNDBUFFORCE = 33, 32
Label = tuple[str, str]
Made = tuple[socket.socket, int, "tuple[int, int]"]     # made_with_socket: socket, SO_SNDBUF, identity
Labels = Union[Label, Sequence[Label], Callable[[int], Label], None]
DUMP_RETRIES = 5
PREPARED_MAX = 64       # requests kept encoded for every socket (``NetlinkSocket.dump_prepared``)
_NLMSG_ERROR, _NLMSG_DONE = int(lib.NLMSG_ERROR), int(lib.NLMSG_DONE)
_ST_DONE = int(lib.PNL_ST_DONE)
_RECV_MIN = int(lib.PNL_RECV_MIN)     # room pnl_xfer needs free before each receive


@dataclass(init=False)
class Result:
    """The outcome of one request of a batch."""

    error: NetlinkError | None = None
    messages: list[int] = field(default_factory=list)   # reply message rows
    dump_intr: bool = False
    done: bool = True       # its reply came back complete (False: cut off by a cancellation)
    sent: bool = True       # False: never sent (a cancelled asyncio transfer), nothing applied

    def __init__(self, error: NetlinkError | None = None, messages: list[int] | None = None,
                 dump_intr: bool = False, done: bool = True, sent: bool = True) -> None:
        # one per request of every transfer: the record's shared __init__ loop costs ~2 us,
        # this ~0.3; tests/test_record.py keeps the signature equal to the fields
        self.error, self.messages, self.dump_intr = error, [] if messages is None else messages, dump_intr
        self.done, self.sent = done, sent

    @property
    def ok(self) -> bool:
        return self.error is None


def _fresh_results(n: int) -> list[Result]:
    """``[Result() for _ in range(n)]``: fields other than ``messages`` left to the class
    defaults (None, False, True, True), read through the class until a result sets them."""
    out = []
    new = Result.__new__
    for _ in range(n):
        r = new(Result)
        r.messages = []
        out.append(r)
    return out


class Reply:
    """Everything one transfer brought back: ``rows`` (the replies kept), one ``Result`` per
    request in ``results`` (made on first use: a bulk batch of plain acks makes none), and
    ``odd`` (the indexes of the requests that are not plain successes)."""

    __slots__ = ("rows", "encoded", "odd", "_results", "_make")

    def __init__(self, rows: Rows, results: "list[Result] | None", encoded: Encoded,
                 odd: "list[int] | None" = None,
                 make: "Callable[[], list[Result]] | None" = None) -> None:
        self.rows, self.encoded, self._results, self._make = rows, encoded, results, make
        if odd is None:
            odd = [i for i, r in enumerate(results or ()) if r.error is not None or not r.done or r.dump_intr]
        self.odd = odd

    @property
    def results(self) -> list[Result]:
        if self._results is None:
            assert self._make is not None
            self._results, self._make = self._make(), None
        return self._results

    @property
    def errors(self) -> list[NetlinkError]:
        return [r.error for r in self.results if r.error is not None]

    def check(self) -> "Reply":
        """Raise the first error, if any."""
        for i in self.odd:
            err = self.results[i].error
            if err is not None:
                raise err
        return self

    def __repr__(self) -> str:
        return f"Reply({self.encoded.n} requests, {len(self.odd)} not plain successes)"


def _label(labels: Labels, i: int) -> Label:
    if labels is None:
        return ("request", "")
    if callable(labels):
        return labels(i)
    if isinstance(labels, tuple) and len(labels) == 2 and isinstance(labels[0], str):
        return labels[0], str(labels[1])
    label = labels[i]
    assert isinstance(label, tuple)
    return label


# receive areas of closed sockets, taken by the next ones made (W1 opens and closes one per
# container: no 256 KiB allocation and no fresh pages for each); a transfer leaves its
# area at its usual size, and a closed socket never transfers (``_usable``)
_SPARE_AREAS: list[Transfer] = []
# the requests dumps send again and again, encoded once for every socket, by (protocol, key):
# a socket borrows one for a dump (``pop``: one socket at a time each, as a Prepared's buffers
# and status table are rewritten by each ``at`` and read by the transfer after it) and puts
# it back; two sockets dumping the same request at once each have one, the last put stays
_PREPARED: "Bounded[tuple[int, Hashable], Prepared]" = Bounded(PREPARED_MAX)


def open_raw(protocol: int, rcvbuf: int = 4 << 20, sndbuf: int = 1 << 20) -> socket.socket:
    """A bound netlink socket of ``protocol`` in the calling thread's namespace, with extended
    acks, capped acks and strict checking where the kernel has them, and the buffer sizes."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)
    try:
        for opt in (lib.NETLINK_EXT_ACK, lib.NETLINK_CAP_ACK, lib.NETLINK_GET_STRICT_CHK):
            try:
                s.setsockopt(SOL_NETLINK, opt, 1)
            except OSError:
                pass                      # older kernels: plain errors still work
        for force, plain, size in ((SO_RCVBUFFORCE, socket.SO_RCVBUF, rcvbuf),
                                   (SO_SNDBUFFORCE, socket.SO_SNDBUF, sndbuf)):
            try:
                s.setsockopt(socket.SOL_SOCKET, force, size)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, plain, size)
        s.bind((0, 0))
    except BaseException:
        s.close()
        raise
    return s


def made_with_socket(protocol: int, rcvbuf: int = 4 << 20,
                     sndbuf: int = 1 << 20) -> "Callable[[NetNS], Made]":
    """For ``NetNS._create_many_by``: each namespace made, and a socket as ``open_raw`` opens
    it inside, in one C call (``pnl_netns_make_socket``: no Python per system call): per
    namespace what ``NetlinkSocket._adopt`` takes."""
    def make(ns: NetNS) -> Made:
        fd, have, dev, ino = _native.netns_make_socket(ns.path, ns.name or ns.path, protocol, rcvbuf, sndbuf)
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol, fd), have, (dev, ino)
    return make


def close_made(made: "Made") -> None:
    made[0].close()


class NetlinkSocket(Closing):
    """A netlink socket of one protocol, opened inside a namespace (default: ours)."""

    @classmethod
    def _adopt(cls, family: Family, netns: NetNS, made: "Made", seq: int, timeout: float) -> "NetlinkSocket":
        """A NetlinkSocket on a socket ``made_with_socket`` made in ``netns`` (its protocol,
        send buffer and the namespace's identity read there); ``seq``: its first sequence
        number, 1 .. 2**30 - 1 (``timeout``: checked by the caller)."""
        self = cls.__new__(cls)
        sock, self._sndbuf, named = made
        self.protocol, self.family, self.netns, self.timeout = sock.proto, family, netns, timeout
        self._lock = _thread.allocate_lock()
        self._seq, self._sock = seq, sock
        self._own(named if netns.name else None)
        return self

    def __init__(self, protocol: int, family: Family, netns: NetNS | None = None, *,
                 timeout: float = 30.0, rcvbuf: int = 4 << 20, sndbuf: int = 1 << 20,
                 sock: socket.socket | None = None) -> None:
        """``sock``: a socket made by ``open_raw(protocol)`` inside ``netns`` (on the thread that
        was there, e.g. ``NetNS.create_many_with``), taken over instead of opening one."""
        self.protocol = protocol
        self.family = family
        self.netns = netns
        self.timeout = validate.timeout(timeout)
        self._lock = _thread.allocate_lock()
        self._seq = 1 + int.from_bytes(os.urandom(4), "little") % ((1 << 30) - 1)  # as randrange(1, 1 << 30)
        if sock is None:
            sock = run_in(netns.path if netns else None, lambda: open_raw(protocol, rcvbuf, sndbuf))
        self._sock = sock
        self._sndbuf = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        self._own(_identity(netns.path) if netns is not None and netns.name else None)

    def _own(self, named: tuple[int, int] | None) -> None:
        """The state every socket starts with: its named namespace's identity (``named``) and
        its receive area, reused by every transfer."""
        self._named = named
        self._named_path = os.fsencode(self.netns.path) if named is not None and self.netns is not None else b""
        try:
            self._area = _SPARE_AREAS.pop()
        except IndexError:
            self._area = Transfer()

    # -- lifecycle ----------------------------------------------------------------------
    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        """Close the socket (waits for a transfer running on another thread); idempotent."""
        with self._lock:
            if self._sock.fileno() >= 0:
                if len(_SPARE_AREAS) < 64:
                    _SPARE_AREAS.append(self._area)   # (no transfer runs: they hold the lock)
            self._sock.close()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    # -- transfers ----------------------------------------------------------------------
    def transact(self, items: Sequence[tuple[Compiled, Sequence[Any]]], *, labels: Labels = None,
                 atomic: bool = False, chunk: int = 64, pluck: Pluck | None = None) -> Reply:
        """Send every request (one encode, one transfer, one decode); one Result each, in order.

        ``atomic`` sends the whole buffer in one sendmsg (nfnetlink transactions); ``pluck``:
        decode the replies into that spec's columns and no row table (``LeanRows``).
        """
        with self._lock:
            self._usable(labels)
            enc = self.encode(items)
            data = self._transfer(enc, atomic, chunk, pluck)
        return self.interpret(enc, data, labels, pluck)

    @overload
    def dump_prepared(self, key: "Hashable", make: "Callable[[], tuple[Compiled, Sequence[Any]]]",
                      label: Label, pluck: Pluck | None = None, retries: int = DUMP_RETRIES) -> Reply: ...
    @overload
    def dump_prepared(self, key: "Hashable", make: "Callable[[], tuple[Compiled, Sequence[Any]]]",
                      label: Label, pluck: Pluck | None = None, retries: int = DUMP_RETRIES, *,
                      parse: "Callable[[Rows, list[int]], T]") -> "Reply | T": ...

    def dump_prepared(self, key: "Hashable", make: "Callable[[], tuple[Compiled, Sequence[Any]]]",
                      label: Label, pluck: Pluck | None = None, retries: int = DUMP_RETRIES, *,
                      parse: "Callable[[Rows, list[int]], Any] | None" = None) -> Any:
        """``flow.dump`` of the one request ``key`` names, built and encoded once for every
        socket of this protocol (``make()`` gives its program and values the first time; at
        most ``PREPARED_MAX`` kept, in ``_PREPARED``): later dumps borrow it and encode it
        again in place under their sequence number (``codec.program.Prepared``), taking no
        flow. Its Reply is made before it is put back (its status table, and the Reply's
        ``encoded``, are the next dump's).
        With ``parse``: when the kernel answered plainly (done, no error, not interrupted),
        ``parse(rows, data messages)`` instead, no Reply or Result made; else the Reply."""
        pk = (self.protocol, key)
        p = _PREPARED.pop(pk, None)             # (borrowed: no other dump rewrites it meanwhile)
        if p is None:
            prog, values = make()
            p = Prepared(prog, values)
        try:
            for _ in range(retries + 1):
                with self._lock:
                    self._usable(label)
                    seq = self._seq
                    self._seq = (seq + 1) & 0x7FFFFFFF or 1
                    enc = p.at(seq)
                    data = self._transfer(enc, False, 64, pluck)
                    if parse is not None and not _native.status_odd(enc.status, 1, _ST_DONE):
                        rows: Rows | None = decode(data, self.family, pluck)   # (as interpret, for one request)
                    else:
                        rows, reply = None, self.interpret(enc, data, label, pluck)
                if rows is not None:
                    break
                reply.check()
                if not reply.results[0].dump_intr:
                    break
            else:
                raise DumpInterrupted(label[0], retries + 1, reply)
        finally:
            _PREPARED.put(pk, p)                # (back before the views are made)
        if rows is not None and parse is not None:
            return parse(rows, rows.data_messages())
        return reply

    def encode(self, items: Sequence[tuple[Compiled, Sequence[Any]]]) -> Encoded:
        """Encode a batch under the next sequence numbers (the caller serialises the socket)."""
        seq_first = self._seq
        enc = encode(items, seq_first)
        self._seq = (self._seq + max(enc.n, 1)) & 0x7FFFFFFF or 1
        return enc

    def interpret(self, enc: Encoded, data: bytes, labels: Labels = None,
                  pluck: Pluck | None = None) -> Reply:
        """The Reply of a batch from its status table and the replies kept in ``data``: one
        Result per request. Shared by every way of waiting (pnl_xfer here, the event loop in
        transport.aio, where a cancelled transfer leaves requests unsent or incomplete)."""
        rows = decode(data, self.family, pluck)
        odd = _native.status_odd(enc.status, enc.n, _ST_DONE) if enc.n else []
        if enc.n > 1 and not odd and not rows.count:
            # plain acks only (a bulk batch): Results made if asked for, all alike
            return Reply(rows, None, enc, odd, lambda: _fresh_results(enc.n))
        return Reply(rows, self._results(enc, data, rows, odd, labels), enc, odd)

    def _results(self, enc: Encoded, data: bytes, rows: Rows, odd: list[int], labels: Labels) -> list[Result]:
        """One Result per request: its data messages, and what its status says."""
        seq_first = enc.seq_first
        results = _fresh_results(enc.n)
        if enc.n == 1:          # every data message is the request's: one C pass
            results[0].messages = rows.data_messages()
        else:                               # acks are most rows of a batch: types first
            tf, end, val, i, count, n = rows.tf, rows.end, rows.val, 0, rows.count, enc.n
            while i < count:
                t = tf[i] & 0xFFFF
                if t != _NLMSG_ERROR and t != _NLMSG_DONE:
                    ix = ((val[i] & 0xFFFFFFFF) - seq_first) & 0xFFFFFFFF
                    if ix < n:
                        results[ix].messages.append(i)
                i = end[i]
        for i in odd:
            s = enc.status[i]
            f, r = int(s.flags), results[i]
            if not f & _ST_DONE:
                r.done, r.sent = False, bool(f & lib.PNL_ST_SENT)
            if f & lib.PNL_ST_DUMP_INTR:
                r.dump_intr = True
            if s.error:
                r.error = self._error(enc, data, i, labels)
        return results

    def _usable(self, labels: Labels) -> None:
        """Refuse to send on a closed socket, or into a named namespace deleted since."""
        if self._sock.fileno() < 0:
            raise NetlinkError.from_errno(errno.EBADF, *_label(labels, 0),
                                          "the socket (Handle) is closed")
        named = self._named
        if named is not None and self.netns is not None and not self._same_namespace(named):
            raise self._gone(labels)

    def _gone(self, labels: Labels) -> NetlinkError:
        name = self.netns.name if self.netns is not None else ""
        return NetlinkError.from_errno(
            errno.ENOENT, *_label(labels, 0),
            f"network namespace {name} was deleted (or replaced) after this socket (Handle) was "
            "opened in it")

    def _room(self, length: int) -> None:
        """A send buffer that takes ``length`` bytes in one sendmsg."""
        want = 2 * length + 65536
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, want)
        except OSError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, want)
        self._sndbuf = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)

    def _same_namespace(self, named: tuple[int, int]) -> bool:
        """Whether the named namespace's file is still the one this socket was opened in
        (``_identity`` in one C call: no stat result object on every transfer)."""
        return _native.same_file(self._named_path, named[0], named[1])

    def _transfer(self, enc: Encoded, atomic: bool, chunk: int, pluck: Pluck | None = None) -> bytes:
        """The batch's transfer (``Transfer.run``); a dump decoded with ``pluck`` whose last
        replies were large is received straight into the bytes it keeps (``run_into``, sized
        from them: no copy)."""
        if atomic and enc.length + 4096 > self._sndbuf // 2:
            self._room(enc.length)
        area, last = self._area, 0 if pluck is None else pluck.last_size
        args = (self._sock.fileno(), enc.buf, enc.length, enc.seq_first, enc.status, enc.n)
        chunk_bytes = max(16384, min(self._sndbuf // 4, 1 << 20))
        timeout_ms = _ms(self.timeout)
        try:
            if last > area.base_cap and _cview is not None:
                data = area.run_into(*args, chunk_msgs=chunk, chunk_bytes=chunk_bytes, timeout_ms=timeout_ms,
                                     oneshot=atomic, cap=last + last // 8 + _RECV_MIN, new=_cview.rx_bytes,
                                     shrink=_cview.rx_shrink)
            else:
                data = area.run(*args, chunk_msgs=chunk, chunk_bytes=chunk_bytes, timeout_ms=timeout_ms,
                                oneshot=atomic)
        except OSError as exc:
            raise self._transfer_error(exc.errno or errno.EIO) from None
        if pluck is not None:
            pluck.last_size = len(data)
        faults.point("netlink")
        return data

    def exchange(self, batch: bytearray, send: Exchange[T]) -> T:
        """A transaction already encoded (``batch``, one sendmsg), sent and its replies collected
        by ``send(fd, batch, seq_first, timeout_ms, ns)`` (e.g. ``pynetlink.nft._ports.exchange``:
        it numbers the messages from seq_first, and returns None, sending nothing, when ``ns``,
        the (path, st_dev, st_ino) of a named namespace, no longer names it) under the socket's
        lock: its result. OSError from ``send`` becomes the NetlinkError of a failed transfer."""
        with self._lock:
            fd, size, seq, named = self._sock.fileno(), len(batch), self._seq, self._named
            if fd < 0:
                self._usable(None)
            self._seq = (seq + size // 16) & 0x7FFFFFFF or 1        # (at most that many messages)
            if size + 4096 > self._sndbuf // 2:
                self._room(size)
            try:                            # (the namespace checked by send: a stat, not os.stat's record)
                out = send(fd, batch, seq, _ms(self.timeout),
                           None if named is None else (self._named_path, *named))
            except OSError as exc:
                raise self._transfer_error(exc.errno or errno.EIO) from None
            if out is None:
                raise self._gone(None)
        if faults.ACTIVE:
            faults.point("netlink")
        return out

    def _transfer_error(self, err: int) -> NetlinkError:
        why = {errno.ENOBUFS: "socket receive buffer overflowed, replies were lost",
               errno.EMSGSIZE: "a reply did not fit the receive buffer (MSG_TRUNC)",
               errno.ETIMEDOUT: f"no reply within {self.timeout:g} s"}.get(err, "")
        return NetlinkError.from_errno(err, "netlink transfer", "", why)

    def _error(self, enc: Encoded, data: bytes, i: int, labels: Labels) -> NetlinkError:
        s = enc.status[i]
        op, target = _label(labels, i)
        text = ""
        if s.ext_msg_len:
            text = data[s.ext_msg_off:s.ext_msg_off + s.ext_msg_len].decode("utf-8", "replace")
        offset = None if s.ext_offs == 0xFFFFFFFF else int(s.ext_offs)
        fieldname = enc.field_at(i, offset) if offset is not None else ""
        if s.flags & lib.PNL_ST_TIMEOUT:
            text = text or f"no reply within {self.timeout:g} s"
        elif s.error == errno.ECANCELED:
            text = text or "not executed: the batch failed before this request"
        return NetlinkError.from_errno(int(s.error), op, target, text, fieldname, offset)

    def request(self, prog: Compiled, values: Sequence[Any], label: Label = ("request", "")) -> Reply:
        """One request; raises its error."""
        from .flow import drive, request
        return drive(self, request(prog, values, label))

    def dump(self, prog: Compiled, values: Sequence[Any], label: Label = ("dump", ""),
             retries: int = DUMP_RETRIES) -> Reply:
        """A dump, retried while the kernel flags it inconsistent (NLM_F_DUMP_INTR)."""
        from .flow import drive, dump
        return drive(self, dump(prog, values, label, retries))

    def __repr__(self) -> str:
        return f"NetlinkSocket(protocol={self.protocol}, netns={self.netns!r})"


def _ms(seconds: float) -> int:
    """A timeout in whole milliseconds for the C transfer, rounded up: a short one never becomes 0
    (which the C transfer takes as its default)."""
    return -int(-seconds * 1000 // 1)


def transact_each(socks: "Sequence[NetlinkSocket]", items: Sequence[tuple[Compiled, Sequence[Any]]],
                  first: "list[int]", labels: Labels = None) -> Reply:
    """One batch spread over sockets of one family: ``items[first[j]:first[j + 1]]`` go out on
    ``socks[j]`` (``first[0] == 0``, ``first[-1] == len(items)``), one encode, one C call for
    all (``pnl_xfer_each``: each socket's requests sent and their replies collected, one
    socket after the other); one Result per item, in order, as ``transact`` gives. The
    sockets are locked in one order, and the batch's sequence numbers follow every socket's
    own. Every socket is checked (open, its namespace still there) before anything is sent; a transfer
    error (e.g. a timeout) stops at that socket, the later sockets' requests unsent.
    ``labels``: as transact's, over all items."""
    held: list[NetlinkSocket] = []
    try:
        for s in sorted(socks, key=id):     # (one order for every caller: no lock-order deadlock)
            s._lock.acquire()
            held.append(s)
        for s, at in zip(socks, first):
            s._usable(None if labels is None else _label(labels, at))
        # sequence numbers past every socket's own (a late reply to an earlier request of one
        # of them can never match), and every socket's counter moved past the batch's
        seq = max(s._seq for s in socks)
        enc = encode(items, seq)
        for s in socks:
            s._seq = (seq + max(enc.n, 1)) & 0x7FFFFFFF or 1
        timeout = max(s.timeout for s in socks)     # (the C call has one deadline for all)
        try:
            data = socks[0]._area.run_each([s._sock.fileno() for s in socks], first, enc.buf, enc.length,
                                           enc.seq_first, enc.status, enc.n,
                                           timeout_ms=_ms(timeout))
        except OSError as exc:
            raise socks[getattr(exc, "socket_index", 0)]._transfer_error(exc.errno or errno.EIO) from None
        faults.point("netlink")
    finally:
        for s in held:
            s._lock.release()
    return socks[0].interpret(enc, data, labels)


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of a namespace file, None when it is gone."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def open_in(protocol: int, family: Family, netns: NetNS | str | int | None = None,
            **kw: Any) -> NetlinkSocket:
    """A socket inside ``netns`` (a NetNS, name, path or pid)."""
    ns = None if netns is None else NetNS.open(netns)
    return NetlinkSocket(protocol, family, ns, **kw)


__all__ = ["NetlinkSocket", "Reply", "Result", "open_in"]
