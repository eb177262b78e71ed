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
    from typing import Any

__all__ = ["ffi", "lib", "const", "consts", "check_rc", "RowTable", "decode", "pluck",
           "ip_texts", "col_texts",
           "EncodeResult", "encode", "Transfer", "RecvArea", "BatchReplies", "setns", "unshare", "mount", "umount2"]

# the columns of a row table and their C types
_COLUMNS = (("off", "uint32_t[]"), ("len", "uint32_t[]"), ("tf", "uint32_t[]"),
            ("parent", "int32_t[]"), ("end", "uint32_t[]"), ("set", "uint32_t[]"),
            ("val", "uint64_t[]"), ("slot", "uint32_t[]"))


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
    """The flat row table ``pnl_decode`` fills: one array per column, exactly as long as
    the buffer needs (``count`` rows, ``index_len`` index entries)."""

    __slots__ = ("off", "len", "tf", "parent", "end", "set", "val", "slot", "index",
                 "count", "index_len", "n_msgs")

    def __init__(self, count: int, index_len: int) -> None:
        self.off, self.len, self.tf = _zeros("I", count), _zeros("I", count), _zeros("I", count)
        self.parent, self.end = _zeros("i", count), _zeros("I", count)
        self.set, self.val, self.slot = _zeros("I", count), _zeros("Q", count), _zeros("I", count)
        self.index = _zeros("I", index_len)
        self.count = count
        self.index_len = index_len
        self.n_msgs = 0

    def c_struct(self) -> Any:
        """A ``struct pnl_rows`` over these columns (C reads and writes them in place)."""
        c = ffi.new("struct pnl_rows *")
        for name, ctype in _COLUMNS:
            setattr(c, name, ffi.from_buffer(ctype, getattr(self, name)) if self.count else ffi.NULL)
        c.index = ffi.from_buffer("uint32_t[]", self.index) if self.index_len else ffi.NULL
        c.cap, c.index_cap = self.count, self.index_len
        c.count, c.n_msgs = self.count, self.n_msgs
        return c


def decode(data: bytes, schema: Any, schema_words: int) -> RowTable:
    """Decode a whole receive buffer against a compiled schema (``uint32_t[]``).

    A first C pass with no room only measures (rows and index entries the buffer needs);
    the table is then allocated at exactly that size and filled by the second pass, so no
    guess is ever too small and nothing is learned between calls. Malformed data raises
    DecodeError."""
    src = ffi.from_buffer(data)
    probe = ffi.new("struct pnl_rows *")
    rc = lib.pnl_decode(src, len(data), schema, schema_words, probe)
    if rc == 0:                          # nothing to hold (an empty buffer)
        return RowTable(0, 0)
    if rc != -errno.ENOSPC:
        raise decode_error(rc, probe.err_off)
    table = RowTable(probe.count, probe.index_len)
    c = table.c_struct()
    rc = lib.pnl_decode(src, len(data), schema, schema_words, c)
    if rc < 0:
        raise decode_error(rc, c.err_off)
    table.n_msgs = c.n_msgs
    return table


def pluck(data: bytes, table: RowTable, spec: Any, spec_words: int, width: int) -> "array[int]":
    """``pnl_pluck`` over a decoded table: per message of the spec's type, its row and
    columns (``width`` words each), in one C call."""
    cap = table.n_msgs * width
    out = _zeros("Q", cap) if cap else array("Q")
    cout = ffi.from_buffer("uint64_t[]", out) if cap else ffi.NULL
    n = lib.pnl_pluck(ffi.from_buffer(data), len(data), table.c_struct(), spec, spec_words,
                      cout, cap)
    if cap:
        ffi.release(cout)                # the array is resized below
    if n < 0:
        raise OSError(-n, f"pnl_pluck: {errno.errorcode.get(-n, n)}")
    del out[n * width:]
    return out


def ip_texts(data: bytes, cols: "array[int]", width: int, col_a: int, col_b: int = -1) -> list[str]:
    """``pnl_col_text`` (addresses) over a plucked table: per row, the address in span column
    ``col_a`` (``col_b`` when that is absent) as text, in one C call."""
    return col_texts(data, cols, width, col_a, col_b, lib.PNL_T_IP)


def col_texts(data: bytes, cols: "array[int]", width: int, col_a: int, col_b: int = -1,
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
    buf = ffi.new("uint8_t[]", max(max_size, 16))
    status = ffi.new("struct pnl_status[]", max(n, 1))
    log = ffi.new("struct pnl_log[]", max(n_log, 1))
    res = ffi.new("struct pnl_enc *")
    rc = lib.pnl_encode(ffi.from_buffer(job), len(job), seq_first & 0xFFFFFFFF, buf, max_size,
                        status, n, log, n_log, res)
    if rc < 0:
        raise EncodeFailure(rc, int(res.err_entry), int(res.err_op))
    return EncodeResult(buf, int(res.out_len), status, log, int(res.n_log))


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
    transfer's replies need more)."""

    __slots__ = ("cap", "data")
    # not cleared: pnl_xfer writes before Python reads, and only data_len bytes are read or
    # copied; clearing 256 KiB per socket cost ~80 us and 64 page faults each (W1)
    _new_uncleared = ffi.new_allocator(should_clear_after_alloc=False)

    def __init__(self, cap: int = 256 * 1024) -> None:
        self.cap = cap
        self.data = Transfer._new_uncleared("uint8_t[]", cap)

    def run(self, fd: int, buf: Any, length: int, seq_first: int, status: Any, n: int, *,
            chunk_msgs: int, chunk_bytes: int, timeout_ms: int, oneshot: bool) -> bytes:
        """``pnl_xfer``: send the batch, collect every reply of its sequence range (GIL
        released); the replies kept (data, errors), or OSError with the C errno."""
        x = xfer_state(chunk_msgs, chunk_bytes, oneshot, timeout_ms)
        x.data, x.data_cap = self.data, self.cap
        while True:
            rc = lib.pnl_xfer(fd, buf, length, seq_first, status, n, x)
            if rc == lib.PNL_XF_NEED_SPACE:
                cap = self.cap * 2
                data = Transfer._new_uncleared("uint8_t[]", cap)
                ffi.memmove(data, x.data, x.data_len)
                self.data, self.cap = data, cap
                x.data, x.data_cap = data, cap
                continue
            if rc < 0:
                raise OSError(-rc, os.strerror(-rc))
            return bytes(ffi.buffer(x.data, x.data_len))


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


def umount2(target: str, flags: int) -> int:
    """umount2(2); the -errno it returned (0 when done)."""
    return int(lib.pnl_umount2(target.encode(), flags))
