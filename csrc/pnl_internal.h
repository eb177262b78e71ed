/* Helpers shared by the codec's C files (not part of the cffi API). */
#ifndef PNL_INTERNAL_H
#define PNL_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>

#define PNL_ALIGN(n) (((size_t)(n) + 3u) & ~(size_t)3u)   /* widened first: a u32 near 2^32 must not wrap to 0 */

/* libmnl's mnl_attr_ok(): an attribute header fits in buf[at, end) and its nla_len covers
 * the header and stays inside; the header is copied to *a (buf may be unaligned). */
static inline int pnl_nla_ok(const uint8_t *buf, size_t at, size_t end, struct nlattr *a)
{
    if (at > end || end - at < NLA_HDRLEN)
        return 0;
    memcpy(a, buf + at, sizeof(*a));
    return a->nla_len >= NLA_HDRLEN && a->nla_len <= end - at;
}

/* libmnl's mnl_nlmsg_ok(): the same for a message header and its nlmsg_len. */
static inline int pnl_nlmsg_ok(const uint8_t *buf, size_t at, size_t end, struct nlmsghdr *h)
{
    if (at > end || end - at < NLMSG_HDRLEN)
        return 0;
    memcpy(h, buf + at, sizeof(*h));
    return h->nlmsg_len >= NLMSG_HDRLEN && h->nlmsg_len <= end - at;
}

/* The offset after an attribute or message of `len` bytes at `at`: aligned, never past end
 * (the last one's padding may be missing). */
static inline size_t pnl_next(size_t at, size_t len, size_t end)
{
    size_t n = at + PNL_ALIGN(len);
    return n < end ? n : end;
}

/* realloc() for the decoder's growing tables (mem.c): NULL grows a new block; free with
 * pnl_free (never free()). */
void *pnl_realloc(void *p, size_t n);

/* A pluck spec, checked and compiled once (pluck.c): pnl_pluck is pnl_pluck_plan then
 * pnl_pluck_run; pnl_decode_pluck plans once and runs once per message. */
#define PNL_PLUCK_MAX_COLS 64
#define PNL_PLUCK_TYPES 128
struct pnl_pluck_col {
    uint32_t op, size, off, type, child;     /* child: nested type + 1, 0 = none */
};
struct pnl_pluck_plan {
    struct pnl_pluck_col cols[PNL_PLUCK_MAX_COLS];
    uint64_t want[PNL_PLUCK_TYPES];          /* per attribute type < PNL_PLUCK_TYPES: its columns */
    uint64_t want_high;                      /* columns of higher types */
    uint32_t msg_type, n_cols, hdr_len;
};
struct pnl_rows;
/* A plan's columns read while the decoder walks one message (pnl_decode_pluck: no row table
 * is written): the same values pnl_pluck_run reads from the rows of that message alone. */
struct pnl_pluck_sink {
    const struct pnl_pluck_plan *pl;
    uint64_t *o;                /* this message's output (o[0] its row, 0), or NULL: not plucked */
    uint64_t done, nest;        /* columns read; nested columns open under row nest_row */
    uint32_t nest_row;
    size_t msg_len;
    uint32_t msg_tf;            /* the message row's tf and val (set by the decoder) */
    uint64_t msg_val;
    /* the decoder's own: of the top-level set `plain_set` (when plain_ok), the types below
     * 128 that are plain leaves there (no container, no string, no column of the plan): a
     * walk without room only checks and counts them */
    uint64_t plain[2];
    uint32_t plain_set;
    int plain_ok;
    /* and the types below 128 that are simple leaves there: read by one column of the plan
     * only (column scol[type]), a value, span or row of the leaf itself (no child), not a
     * string a sub-message may select by: the lean walk reads them without leaving its run */
    uint64_t simple[2];
    uint8_t scol[PNL_PLUCK_TYPES];
};
/* Start message msg (msg_len bytes, a whole header checked) for sink k with output o:
 * 0 when the plan plucks it (o filled as pnl_pluck_run fills its row), -1 when it does not. */
int pnl_pluck_sink_msg(struct pnl_pluck_sink *k, const uint8_t *msg, size_t msg_len, uint16_t type,
                       uint64_t *o);
/* Row `row` (type, tf, val, payload p/n in the message) with parent row `parent`. */
void pnl_pluck_sink_row(struct pnl_pluck_sink *k, int32_t parent, uint32_t type, uint32_t row,
                        uint32_t tf, uint64_t val, size_t p, size_t n);
/* Whether pnl_pluck_sink_row reads this row (most it does not: they are passed over here). */
static inline int pnl_pluck_sink_wants(struct pnl_pluck_sink *k, int32_t parent, uint32_t type)
{
    if (!k->o)
        return 0;
    if (parent == 0) {
        if ((type < PNL_PLUCK_TYPES ? k->pl->want[type] : k->pl->want_high) & ~k->done)
            return 1;
        k->nest = 0;                    /* (as pnl_pluck_sink_row: a child of the message) */
        return 0;
    }
    return k->nest && (uint32_t)parent == k->nest_row;
}

/* pnl_pluck_sink_row for the rows it reads. */
static inline void pnl_pluck_sink_visit(struct pnl_pluck_sink *k, int32_t parent, uint32_t type,
                                        uint32_t row, uint32_t tf, uint64_t val, size_t p, size_t n)
{
    if (pnl_pluck_sink_wants(k, parent, type))
        pnl_pluck_sink_row(k, parent, type, row, tf, val, p, n);
}
int pnl_pluck_plan(const uint32_t *spec, size_t spec_words, struct pnl_pluck_plan *pl);
int pnl_pluck_run(const uint8_t *buf, size_t buf_len, const struct pnl_rows *rows,
                  const struct pnl_pluck_plan *pl, uint64_t *out, uint32_t out_cap);

#endif
