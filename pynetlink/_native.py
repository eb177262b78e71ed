"""The one gateway to the compiled codec: typed wrappers around csrc/pnl.h.

Only this module calls ``lib.pnl_*``; the layers above read constants from ``lib`` and get
everything else through the functions and classes here. Each call crosses into C once for
a whole batch or buffer. State is per object, never per module: a socket owns its
``Transfer`` (receive area and transfer state, reused by every transfer of that socket).
"""
from __future__ import annotations

import errno
import os
from array import array

try:
    from ._codec import ffi, lib
except ImportError as _exc:                  # a source tree without the built extension
    raise ImportError(
        f"pynetlink's C codec (pynetlink._codec) is not built in {__file__.rsplit('/', 1)[0]}: "
        "in a checkout run `pip install -e .` (or `bash tools/install.sh`), which compiles it "
        "(needs gcc and the Python headers); or install the package and run from outside the "
        "source tree, which would otherwise shadow it") from _exc
from .errors import DecodeError

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["ffi", "lib", "const", "consts", "check_rc", "RowTable", "decode", "decodes", "LeanTable", "decode_pluck", "pluck",
           "ip_texts", "col_texts",
           "EncodeResult", "encode", "prefixes", "prefix_range", "port_rows", "status_odd", "Transfer", "RecvArea",
           "BatchReplies", "setns", "unshare", "mount", "umount2", "netns_del_many", "netns_make_socket"]

# the columns pnl_decode_grow fills and the bytes of each entry (u32, or u64: "Q")
_COLUMNS = (("off", 4), ("len", 4), ("tf", 4), ("end", 4), ("set", 4), ("val", 8), ("slot", 4),
            ("index", 4))


def _column(buf: Any, size: int) -> "memoryview[int]":
    return memoryview(buf).cast("Q" if size == 8 else "I")


def _take(t: Any, name: str, n: int, size: int) -> "tuple[Any, memoryview[int]]":
    """Take column ``name`` (``n`` entries of ``size`` bytes) out of a C struct that owns it:
    the pointer, now freed by ``ffi.gc`` with its last reference, and a memoryview over it
    (which keeps it alive); the struct's pointer is cleared so its own free leaves it."""
    p = getattr(t, name)
    if not n or p == ffi.NULL:
        return ffi.NULL, _column(b"", size)
    owned = ffi.gc(p, lib.pnl_free, n * size)
    setattr(t, name, ffi.NULL)
    return owned, _column(ffi.buffer(owned, n * size), size)


def const(name: str) -> int:
    """A UAPI constant, as the kernel headers define it."""
    return int(getattr(lib, name))


def consts(prefix: str) -> dict[str, int]:
    """All UAPI constants starting with ``prefix``, keyed by the rest of the name."""
    return {n[len(prefix):]: int(getattr(lib, n)) for n in dir(lib) if n.startswith(prefix)}


def check_rc(rc: int, what: str, path: str = "") -> int:
    """Turn a -errno return into OSError (naming ``path`` when given)."""
    if rc < 0:
        raise OSError(-rc, f"{what}: {os.strerror(-rc)}", path or None)
    return rc


def new(ctype: str, n: int) -> Any:
    return ffi.new(ctype, n)


def decode_error(rc: int, err_off: int) -> DecodeError:
    return DecodeError(f"malformed netlink data ({os.strerror(-rc)})", err_off)


def _zeros(typecode: str, n: int) -> "array[int]":
    return array(typecode, [0]) * n


