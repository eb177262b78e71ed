/* Transfer: send a batch in chunks, collect every reply of its sequence range.
 * Resumable: on PNL_XF_NEED_SPACE the caller grows x->data and calls again. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/netlink.h>
#include "pnl.h"
#include "pnl_internal.h"

/* The system calls themselves, not libc's wrappers: those are thread cancellation points,
 * and once a process has had a second thread (Python's namespace helpers) libc brackets
 * each call with two atomic operations, per ack received (1,000 for W5's batch: ~3 % of
 * the transfer). Nothing here is ever cancelled (Python does not use pthread_cancel);
 * return value and errno as the wrappers' (every argument passed as a long). A test harness
 * (tests/codec/_xfer_harness.py) defines PNL_XFER_FAKE_IO and its own two functions. */
#ifndef PNL_XFER_FAKE_IO
static ssize_t nl_sendto(int fd, const void *buf, size_t len, const struct sockaddr_nl *to)
{
    return (ssize_t)syscall(SYS_sendto, (long)fd, buf, (long)len, 0L, to, (long)sizeof(*to));
}

static ssize_t nl_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_nl *from,
                           socklen_t *fromlen)
{
    return (ssize_t)syscall(SYS_recvfrom, (long)fd, buf, (long)len, (long)flags, from, fromlen);
}
#endif

#define DEFAULT_CHUNK_MSGS 64
#define DEFAULT_CHUNK_BYTES 65536
#define DEFAULT_TIMEOUT_MS 30000

/* Check the request table against the buffer before trusting any offset in it. */
static int check_requests(const uint8_t *req, size_t req_len, uint32_t seq_first,
                          const struct pnl_status *st, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct nlmsghdr h;
        if (!pnl_nlmsg_ok(req, st[i].req_off, req_len, &h))
            return -EINVAL;
        if (h.nlmsg_len != st[i].req_len || h.nlmsg_seq != seq_first + i)
            return -EINVAL;
        if (i + 1 < n && st[i + 1].req_off < st[i].req_off + st[i].req_len)
            return -EINVAL;
    }
    return 0;
}

static int send_chunk(int fd, const uint8_t *req, struct pnl_status *st, uint32_t n,
                      struct pnl_xfer *x)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    uint32_t max_msgs = x->chunk_msgs ? x->chunk_msgs : DEFAULT_CHUNK_MSGS;
    uint32_t max_bytes = x->chunk_bytes ? x->chunk_bytes : DEFAULT_CHUNK_BYTES;
    uint32_t first = x->next_req, last = first;
    size_t start = st[first].req_off, end = start;
    ssize_t rc;

    while (last < n) {
        size_t e = st[last].req_off + st[last].req_len;
        if (!(x->flags & PNL_XF_ONESHOT) && last > first &&
            (last - first >= max_msgs || e - start > max_bytes))
            break;
        end = e;
        last++;
        if (!(x->flags & PNL_XF_ONESHOT) && (st[last - 1].flags & PNL_ST_DUMP))
            break;                      /* the kernel runs one dump at a time per socket */
    }
    do {
        rc = nl_sendto(fd, req + start, end - start, &kernel);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    x->n_sendmsg++;
    for (uint32_t i = first; i < last; i++) {
        st[i].flags |= PNL_ST_SENT;
        if (!(st[i].flags & PNL_ST_EXPECT))
            st[i].flags |= PNL_ST_DONE;
    }
    x->next_req = last;
    return 0;
}

/* Extended ack TLVs of an error or done message: text and offset. */
static void parse_extack(const uint8_t *data, size_t tlv, size_t end, struct pnl_status *s)
{
    struct nlattr a;

    for (; pnl_nla_ok(data, tlv, end, &a); tlv = pnl_next(tlv, a.nla_len, end)) {
        if (a.nla_type == NLMSGERR_ATTR_MSG) {
            s->ext_msg_off = (uint32_t)(tlv + NLA_HDRLEN);
            s->ext_msg_len = (uint32_t)strnlen((const char *)data + tlv + NLA_HDRLEN,
                                               a.nla_len - NLA_HDRLEN);
        } else if (a.nla_type == NLMSGERR_ATTR_OFFS && a.nla_len >= NLA_HDRLEN + 4) {
            memcpy(&s->ext_offs, data + tlv + NLA_HDRLEN, 4);
        }
    }
}

