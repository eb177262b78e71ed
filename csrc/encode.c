/* Encoder: request programs + value records -> netlink messages, one pass. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include "pnl.h"
#include "pnl_internal.h"

/* A bounded writer: past the capacity it only counts, so one pass tells the size needed. */
struct writer {
    uint8_t *buf;
    size_t cap;
    size_t pos;
};

static void w_bytes(struct writer *w, const void *src, size_t n)
{
    if (w->pos + n <= w->cap && n)
        memcpy(w->buf + w->pos, src, n);
    w->pos += n;
}

static void w_zero(struct writer *w, size_t n)
{
    if (w->pos + n <= w->cap && n)
        memset(w->buf + w->pos, 0, n);
    w->pos += n;
}

static void w_pad(struct writer *w)
{
    w_zero(w, PNL_ALIGN(w->pos) - w->pos);
}

static void w_patch16(struct writer *w, size_t at, uint16_t v)
{
    if (at + 2 <= w->cap)
        memcpy(w->buf + at, &v, 2);
}

static void w_patch32(struct writer *w, size_t at, uint32_t v)
{
    if (at + 4 <= w->cap)
        memcpy(w->buf + at, &v, 4);
}

static void w_attr_head(struct writer *w, uint16_t type, size_t payload)
{
    struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + payload), .nla_type = type };
    w_bytes(w, &a, sizeof(a));
}

struct enc_ctx {
    struct writer w;
    struct pnl_log *log;
    uint32_t log_cap;
    uint32_t n_log;
};

static void log_field(struct enc_ctx *c, uint32_t msg, size_t msg_start, uint32_t op)
{
    if (c->n_log < c->log_cap) {
        c->log[c->n_log].msg = msg;
        c->log[c->n_log].off = (uint32_t)(c->w.pos - msg_start);
        c->log[c->n_log].op = op;
    }
    c->n_log++;
}

/* Encode one entry (one message). Returns 0 or -EINVAL with *bad_op set. */
static int encode_entry(struct enc_ctx *c, const uint8_t *ops, uint32_t n_ops,
                        const uint8_t *rec, uint32_t rec_len, uint32_t msg, uint32_t seq,
                        struct pnl_status *st, uint32_t *bad_op)
{
    struct writer *w = &c->w;
    size_t nests[PNL_MAX_DEPTH];
    uint32_t depth = 0;
    size_t start;
    struct pnl_op head;