# -- decoding ----------------------------------------------------------------------------------
class RowTable:
    """The flat row table ``pnl_decode_grow`` filled: one column per field, exactly ``count``
    rows (``index_len`` index entries) long, each a memoryview over memory C allocated.

    Each column owns its memory (``ffi.gc``: freed when the last view of it goes), so a
    column kept longer than its table stays valid. ``c`` is the ``struct pnl_rows`` over
    them that ``pnl_pluck`` reads."""

    __slots__ = ("off", "len", "tf", "end", "set", "val", "slot", "index", "count", "index_len",
                 "n_msgs", "c")
    off: memoryview[int]
    len: memoryview[int]
    tf: memoryview[int]
    end: memoryview[int]
    set: memoryview[int]
    val: memoryview[int]
    slot: memoryview[int]
    index: memoryview[int]

    def __init__(self, t: Any) -> None:
        self.count, self.index_len, self.n_msgs = int(t.count), int(t.index_len), int(t.n_msgs)
        c = ffi.new("struct pnl_rows *")
        for name, size in _COLUMNS:
            owned, view = _take(t, name, self.index_len if name == "index" else self.count, size)
            setattr(c, name, owned)
            setattr(self, name, view)
        c.cap, c.index_cap, c.count, c.n_msgs = self.count, self.index_len, self.count, self.n_msgs
        self.c = c

    def c_struct(self) -> Any:
        """The ``struct pnl_rows`` over these columns (read only: ``pnl_pluck``)."""
        return self.c


def decode(data: bytes, schema: Any, schema_words: int) -> RowTable:
    """Decode a whole receive buffer against a compiled schema (``uint32_t[]``) in one C
    pass: the decoder grows its own table as rows come and shrinks it to fit; the columns
    are then owned here (freed with the last reference). Malformed data raises DecodeError."""
    t = ffi.gc(lib.pnl_rows_new(), lib.pnl_rows_free)
    if t == ffi.NULL:
        raise MemoryError("pnl_rows_new")
    rc = lib.pnl_decode_grow(ffi.from_buffer(data), len(data), schema, schema_words, t)
    if rc == -errno.ENOMEM:
        raise MemoryError(f"decoding {len(data)} bytes of netlink replies")
    if rc < 0:
        raise decode_error(rc, t.err_off)
    return RowTable(t)


def decodes(data: Any, schema: Any, schema_words: int) -> bool:
    """``decode`` would take ``data``: the same pass into a table of no rows (it checks every
    message and nested attribute, keeps nothing)."""
    rc: int = lib.pnl_decode(ffi.from_buffer(data), len(data), schema, schema_words, ffi.new("struct pnl_rows *"))
    return rc == 0 or rc == -errno.ENOSPC


class LeanTable:
    """What ``pnl_decode_pluck`` keeps of a buffer: per message its row (in the table a full
    decode makes) and ``msg_tf`` (as that table's column), and the plucked
    columns of one spec (``pluck``'s result, a memoryview over what C wrote: no copy);
    ``count`` and ``index_len`` as a full decode."""

    __slots__ = ("count", "index_len", "n_msgs", "msg_row", "msg_tf", "plucked")

    def __init__(self, t: Any) -> None:
        self.count, self.index_len, self.n_msgs = int(t.count), int(t.index_len), int(t.n_msgs)
        self.msg_row = _take(t, "msg_row", self.n_msgs, 4)[1]
        self.msg_tf = _take(t, "msg_tf", self.n_msgs, 4)[1]
        self.plucked = _take(t, "out", int(t.out_len), 8)[1]


def decode_pluck(data: bytes, schema: Any, schema_words: int, spec: Any, spec_words: int) -> LeanTable:
    """Decode a whole buffer and pluck ``spec`` from it in one C pass, keeping no row table
    (``pnl_decode_pluck``): the same errors as ``decode``."""
    t = ffi.gc(lib.pnl_lean_new(), lib.pnl_lean_free)
    if t == ffi.NULL:
        raise MemoryError("pnl_lean_new")
    rc = lib.pnl_decode_pluck(ffi.from_buffer(data), len(data), schema, schema_words, spec, spec_words, t)
    if rc == -errno.ENOMEM:
        raise MemoryError(f"decoding {len(data)} bytes of netlink replies")
    if rc < 0:
        raise decode_error(rc, t.err_off)
    return LeanTable(t)


