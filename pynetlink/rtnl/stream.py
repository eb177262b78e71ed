"""A dump as a stream: each receive buffer decoded and its views yielded before the next is
read, so memory stays that of one buffer (and of the views the caller keeps), however long
the dump. ``Handle.stream`` runs it on a socket of its own.
"""
from __future__ import annotations

import errno
import os
import select
from typing import Any, Iterator

from .._native import ffi
from ..codec.rows import decode
from ..errors import DumpInterrupted, InvalidArgument, NetlinkError
from ..transport.flow import drive
from ..transport.socket import NetlinkSocket
from .request import Request, lookup_flow
from .validate import LinkRef

NLMSG_ERROR, NLMSG_DONE, NLM_F_DUMP_INTR = 2, 3, 0x10
BUFSIZE = 1 << 17          # the kernel fills a dump's buffers up to 32 KiB (more for one huge message)


def stream(sock: NetlinkSocket, request: Request, *, close: bool = False) -> Iterator[Any]:
    """Run the dump ``request`` on ``sock`` (nothing else may use it meanwhile) and yield
    what its parse makes of each receive buffer, in order; ``close`` closes ``sock`` at the
    end (or when the caller stops early). NLM_F_DUMP_INTR (the objects changed during the
    dump) raises DumpInterrupted at the end, since what was yielded cannot be taken back."""
    try:
        if not request.dump or request.parse is None:
            raise InvalidArgument(f"stream: {request.operation} is not a dump")
        index = drive(sock, lookup_flow(sock, set(request.needs))) if request.needs else {}

        def resolve(ref: LinkRef) -> int:
            if isinstance(ref, int):
                return ref
            if ref not in index:
                raise InvalidArgument(f"no such link in this namespace: {ref}")
            return index[ref]

        msgs = request.build(resolve)
        enc = sock.encode([m.item() for m in msgs])
        seq = enc.seq_first
        fd = sock.fileno()
        os.write(fd, bytes(ffi.buffer(enc.buf, enc.length)))
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        interrupted, done = False, False
        while not done:
            if not poller.poll(int(sock.timeout * 1000) or 1):
                raise NetlinkError.from_errno(errno.ETIMEDOUT, request.operation, request.target,
                                              f"no reply within {sock.timeout:g} s")
            rows = decode(os.read(fd, BUFSIZE), sock.family)
            batch = []
            for m in rows.messages():
                if rows.msg_seq(m) != seq:
                    continue
                t = rows.type(m)
                interrupted |= bool(rows.msg_flags(m) & NLM_F_DUMP_INTR)
                if t == NLMSG_DONE or t == NLMSG_ERROR:
                    code = int.from_bytes(rows.header(m, 4), "little", signed=True)
                    if code < 0:
                        raise NetlinkError.from_errno(-code, request.operation, request.target)
                    done = True
                else:
                    batch.append(m)
            if batch:
                yield from request.parse(rows, batch)
        if interrupted:
            raise DumpInterrupted(request.operation, 1, None)
    finally:
        if close:
            sock.close()
