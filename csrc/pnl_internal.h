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
int pnl_pluck_plan(const uint32_t *spec, size_t spec_words, struct pnl_pluck_plan *pl);
int pnl_pluck_run(const uint8_t *buf, size_t buf_len, const struct pnl_rows *rows,
                  const struct pnl_pluck_plan *pl, uint64_t *out, uint32_t out_cap);

#endif