def pluck(data: bytes, table: RowTable, spec: Any, spec_words: int, width: int) -> "array[int]":
    """``pnl_pluck`` over a decoded table: per message of the spec's type, its row and
    columns (``width`` words each), in one C call."""
    cap = table.n_msgs * width
    out = _zeros("Q", cap) if cap else array("Q")
    cout = ffi.from_buffer("uint64_t[]", out) if cap else ffi.NULL
    n = lib.pnl_pluck(ffi.from_buffer(data), len(data), table.c, spec, spec_words,
                      cout, cap)
    if cap:
        ffi.release(cout)                # the array is resized below
    if n < 0:
        raise OSError(-n, f"pnl_pluck: {errno.errorcode.get(-n, n)}")
    del out[n * width:]
    return out


def ip_texts(data: bytes, cols: "array[int] | memoryview[int]", width: int, col_a: int, col_b: int = -1) -> list[str]:
    """``pnl_col_text`` (addresses) over a plucked table: per row, the address in span column
    ``col_a`` (``col_b`` when that is absent) as text, in one C call."""
    return col_texts(data, cols, width, col_a, col_b, lib.PNL_T_IP)


def col_texts(data: bytes, cols: "array[int] | memoryview[int]", width: int, col_a: int, col_b: int = -1,
              mode: int = lib.PNL_T_STR) -> list[str]:
    """``pnl_col_text`` over a plucked table: per row, the text (``mode``) of span column
    ``col_a`` (``col_b`` when that is absent; "" when both are), written NUL-separated by one
    C call, decoded (UTF-8, malformed bytes replaced) and split once."""
    n = len(cols) // width
    if not n:
        return []
    src, c, b = ffi.from_buffer(data), ffi.from_buffer("uint64_t[]", cols), width if col_b < 0 else col_b
    if mode == lib.PNL_T_IP:
        cap = n * lib.PNL_IP_TEXT_MAX
    else:
        cap = lib.pnl_col_text(src, len(data), c, n, width, col_a, b, mode, ffi.NULL, 0)
        if cap < 0:
            raise OSError(-cap, f"pnl_col_text: {errno.errorcode.get(-cap, cap)}")
    out = bytearray(cap)
    w = lib.pnl_col_text(src, len(data), c, n, width, col_a, b, mode, ffi.from_buffer(out), cap)
    if w < 0:
        raise OSError(-w, f"pnl_col_text: {errno.errorcode.get(-w, w)}")
    return str(memoryview(out)[:w - 1], "utf-8", "replace").split("\0")


# -- encoding ----------------------------------------------------------------------------------
class EncodeResult:
    """What ``pnl_encode`` made of a job: the buffer, its request table and offset log."""

    __slots__ = ("buf", "length", "status", "log", "n_log")

    def __init__(self, buf: Any, length: int, status: Any, log: Any, n_log: int) -> None:
        self.buf, self.length, self.status, self.log, self.n_log = buf, length, status, log, n_log


class EncodeFailure(Exception):
    """``pnl_encode`` refused a job entry (``entry``, ``op``: where; ``rc``: why)."""

    def __init__(self, rc: int, entry: int, op: int) -> None:
        super().__init__(rc, entry, op)
        self.rc, self.entry, self.op = rc, entry, op


def encode(job: bytes, seq_first: int, max_size: int, n: int, n_log: int) -> EncodeResult:
    """Encode ``n`` job entries (program prefix + packed values each) into one buffer of at
    most ``max_size`` bytes, sequence numbers from ``seq_first``; EncodeFailure if refused."""
    # buf and log not cleared: pnl_encode writes every byte below out_len (padding and NULs
    # too) and every log entry below n_log, and nothing past them is read; the bounds (sums of
    # per-message maxima) are often far above what is written (a 200-rule batch: 312 KiB)
    # nor the status table: pnl_encode sets every field of each message's entry, and makes
    # exactly ``n`` messages (checked: no entry is left unwritten)
    _uncleared = ffi.new_allocator(should_clear_after_alloc=False)
    buf = _uncleared("uint8_t[]", max(max_size, 16))
    status = _uncleared("struct pnl_status[]", max(n, 1))
    log = _uncleared("struct pnl_log[]", max(n_log, 1))
    res = ffi.new("struct pnl_enc *")
    rc = lib.pnl_encode(ffi.from_buffer(job), len(job), seq_first & 0xFFFFFFFF, buf, max_size,
                        status, n, log, n_log, res)
    if rc < 0:
        raise EncodeFailure(rc, int(res.err_entry), int(res.err_op))
    if res.n_msgs != n:                     # (a raw entry holding other than its count)
        raise EncodeFailure(-errno.EINVAL, min(int(res.n_msgs), n), 0xFFFFFFFF)
    return EncodeResult(buf, int(res.out_len), status, log, int(res.n_log))