    if (n_ops == 0)
        goto bad_head;
    memcpy(&head, ops, sizeof(head));   /* the job need not be aligned */
    if (head.op != PNL_OP_MSG)
        goto bad_head;
    w_pad(w);
    start = w->pos;
    {
        struct nlmsghdr h = { .nlmsg_len = 0, .nlmsg_type = head.type,
                              .nlmsg_flags = head.len, .nlmsg_seq = seq, .nlmsg_pid = 0 };
        w_bytes(w, &h, sizeof(h));
    }
    if (st) {
        st->error = 0;
        st->flags = 0;
        st->req_off = (uint32_t)start;
        st->ext_offs = 0xffffffffu;
        st->ext_msg_off = st->ext_msg_len = st->n_data = 0;
        if (head.flags & PNL_MF_DUMP)
            st->flags |= PNL_ST_DUMP | PNL_ST_EXPECT;
        if (head.len & NLM_F_ACK)
            st->flags |= PNL_ST_ACKREQ | PNL_ST_EXPECT;
        if (head.flags & PNL_MF_REPLY)
            st->flags |= PNL_ST_EXPECT;
        if ((head.flags & PNL_MF_QUIET) && !(st->flags & PNL_ST_EXPECT))
            st->flags |= PNL_ST_QUIET;
    }
    for (uint32_t i = 1; i < n_ops; i++) {
        struct pnl_op opv;
        const struct pnl_op *op = &opv;
        size_t n;

        memcpy(&opv, ops + (size_t)i * sizeof(opv), sizeof(opv));
        n = op->len;

        *bad_op = i;
        switch (op->op) {
        case PNL_OP_FIXED:
        case PNL_OP_ATTR:
            if ((size_t)op->off + n > rec_len || n > 0xffff - NLA_HDRLEN)
                return -EINVAL;
            log_field(c, msg, start, i);
            if (op->op == PNL_OP_ATTR)
                w_attr_head(w, op->type, n);
            if ((op->flags & PNL_OPF_BE) && (n == 2 || n == 4 || n == 8)) {
                uint8_t be[8];
                for (size_t k = 0; k < n; k++)
                    be[k] = rec[op->off + n - 1 - k];
                w_bytes(w, be, n);
            } else {
                w_bytes(w, rec + op->off, n);
            }
            w_pad(w);
            break;
        case PNL_OP_STR: {
            size_t len;
            if ((size_t)op->off + n > rec_len || n > 0xffff - NLA_HDRLEN - 1)
                return -EINVAL;
            len = strnlen((const char *)rec + op->off, n);
            log_field(c, msg, start, i);
            if (op->flags & PNL_OPF_NONUL) {
                w_attr_head(w, op->type, len);
                w_bytes(w, rec + op->off, len);
            } else {
                w_attr_head(w, op->type, len + 1);
                w_bytes(w, rec + op->off, len);
                w_zero(w, 1);
            }
            w_pad(w);
            break;
        }
        case PNL_OP_VAR: {
            uint16_t len;
            if ((size_t)op->off + 2 > rec_len)
                return -EINVAL;
            memcpy(&len, rec + op->off, 2);
            if (len > n || (size_t)op->off + 2 + len > rec_len || len > 0xffff - NLA_HDRLEN)
                return -EINVAL;
            log_field(c, msg, start, i);
            w_attr_head(w, op->type, len);
            w_bytes(w, rec + op->off + 2, len);
            w_pad(w);
            break;
        }
        case PNL_OP_NEST:
            if (depth == PNL_MAX_DEPTH)
                return -EINVAL;
            log_field(c, msg, start, i);
            nests[depth++] = w->pos;
            w_attr_head(w, op->type, 0);
            break;
        case PNL_OP_END: {
            size_t len;
            if (depth == 0)
                return -EINVAL;
            depth--;
            len = w->pos - nests[depth];
            if (len > 0xffff)
                return -EINVAL;
            w_patch16(w, nests[depth], (uint16_t)len);
            break;
        }
        default:
            return -EINVAL;
        }
    }
    if (depth != 0) {
        *bad_op = n_ops;
        return -EINVAL;
    }
    if (w->pos - start > 0xffffffffu)
        return -EINVAL;
    w_patch32(w, start, (uint32_t)(w->pos - start));
    if (st)
        st->req_len = (uint32_t)(w->pos - start);
    return 0;
bad_head:
    *bad_op = 0;
    return -EINVAL;
}

/* Where patch (off, len) of the record lands in a message encoded from it, as an offset from
 * the message start: inside one plain FIXED/ATTR op's bytes (found by that op's log entry).
 * -1 when its bytes do not go out as they are (big-endian, strings, variable length) or no
 * log entry tells: then every message is encoded in full. */
static long patch_target(const uint8_t *ops, uint32_t n_ops, const struct pnl_log *log,
                         uint32_t n_log, uint16_t off, uint16_t len)
{
    for (uint32_t j = 0; j < n_log; j++) {
        struct pnl_op op;
        uint32_t i = log[j].op;

        if (i == 0 || i >= n_ops)
            return -1;
        memcpy(&op, ops + (size_t)i * sizeof(op), sizeof(op));
        if ((op.op == PNL_OP_STR || op.op == PNL_OP_VAR) && (size_t)off < (size_t)op.off + op.len + 2
            && (size_t)op.off < (size_t)off + len)
            return -1;                  /* a patch over a string or variable value: lengths vary */
        if ((op.op != PNL_OP_FIXED && op.op != PNL_OP_ATTR) || off < op.off
            || (size_t)off + len > (size_t)op.off + op.len)
            continue;
        if (op.flags & PNL_OPF_BE)
            return -1;
        return (long)log[j].off + (op.op == PNL_OP_ATTR ? NLA_HDRLEN : 0) + (off - op.off);
    }
    return -1;
}