/* Record an error or done reply; returns 1 to keep the message in the data buffer. */
static int take_status(uint8_t *data, size_t at, const struct nlmsghdr *h, struct pnl_status *s)
{
    size_t payload = h->nlmsg_len - NLMSG_HDRLEN, tlv;
    int32_t err = 0;

    if (payload >= 4)
        memcpy(&err, data + at + NLMSG_HDRLEN, 4);
    if (h->nlmsg_type == NLMSG_DONE && !(s->flags & PNL_ST_DUMP))
        return 1;                        /* not ours to interpret: keep as data */
    if (h->nlmsg_flags & NLM_F_DUMP_INTR)
        s->flags |= PNL_ST_DUMP_INTR;
    s->flags |= PNL_ST_DONE;
    if (err == 0)
        return 0;
    s->flags |= PNL_ST_ERROR;
    s->error = err < 0 ? -err : err;
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
        return 1;
    tlv = NLMSG_HDRLEN + 4;
    if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsghdr orig;
        if (payload < 4 + NLMSG_HDRLEN)
            return 1;
        if (h->nlmsg_flags & NLM_F_CAPPED)
            tlv += NLMSG_HDRLEN;
        else if (pnl_nlmsg_ok(data, at + NLMSG_HDRLEN + 4, at + h->nlmsg_len, &orig))
            tlv += PNL_ALIGN(orig.nlmsg_len);
        else
            return 1;
    }
    if (tlv < h->nlmsg_len)
        parse_extack(data, at + tlv, at + h->nlmsg_len, s);
    return 1;
}

/* Sort the replies just received (data[from, to)): statuses, and keep only what the caller
 * needs (data, errors), moved down so the kept messages stay back to back.
 * Returns 1 when a request that expected no reply (batch framing) got an error. */
static int take_replies(struct pnl_xfer *x, size_t from, size_t to, uint32_t seq_first,
                        struct pnl_status *st, uint32_t n)
{
    uint8_t *data = x->data;
    size_t p = from, w = from;
    int framing_error = 0;

    while (to - p >= NLMSG_HDRLEN) {
        struct nlmsghdr h;
        size_t mlen;
        uint32_t ix;
        int keep = 0;

        if (!pnl_nlmsg_ok(data, p, to, &h)) {
            x->data_len = (uint32_t)w;   /* what was taken so far stays consistent */
            return -EBADMSG;
        }
        mlen = pnl_next(p, h.nlmsg_len, to) - p;
        ix = h.nlmsg_seq - seq_first;
        if (ix < n && (st[ix].flags & PNL_ST_SENT) && !(st[ix].flags & PNL_ST_ERROR) &&
            (!(st[ix].flags & PNL_ST_DONE) || !(st[ix].flags & PNL_ST_EXPECT))) {
            struct pnl_status *s = &st[ix];
            if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) {
                uint32_t before = s->ext_msg_off;
                keep = take_status(data, p, &h, s);
                if (s->ext_msg_off != before)          /* text moves with its message */
                    s->ext_msg_off -= (uint32_t)(p - w);
                if ((s->flags & PNL_ST_ERROR) && !(s->flags & (PNL_ST_EXPECT | PNL_ST_QUIET)))
                    framing_error = 1;
            } else if (!(s->flags & PNL_ST_EXPECT)) {
                ;                                      /* unexpected data: dropped */
            } else {
                keep = 1;
                s->n_data++;
                if (h.nlmsg_flags & NLM_F_DUMP_INTR)
                    s->flags |= PNL_ST_DUMP_INTR;
                if (!(s->flags & (PNL_ST_DUMP | PNL_ST_ACKREQ)))
                    s->flags |= PNL_ST_DONE;           /* a plain reply completes the request */
            }
        }
        if (keep) {
            if (w != p)
                memmove(data + w, data + p, mlen);
            w += mlen;
        }
        p += mlen;
    }
    x->data_len = (uint32_t)w;
    return framing_error;
}

/* Requests still open when the batch framing failed were never executed. */
static void cancel_open(struct pnl_status *st, uint32_t from, uint32_t to, int err, uint32_t flag)
{
    for (uint32_t i = from; i < to; i++)
        if (!(st[i].flags & PNL_ST_DONE) || !(st[i].flags & PNL_ST_SENT)) {
            st[i].flags |= PNL_ST_DONE | PNL_ST_ERROR | flag;
            st[i].error = err;
        }
}

/* Receive one datagram without waiting: its length, or -errno; *kernel: the kernel sent it;
 * *trunc: it did not fit ``cap`` bytes (never parse it). */