def encode_again(job: Any, job_len: int, seq_first: int, res: EncodeResult, cap: int, log_cap: int,
                 out: Any) -> None:
    """``pnl_encode`` of a one-message ``job`` (a cdata over its bytes) that ``encode`` made
    ``res`` of, again into ``res``'s buffers under ``seq_first`` (``out``: a ``struct
    pnl_enc *`` reused); EncodeFailure if it is not the same message (cannot happen)."""
    rc = lib.pnl_encode(job, job_len, seq_first, res.buf, cap, res.status, 1, res.log, log_cap, out)
    if rc < 0 or out.out_len != res.length or out.n_log != res.n_log:
        raise EncodeFailure(rc if rc < 0 else -errno.EINVAL, 0, 0xFFFFFFFF)


def same_file(path: bytes, dev: int, ino: int) -> bool:
    """``pnl_same_file``: whether ``path`` is still the file (dev, ino) (False when it is
    gone); OSError on another failure of stat(2)."""
    rc = lib.pnl_same_file(path, dev, ino)
    if rc < 0:
        raise OSError(-rc, os.strerror(-rc), os.fsdecode(path))
    return bool(rc == 1)


def prefixes(text: bytes, af: int, n: int, row: int) -> tuple[bytearray, int]:
    """``pnl_prefixes``: ``n`` prefixes, one per line of ``text``, as rows of ``row`` bytes
    (length, masked address); the rows and how many were parsed before the first the C
    parser did not take (``n``: all)."""
    out = bytearray(n * row)
    got = lib.pnl_prefixes(text, len(text), af, n, ffi.from_buffer(out) if n else ffi.NULL, len(out))
    return out, check_rc(got, "pnl_prefixes")


def prefix_range(first: bytes, plen: int, n: int) -> bytes:
    """``pnl_prefix_range``: ``n`` consecutive prefixes of ``plen`` bits from ``first`` (its
    host bits clear) as ``prefixes``' rows; OSError(ERANGE) past the last address."""
    out = bytearray(n * (1 + len(first)))
    check_rc(lib.pnl_prefix_range(first, len(first), plen, n, ffi.from_buffer(out) if n else ffi.NULL,
                                  len(out)), "pnl_prefix_range")
    return bytes(out)


def port_rows(fmt: bytes, row: int, consts: bytes, proto: bytes, host: "array[int]", addr: bytes,
              to_port: "array[int]") -> bytes:
    """``pnl_port_rows``: one row of ``row`` bytes per publication, laid out by ``fmt`` from
    the columns (``len(host)`` of each: ``addr`` 4 bytes per publication)."""
    n = len(host)
    if not len(proto) == len(to_port) == n == len(addr) // 4 or len(addr) % 4:
        raise ValueError("port_rows: columns of different lengths")       # (C reads n of each)
    out = bytearray(row * n)
    got = lib.pnl_port_rows(fmt, consts, len(consts), n, proto, ffi.from_buffer("uint16_t[]", host), addr,
                            ffi.from_buffer("uint16_t[]", to_port), ffi.from_buffer(out), len(out))
    if check_rc(got, "pnl_port_rows") != row:
        raise ValueError(f"port_rows: rows of {got} bytes, not {row}")
    return bytes(out)


def status_odd(status: Any, n: int, want: int) -> "list[int]":
    """``pnl_status_odd``: indexes of the requests of a status table that are not plain
    successes (an error, or DONE | DUMP_INTR flags other than ``want``)."""
    got = check_rc(lib.pnl_status_odd(status, n, want, ffi.NULL, 0), "pnl_status_odd")
    if not got:
        return []
    out = ffi.new("uint32_t[]", got)
    lib.pnl_status_odd(status, n, want, out, got)
    return list(out)


