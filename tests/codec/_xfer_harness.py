"""pnl_xfer without a socket: csrc/xfer.c compiled with its socket calls replaced by fakes.

The fakes hand out scripted datagrams (each with the sender's nl_pid), so the reply parser
(take_replies, take_status, parse_extack) runs exactly as in the library, on any bytes, with
no socket and no kernel. Built once per session with the codec's own compiler flags
(PYNETLINK_SANITIZE=1 gives ASan/UBSan, as in tools/asan-tests).
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from ._vectors import REPO

CSRC = REPO / "csrc"

HARNESS_C = r"""
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

/* scripted datagrams: [u32 len][u32 nl_pid][len bytes] ... */
static const uint8_t *h_dgrams;
static size_t h_len, h_pos;
static unsigned h_sends;

static ssize_t fake_sendto(int fd, const void *buf, size_t n, int flags,
                           const struct sockaddr *addr, socklen_t alen)
{
    h_sends++;
    return (ssize_t)n;
}

static int fake_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    return h_pos + 8 <= h_len ? 1 : 0;          /* no more datagrams: a timeout */
}

static ssize_t fake_recvmsg(int fd, struct msghdr *mh, int flags)
{
    uint32_t len, pid;
    size_t cap = mh->msg_iov[0].iov_len, n;
    struct sockaddr_nl *sa = mh->msg_name;

    if (h_pos + 8 > h_len) {
        errno = EAGAIN;
        return -1;
    }
    memcpy(&len, h_dgrams + h_pos, 4);
    memcpy(&pid, h_dgrams + h_pos + 4, 4);
    h_pos += 8;
    if (len > h_len - h_pos)
        len = (uint32_t)(h_len - h_pos);
    n = len < cap ? len : cap;
    memcpy(mh->msg_iov[0].iov_base, h_dgrams + h_pos, n);
    h_pos += len;
    mh->msg_flags = len > cap ? MSG_TRUNC : 0;
    memset(sa, 0, sizeof(*sa));
    sa->nl_family = AF_NETLINK;
    sa->nl_pid = pid;
    mh->msg_namelen = sizeof(*sa);
    return (flags & MSG_TRUNC) ? (ssize_t)len : (ssize_t)n;
}

static ssize_t fake_recvfrom(int fd, void *buf, size_t cap, int flags, struct sockaddr *from,
                             socklen_t *fromlen)
{
    struct sockaddr_nl sa;
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t got = fake_recvmsg(fd, &mh, flags);

    if (got >= 0 && from && fromlen) {
        memcpy(from, &sa, *fromlen < sizeof(sa) ? *fromlen : sizeof(sa));
        *fromlen = sizeof(sa);
    }
    return got;
}

/* xfer.c's socket calls (direct system calls there) */
#define PNL_XFER_FAKE_IO
static ssize_t nl_sendto(int fd, const void *buf, size_t len, const struct sockaddr_nl *to)
{
    return fake_sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

static ssize_t nl_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_nl *from,
                           socklen_t *fromlen)
{
    return fake_recvfrom(fd, buf, len, flags, (struct sockaddr *)from, fromlen);
}

#define poll fake_poll
#include "xfer.c"
#undef poll

void harness_load(const uint8_t *dgrams, size_t len)
{
    h_dgrams = dgrams;
    h_len = len;
    h_pos = 0;
    h_sends = 0;
}

unsigned harness_sends(void) { return h_sends; }

int harness_xfer(const uint8_t *req, size_t req_len, uint32_t seq_first,
                 struct pnl_status *st, uint32_t n, struct pnl_xfer *x)
{
    return pnl_xfer(-1, req, req_len, seq_first, st, n, x);
}
"""


def _cdef() -> str:
    text = (CSRC / "pnl.h").read_text()
    structs = [re.search(r"struct %s \{.*?\};" % name, text, re.S).group(0)  # type: ignore[union-attr]
               for name in ("pnl_status", "pnl_xfer")]
    defines = re.findall(r"^#define (?:PNL_ST_|PNL_XF_|PNL_RECV_MIN)\w*\s+\w+", text, re.M)
    return "\n".join(defines + structs + [
        "void harness_load(const uint8_t *dgrams, size_t len);",
        "unsigned harness_sends(void);",
        "int harness_xfer(const uint8_t *req, size_t req_len, uint32_t seq_first,"
        " struct pnl_status *st, uint32_t n, struct pnl_xfer *x);"])


def build(tmpdir: Path) -> Any:
    """Compile the harness into ``tmpdir`` and import it; None when there is no compiler."""
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        return None
    from cffi import FFI
    spec = importlib.util.spec_from_file_location("_pnl_build_codec", CSRC / "build_codec.py")
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)            # builds nothing: only declares the cffi module
    cflags, ldflags = builder.compile_args()
    ffi = FFI()
    ffi.cdef(_cdef())
    ffi.set_source("_pnl_xfer_harness", HARNESS_C, include_dirs=[str(CSRC)],
                   extra_compile_args=cflags, extra_link_args=ldflags)
    so = ffi.compile(tmpdir=str(tmpdir), verbose=False)
    mspec = importlib.util.spec_from_file_location("_pnl_xfer_harness", so)
    assert mspec and mspec.loader
    mod = importlib.util.module_from_spec(mspec)
    mspec.loader.exec_module(mod)
    sys.modules["_pnl_xfer_harness"] = mod
    return mod