/* Whether the messages after one just encoded (its status st, its log entries from log0) can
 * be copies of it: where each patch lands in it (targets, at most 16 patches), or 0. */
static int copy_targets(const struct enc_ctx *c, const uint8_t *ops, uint32_t n_ops, const uint8_t *patch,
                        uint32_t n_patch, uint32_t log0, const struct pnl_status *st, long *targets)
{
    if (!st || !c->log || n_patch > 16 || c->n_log > c->log_cap || st->req_off + (size_t)st->req_len > c->w.cap)
        return 0;
    for (uint32_t i = 0; i < n_patch; i++) {
        uint16_t off, len;
        memcpy(&off, patch + 4 * i, 2);
        memcpy(&len, patch + 4 * i + 2, 2);
        targets[i] = patch_target(ops, n_ops, c->log + log0, c->n_log - log0, off, len);
        if (targets[i] < 0 || (size_t)targets[i] + len > st->req_len)
            return 0;
    }
    return 1;
}

/* Messages 1.. of a rows entry as copies of message 0 (at first, len bytes, its log entries
 * log0..log0+n_logged) with their sequence number and the row's bytes put at targets[]: the
 * program's layout does not depend on the patched values (patch_target said so). */
static void copy_rows(struct enc_ctx *c, size_t first, size_t len, uint32_t log0, uint32_t n_logged,
                      const uint8_t *patch, uint32_t n_patch, const long *targets,
                      const uint8_t *rows, size_t stride, uint32_t n_rows, uint32_t *msg,
                      uint32_t seq_first, struct pnl_status *st)
{
    struct writer *w = &c->w;

    for (uint32_t k = 1; k < n_rows; k++) {
        const uint8_t *row = rows + (size_t)k * stride;
        size_t start;
        uint32_t seq = seq_first + *msg;

        w_pad(w);
        start = w->pos;
        w_bytes(w, w->buf + first, len);
        if (start + len <= w->cap) {
            memcpy(w->buf + start + offsetof(struct nlmsghdr, nlmsg_seq), &seq, 4);
            for (uint32_t i = 0; i < n_patch; i++) {
                uint16_t plen;
                memcpy(&plen, patch + 4 * i + 2, 2);
                memcpy(w->buf + start + (size_t)targets[i], row, plen);
                row += plen;
            }
        }
        for (uint32_t j = 0; j < n_logged; j++) {
            if (c->n_log < c->log_cap) {
                c->log[c->n_log] = c->log[log0 + j];
                c->log[c->n_log].msg = *msg;
            }
            c->n_log++;
        }
        if (st) {
            st[*msg] = st[*msg - k];
            st[*msg].req_off = (uint32_t)start;
        }
        (*msg)++;
    }
}

/* A rows entry (PNL_JOB_ROWS): after the record, u32 n_rows, u32 n_patch, n_patch x {u16 record
 * offset, u16 length}, then n_rows rows of the patches' lengths summed (padded to 4 at the end).
 * Message k is the program over the record with row k copied over the patched ranges, in
 * order. *p is at the record on entry and after the rows on return; *msg counts messages. */