# -- transfers ---------------------------------------------------------------------------------
def xfer_state(chunk_msgs: int, chunk_bytes: int, oneshot: bool, timeout_ms: int = 0) -> Any:
    """A fresh ``struct pnl_xfer`` (zero state) with these limits."""
    x = ffi.new("struct pnl_xfer *")
    x.chunk_msgs = chunk_msgs
    x.chunk_bytes = chunk_bytes
    x.timeout_ms = timeout_ms
    x.flags = lib.PNL_XF_ONESHOT if oneshot else 0
    return x


class Transfer:
    """The receive area of one blocking socket, reused by all its transfers (grown when a
    transfer's replies need more; a grown area goes back to the usual size once its replies
    are copied out, so a large dump leaves no large area behind)."""

    __slots__ = ("cap", "data", "base_cap")
    # not cleared: pnl_xfer writes before Python reads, and only data_len bytes are read or
    # copied; clearing 256 KiB per socket cost ~80 us and 64 page faults each (W1), and the
    # pages of a grown area that a transfer never reaches stay untouched (no memory). Grown
    # by pnl_area (realloc: in place or mremap where it can), not a new area and a copy per
    # doubling (a 2,000-link dump grows it four times)

    def __init__(self, cap: int = 256 * 1024) -> None:
        self.cap = self.base_cap = cap
        self.data = _area(ffi.NULL, cap)

    def run(self, fd: int, buf: Any, length: int, seq_first: int, status: Any, n: int, *,
            chunk_msgs: int, chunk_bytes: int, timeout_ms: int, oneshot: bool) -> bytes:
        """``pnl_xfer``: send the batch, collect every reply of its sequence range (GIL
        released); the replies kept (data, errors), or OSError with the C errno."""
        x = xfer_state(chunk_msgs, chunk_bytes, oneshot, timeout_ms)
        return self._drive(x, lambda: lib.pnl_xfer(fd, buf, length, seq_first, status, n, x))

    def run_each(self, fds: "list[int]", first: "list[int]", buf: Any, length: int, seq_first: int,
                 status: Any, n: int, *, timeout_ms: int) -> bytes:
        """``pnl_xfer_each``: the batch's requests ``first[j]`` .. ``first[j + 1] - 1`` on
        socket ``fds[j]``, one socket after the other, every reply kept in this area; OSError
        with the C errno and ``.socket_index``, the socket it came from (later ones unsent)."""
        k = len(fds)
        if not k or len(first) != k + 1:        # pnl_xfer_each reads first[0] .. first[k]
            raise ValueError(f"run_each: {len(first)} boundaries for {k} sockets")
        cfds, cfirst, at = ffi.new("int32_t[]", fds), ffi.new("uint32_t[]", first), ffi.new("uint32_t *")
        x = xfer_state(0, 0, False, timeout_ms)
        try:
            return self._drive(x, lambda: lib.pnl_xfer_each(cfds, cfirst, k, buf, length, seq_first, status, n, x, at))
        except OSError as exc:
            exc.socket_index = int(at[0])       # type: ignore[attr-defined]
            raise

    def _drive(self, x: Any, call: "Callable[[], int]") -> bytes:
        """Run a transfer call until done, growing the area when it asks (GIL released in C)."""
        x.data, x.data_cap = self.data, self.cap
        try:
            while True:
                rc = call()
                if rc == lib.PNL_XF_NEED_SPACE:
                    cap = self.cap * 2
                    self.data, self.cap = _area(self.data, cap), cap
                    x.data, x.data_cap = self.data, cap
                    continue
                if rc < 0:
                    raise OSError(-rc, os.strerror(-rc))
                return bytes(ffi.buffer(x.data, x.data_len))
        finally:
            if self.cap > self.base_cap:    # a large dump leaves no large area behind
                self.data, self.cap = _area(ffi.NULL, self.base_cap), self.base_cap

    def run_into(self, fd: int, buf: Any, length: int, seq_first: int, status: Any, n: int, *,
                 chunk_msgs: int, chunk_bytes: int, timeout_ms: int, oneshot: bool, cap: int,
                 new: Callable[[int], bytes], shrink: Callable[[bytes, int], None]) -> bytes:
        """``run`` receiving straight into the bytes object it returns: ``new(cap)`` (not
        initialised; a larger one, what was received copied into it, when the replies need
        more room), cut in place by ``shrink`` to the replies kept. A large dump whose size
        was guessed right is not copied (the area of this socket is not used)."""
        x = xfer_state(chunk_msgs, chunk_bytes, oneshot, timeout_ms)
        out = new(cap)
        p = ffi.from_buffer("uint8_t[]", out)
        x.data, x.data_cap = p, cap
        try:
            while True:
                rc = lib.pnl_xfer(fd, buf, length, seq_first, status, n, x)
                if rc != lib.PNL_XF_NEED_SPACE:
                    break
                cap *= 2
                grown = new(cap)
                q = ffi.from_buffer("uint8_t[]", grown)
                ffi.memmove(q, p, x.data_len)
                ffi.release(p)
                out, p = grown, q
                x.data, x.data_cap = p, cap
        finally:
            ffi.release(p)
        if rc < 0:
            raise OSError(-rc, os.strerror(-rc))
        shrink(out, x.data_len)
        return out