static ssize_t recv_datagram(int fd, uint8_t *buf, size_t cap, int *kernel, int *trunc)
{
    struct sockaddr_nl from;
    socklen_t fromlen = sizeof(from);
    ssize_t got;

    *kernel = *trunc = 0;                /* (set on every path: gcc -O3 -Wextra cannot tell) */
    /* recvfrom, not recvmsg: no msghdr or iovec to copy in, per datagram (an ack each) */
    got = nl_recvfrom(fd, buf, cap, MSG_TRUNC | MSG_DONTWAIT, &from, &fromlen);
    if (got < 0)
        return -errno;
    *trunc = (size_t)got > cap;          /* MSG_TRUNC: netlink returns the datagram's length */
    *kernel = fromlen >= sizeof(from) && from.nl_pid == 0;
    return got;
}

/* Take one datagram received at data + data_len; 1 when a batch framing error ended the
 * batch (its open requests cancelled), 0 to go on, -errno on malformed data. */
static int take_datagram(struct pnl_xfer *x, size_t got, uint32_t seq_first,
                         struct pnl_status *st, uint32_t n)
{
    int rc = take_replies(x, x->data_len, x->data_len + got, seq_first, st, n);

    if (rc == 1) {
        cancel_open(st, x->first_open, n, ECANCELED, 0);
        x->first_open = x->next_req = n;
    }
    return rc;
}

int pnl_xfer(int fd, const uint8_t *req, size_t req_len, uint32_t seq_first,
             struct pnl_status *st, uint32_t n, struct pnl_xfer *x)
{
    int timeout = x->timeout_ms > 0 ? x->timeout_ms : DEFAULT_TIMEOUT_MS;

    if (x->data_len > x->data_cap || req_len > 0xffffffffu)
        return -EINVAL;
    if (x->next_req == 0 && x->n_sendmsg == 0) {
        int rc = check_requests(req, req_len, seq_first, st, n);
        if (rc < 0)
            return rc;
    }
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        size_t space;
        ssize_t got;
        int rc, kernel, trunc;

        while (x->first_open < x->next_req && (st[x->first_open].flags & PNL_ST_DONE))
            x->first_open++;
        if (x->first_open == x->next_req) {
            if (x->next_req >= n)
                return 0;
            rc = send_chunk(fd, req, st, n, x);
            if (rc < 0)
                return rc;
            continue;
        }
        space = x->data_cap - x->data_len;
        if (space < PNL_RECV_MIN)
            return PNL_XF_NEED_SPACE;
        /* receive first, wait only when nothing is queued: the kernel answers most requests
         * while sendto runs, so a poll per datagram would be one syscall too many */
        got = recv_datagram(fd, x->data + x->data_len, space, &kernel, &trunc);
        if (got == -EAGAIN) {
            rc = poll(&pfd, 1, timeout);
            if (rc < 0 && errno != EINTR)
                return -errno;
            if (rc == 0) {
                cancel_open(st, x->first_open, x->next_req, ETIMEDOUT, PNL_ST_TIMEOUT);
                return -ETIMEDOUT;
            }
            continue;
        }
        if (got == -EINTR)
            continue;
        if (got < 0)
            return (int)got;
        x->n_recvmsg++;
        if (trunc)
            return -EMSGSIZE;                    /* never parse a truncated datagram */
        if (!kernel)
            continue;                            /* not from the kernel */
        rc = take_datagram(x, got, seq_first, st, n);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
}

/* ---- the same transfer, one step at a time, for an event loop (pynetlink.transport.aio) ----
 * Several batches may be in flight on one socket: the caller receives every datagram
 * itself, finds its batch by sequence number and hands it over with pnl_xfer_take. */
static int settle(struct pnl_xfer *x, const struct pnl_status *st, uint32_t n)
{
    while (x->first_open < x->next_req && (st[x->first_open].flags & PNL_ST_DONE))
        x->first_open++;
    if (x->first_open < x->next_req)
        return PNL_XS_WAIT;
    return x->next_req >= n ? PNL_XS_COMPLETE : PNL_XS_IDLE;
}

int pnl_xfer_send(int fd, const uint8_t *req, size_t req_len, uint32_t seq_first,
                  struct pnl_status *st, uint32_t n, struct pnl_xfer *x)
{
    int rc;