static int encode_rows(struct enc_ctx *c, const uint8_t *job, size_t job_len, size_t *p,
                       const uint8_t *ops, uint32_t n_ops, uint32_t rec_len, uint32_t *msg,
                       uint32_t seq_first, struct pnl_status *st, uint32_t st_cap,
                       struct pnl_enc *res)
{
    const uint8_t *rec = job + *p, *patch, *rows;
    size_t at = *p + PNL_ALIGN(rec_len), stride = 0, rows_bytes;
    uint32_t n_rows, n_patch, bad_op = 0;
    uint8_t *scratch;
    int rc = 0;

    res->err_entry = *msg;
    res->err_op = 0xffffffffu;
    if (job_len - at < 8)
        return -EINVAL;
    memcpy(&n_rows, job + at, 4);
    memcpy(&n_patch, job + at + 4, 4);
    at += 8;
    if (n_patch > 0xffff || (size_t)n_patch * 4 > job_len - at)
        return -EINVAL;
    patch = job + at;
    at += (size_t)n_patch * 4;
    for (uint32_t i = 0; i < n_patch; i++) {
        uint16_t off, len;
        memcpy(&off, patch + 4 * i, 2);
        memcpy(&len, patch + 4 * i + 2, 2);
        if ((size_t)off + len > rec_len)
            return -EINVAL;
        stride += len;
    }
    if (stride && n_rows > (job_len - at) / stride)
        return -EINVAL;
    rows_bytes = stride * n_rows;
    if (PNL_ALIGN(rows_bytes) > job_len - at)
        return -EINVAL;
    rows = job + at;
    if (st && (*msg > st_cap || n_rows > st_cap - *msg))
        return -ENOSPC;
    scratch = malloc(rec_len ? rec_len : 1);
    if (!scratch)
        return -ENOMEM;
    memcpy(scratch, rec, rec_len);
    for (uint32_t k = 0; k < n_rows; k++) {
        const uint8_t *row = rows + (size_t)k * stride;
        uint32_t log0 = c->n_log;
        long targets[16];

        for (uint32_t i = 0; i < n_patch; i++) {
            uint16_t off, len;
            memcpy(&off, patch + 4 * i, 2);
            memcpy(&len, patch + 4 * i + 2, 2);
            memcpy(scratch + off, row, len);
            row += len;
        }
        rc = encode_entry(c, ops, n_ops, scratch, rec_len, *msg, seq_first + *msg,
                          st ? &st[*msg] : NULL, &bad_op);
        if (rc < 0) {
            res->err_entry = *msg;
            res->err_op = bad_op;
            break;
        }
        (*msg)++;
        /* after message 0: the others as copies of it, when its layout allows */
        if (k == 0 && n_rows > 1 && copy_targets(c, ops, n_ops, patch, n_patch, log0, st ? &st[*msg - 1] : NULL,
                                                 targets)) {
            copy_rows(c, st[*msg - 1].req_off, st[*msg - 1].req_len, log0, c->n_log - log0, patch, n_patch,
                      targets, rows, stride, n_rows, msg, seq_first, st);
            break;
        }
    }
    free(scratch);
    *p = at + PNL_ALIGN(rows_bytes);
    return rc;
}

/* A raw entry (PNL_JOB_RAW): len bytes of messages at job + *p, copied one by one; *p after
 * them on return (0), or -EINVAL for a message that does not fit or is not aligned. */