def _area(old: Any, cap: int) -> Any:
    """``pnl_area``: a receive area of ``cap`` bytes (``old``, owned by ``ffi.gc``, resized
    keeping its bytes, or a new one), freed with its last reference."""
    p = lib.pnl_area(old, cap)
    if p == ffi.NULL:
        raise MemoryError(f"a receive area of {cap} bytes")
    if old != ffi.NULL:
        ffi.gc(old, None)                   # resized: the old pointer is no longer freed
    return ffi.gc(ffi.cast("uint8_t *", p), lib.pnl_area_free)


class RecvArea:
    """The datagram receive area of one event-loop socket (one datagram at a time),
    reused by every read of that socket."""

    __slots__ = ("cap", "buf", "view", "c", "pending")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buf = bytearray(cap)
        self.view = memoryview(self.buf)
        self.c = ffi.from_buffer(self.buf)
        self.pending = ffi.new("uint32_t *")   # pnl_xfer_recv: size of a datagram left in buf


class BatchReplies:
    """The transfer state of one batch in flight on an event-loop socket and the replies
    it keeps (data, errors: acks are not kept), copied out of the socket's RecvArea."""

    __slots__ = ("x", "data", "cap")

    def __init__(self, chunk_msgs: int, chunk_bytes: int, oneshot: bool) -> None:
        self.x = xfer_state(chunk_msgs, chunk_bytes, oneshot)
        self.data: Any = ffi.NULL        # allocated when a reply leaves something to keep
        self.cap = 0

    def send(self, fd: int, buf: Any, length: int, seq_first: int, status: Any, n: int) -> int:
        """``pnl_xfer_send``: send the next chunk without blocking (PNL_XS_* or -errno)."""
        return int(lib.pnl_xfer_send(fd, buf, length, seq_first, status, n, self.x))

    def take(self, area: RecvArea, got: int, seq_first: int, status: Any, n: int) -> int:
        """``pnl_xfer_take``: hand the datagram in ``area`` (``got`` bytes) to the table."""
        x, src = self.x, area.c
        if not x.data_len:               # nothing kept yet: take it where it was received
            x.data, x.data_cap = src, got
            rc = int(lib.pnl_xfer_take(x, got, seq_first, status, n))
            kept = x.data_len
            if kept:
                self._room(kept * 2)
                ffi.memmove(self.data, src, kept)
            x.data, x.data_cap = self.data, self.cap
            return rc
        if self.cap - x.data_len < got:
            cap = max(self.cap * 2, x.data_len + got)
            data = ffi.new("uint8_t[]", cap)
            ffi.memmove(data, self.data, x.data_len)
            self.data, self.cap = data, cap
            x.data, x.data_cap = data, cap
        ffi.memmove(self.data + x.data_len, src, got)
        return int(lib.pnl_xfer_take(x, got, seq_first, status, n))

    def recv(self, fd: int, area: RecvArea, max_reads: int, seq_first: int, status: Any,
             n: int) -> int:
        """``pnl_xfer_recv``: receive and take this batch's datagrams until it must wait;
        PNL_XS_GROW: the replies it kept are in ``area``, ``adopt`` copies them."""
        rc = int(lib.pnl_xfer_recv(fd, area.c, area.cap, area.pending, max_reads, seq_first,
                                   status, n, self.x))
        if rc == lib.PNL_XS_GROW:
            kept = area.pending[0]
            self._room(kept * 2)
            ffi.memmove(self.data, self.x.data, kept)
            self.x.data, self.x.data_cap = self.data, self.cap
        return rc

    def _room(self, want: int) -> None:
        if self.cap < want // 2:
            self.cap = max(4096, want)
            self.data = ffi.new("uint8_t[]", self.cap)

    def bytes(self) -> bytes:
        n = self.x.data_len
        return bytes(ffi.buffer(self.data, n)) if n else b""