    if (x->data_len > x->data_cap || req_len > 0xffffffffu)
        return -EINVAL;
    if (x->next_req == 0 && x->n_sendmsg == 0) {
        rc = check_requests(req, req_len, seq_first, st, n);
        if (rc < 0)
            return rc;
    }
    rc = settle(x, st, n);
    if (rc != PNL_XS_IDLE)
        return rc;
    rc = send_chunk(fd, req, st, n, x);      /* -EAGAIN on a full non-blocking socket */
    return rc < 0 ? rc : settle(x, st, n);
}

int pnl_xfer_take(struct pnl_xfer *x, uint32_t got, uint32_t seq_first,
                  struct pnl_status *st, uint32_t n)
{
    int rc;

    if (x->data_len > x->data_cap || got > x->data_cap - x->data_len || x->next_req > n)
        return -EINVAL;
    x->n_recvmsg++;
    rc = take_datagram(x, got, seq_first, st, n);
    return rc < 0 ? rc : settle(x, st, n);
}

/* Receive (never waiting) and take this batch's datagrams into buf, until the batch is
 * complete or must wait, or a datagram needs the caller: one of another batch, or one whose
 * kept part does not fit data (then x->data points into buf at the kept bytes). The caller
 * routes or takes that one (its length in *pending). */
int pnl_xfer_recv(int fd, uint8_t *buf, uint32_t cap, uint32_t *pending, uint32_t max_reads,
                  uint32_t seq_first, struct pnl_status *st, uint32_t n, struct pnl_xfer *x)
{
    *pending = 0;
    if (x->data_len > x->data_cap || x->next_req > n)
        return -EINVAL;
    for (uint32_t reads = 0;; reads++) {
        struct nlmsghdr h;
        uint8_t *own = x->data;
        uint32_t own_cap = x->data_cap;
        ssize_t got;
        int kernel, trunc, rc = settle(x, st, n);

        if (rc != PNL_XS_WAIT)
            return rc;
        if (reads == max_reads)
            return PNL_XS_MORE;
        got = recv_datagram(fd, buf, cap, &kernel, &trunc);
        if (got == -EINTR)
            continue;
        if (got < 0)
            return got == -EAGAIN || got == -EWOULDBLOCK ? PNL_XS_WAIT : (int)got;
        if (trunc)
            return -EMSGSIZE;                    /* never parse a truncated datagram */
        if ((size_t)got < NLMSG_HDRLEN || !kernel)
            continue;                            /* not from the kernel */
        memcpy(&h, buf, sizeof(h));
        if (h.nlmsg_seq - seq_first >= n || (x->data_len && own_cap - x->data_len < (size_t)got)) {
            *pending = (uint32_t)got;
            return PNL_XS_OTHER;
        }
        x->n_recvmsg++;
        if (x->data_len) {                       /* append to what is kept */
            memcpy(own + x->data_len, buf, (size_t)got);
            rc = take_datagram(x, (size_t)got, seq_first, st, n);
            if (rc < 0)
                return rc;
            continue;
        }
        x->data = buf;                           /* nothing kept yet: take it where it is */
        x->data_cap = (uint32_t)got;
        rc = take_datagram(x, (size_t)got, seq_first, st, n);
        if (rc < 0) {
            x->data = own;
            x->data_cap = own_cap;
            x->data_len = 0;
            return rc;
        }
        if (x->data_len > own_cap) {
            *pending = x->data_len;
            return PNL_XS_GROW;                  /* x->data is buf: the caller copies it out */
        }
        if (x->data_len)
            memcpy(own, buf, x->data_len);
        x->data = own;
        x->data_cap = own_cap;
    }
}

int pnl_xfer_each(const int32_t *fds, const uint32_t *first, uint32_t k, const uint8_t *req,
                  size_t req_len, uint32_t seq_first, struct pnl_status *st, uint32_t n,
                  struct pnl_xfer *x, uint32_t *at)
{
    if (!fds || !first || !at || first[0] != 0 || first[k] != n || *at > k)
        return -EINVAL;
    for (uint32_t j = 0; j < k; j++)       /* every boundary checked before anything is sent */
        if (first[j + 1] < first[j])
            return -EINVAL;
    for (; *at < k; (*at)++) {
        uint32_t a = first[*at], b = first[*at + 1];
        int rc = pnl_xfer(fds[*at], req, req_len, seq_first + a, st + a, b - a, x);
        if (rc != 0)
            return rc;                  /* PNL_XF_NEED_SPACE: the state kept for the next call */
        x->next_req = x->first_open = 0;
        x->n_sendmsg = 0;               /* the next socket's requests are checked afresh */
    }
    return 0;
}