static int encode_raw(struct enc_ctx *c, const uint8_t *job, size_t job_len, size_t *p, uint32_t len,
                      int quiet, uint32_t *msg, uint32_t seq_first, struct pnl_status *st,
                      uint32_t st_cap, struct pnl_enc *res)
{
    struct writer *w = &c->w;
    const uint8_t *raw = job + *p;
    size_t at = 0;

    res->err_entry = *msg;
    res->err_op = 0xffffffffu;
    if (PNL_ALIGN(len) > job_len - *p || len == 0)
        return -EINVAL;
    while (at < len) {
        struct nlmsghdr h;
        size_t start;

        if (len - at < sizeof(h))
            return -EINVAL;
        memcpy(&h, raw + at, sizeof(h));
        if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - at)
            return -EINVAL;
        if (st && *msg >= st_cap)
            return -ENOSPC;
        if (quiet)
            h.nlmsg_flags &= (uint16_t)~NLM_F_ACK;
        h.nlmsg_seq = seq_first + *msg;
        w_pad(w);
        start = w->pos;
        w_bytes(w, &h, sizeof(h));
        w_bytes(w, raw + at + sizeof(h), h.nlmsg_len - sizeof(h));
        if (st) {
            struct pnl_status *s = &st[*msg];
            s->error = 0;
            s->flags = (h.nlmsg_flags & NLM_F_ACK) ? PNL_ST_ACKREQ | PNL_ST_EXPECT : PNL_ST_QUIET;
            s->req_off = (uint32_t)start;
            s->req_len = h.nlmsg_len;
            s->ext_offs = 0xffffffffu;
            s->ext_msg_off = s->ext_msg_len = s->n_data = 0;
        }
        (*msg)++;
        at += PNL_ALIGN(h.nlmsg_len);
    }
    *p += PNL_ALIGN(len);
    return 0;
}

int pnl_encode(const uint8_t *job, size_t job_len, uint32_t seq_first,
               uint8_t *out, size_t out_cap,
               struct pnl_status *st, uint32_t st_cap,
               struct pnl_log *log, uint32_t log_cap,
               struct pnl_enc *res)
{
    struct enc_ctx c = { .w = { .buf = out, .cap = out_cap, .pos = 0 },
                         .log = log, .log_cap = log ? log_cap : 0, .n_log = 0 };
    size_t p = 0;
    uint32_t msg = 0;

    memset(res, 0, sizeof(*res));
    while (p < job_len) {
        uint32_t n_ops, rec_len, bad_op = 0;
        int rows_entry;
        const uint8_t *ops;
        size_t ops_bytes;
        int rc;

        if (job_len - p < 8)
            goto bad;
        memcpy(&n_ops, job + p, 4);
        memcpy(&rec_len, job + p + 4, 4);
        p += 8;
        if (n_ops & PNL_JOB_RAW) {
            if (n_ops & ~(uint32_t)(PNL_JOB_RAW | PNL_JOB_QUIET))
                goto bad;
            rc = encode_raw(&c, job, job_len, &p, rec_len, (n_ops & PNL_JOB_QUIET) != 0, &msg, seq_first,
                            st, st_cap, res);
            if (rc < 0)
                return rc;
            continue;
        }
        rows_entry = (n_ops & PNL_JOB_ROWS) != 0;
        n_ops &= ~(uint32_t)PNL_JOB_ROWS;
        ops_bytes = (size_t)n_ops * sizeof(struct pnl_op);
        if (n_ops > 0xffff || ops_bytes > job_len - p || PNL_ALIGN(rec_len) > job_len - p - ops_bytes)
            goto bad;
        ops = job + p;
        p += ops_bytes;
        if (rows_entry) {
            rc = encode_rows(&c, job, job_len, &p, ops, n_ops, rec_len, &msg, seq_first,
                             st, st_cap, res);
            if (rc < 0)
                return rc;
            continue;
        }
        if (msg >= st_cap && st)
            return -ENOSPC;
        rc = encode_entry(&c, ops, n_ops, job + p, rec_len, msg, seq_first + msg,
                          st ? &st[msg] : NULL, &bad_op);
        if (rc < 0) {
            res->err_entry = msg;
            res->err_op = bad_op;
            return rc;
        }
        p += PNL_ALIGN(rec_len);
        msg++;
    }
    res->out_len = (uint32_t)c.w.pos;
    res->n_msgs = msg;
    res->n_log = c.n_log;
    if (c.w.pos > out_cap || c.n_log > c.log_cap)
        return -ENOSPC;
    return 0;
bad:
    res->err_entry = msg;
    res->err_op = 0xffffffffu;
    return -EINVAL;
}