# -- namespaces --------------------------------------------------------------------------------
def setns(fd: int, nstype: int, path: str = "") -> None:
    check_rc(lib.pnl_setns(fd, nstype), "setns", path)


def unshare(flags: int) -> None:
    check_rc(lib.pnl_unshare(flags), "unshare")


def mount(source: str, target: str, flags: int) -> int:
    """mount(2) with no file system type or data; the -errno it returned (0 when done)."""
    return int(lib.pnl_mount(source.encode(), target.encode(), b"none", flags, ffi.NULL))


# pnl_netns_del_many's helpers: umount2 + unlink take ~10 us with the other CPUs idle; 30 us
# or more, 12 in a row (the first few after a pause are slow anyway), means busy CPUs make
# every grace period long, and 8 waiters share them (200 namespaces on 2 busy CPUs: ~12 ms
# one after the other, ~5 ms on 8 threads).
NETNS_DEL_THREADS = 8
NETNS_DEL_SLOW_NS = 30_000


def netns_del_many(paths: "list[str]", flags: int, threads: int = NETNS_DEL_THREADS,
                   slow_ns: int = NETNS_DEL_SLOW_NS) -> "list[int]":
    """``pnl_netns_del_many``: umount2 (``flags``) and unlink each path in one C call (on up to
    ``threads`` threads once they turn slow, see pnl.h); per path 0 or the -errno that stopped
    it, or [] when every one was deleted."""
    blob = os.fsencode("\0".join(paths) + "\0") if paths else b""
    if blob.count(b"\0") != len(paths):
        raise ValueError("netns_del_many: a path with a NUL byte")
    errs = ffi.new("int32_t[]", max(len(paths), 1))
    if not check_rc(lib.pnl_netns_del_many(blob, len(blob), len(paths), flags, threads, slow_ns, errs),
                    "pnl_netns_del_many"):
        return []
    return list(errs)[:len(paths)]


_NS_STEPS = ("netns", "create", "unshare", "bind mount", "netlink socket")   # by PNL_NS_STEP_*


def netns_make_socket(path: str, name: str, protocol: int, rcvbuf: int,
                      sndbuf: int) -> "tuple[int, int, int, int]":
    """``pnl_netns_make_socket``: the namespace ``name`` at ``path`` made on this thread, which
    is left inside it, with a bound netlink socket there: (fd, SO_SNDBUF, st_dev, st_ino of the
    mount). OSError naming the step that failed (FileExistsError: a namespace is there)."""
    out = ffi.new("uint64_t[3]")
    fd = lib.pnl_netns_make_socket(os.fsencode(path), protocol, rcvbuf, sndbuf, out)
    if fd < 0:
        if fd == -errno.EEXIST and out[0] == lib.PNL_NS_STEP_FILE:
            raise FileExistsError(errno.EEXIST, "network namespace exists", name)
        step = int(out[0])
        check_rc(fd, _NS_STEPS[step if step < len(_NS_STEPS) else 0], path)
    return fd, int(out[0]), int(out[1]), int(out[2])


def umount2(target: str, flags: int) -> int:
    """umount2(2); the -errno it returned (0 when done)."""
    return int(lib.pnl_umount2(target.encode(), flags))
