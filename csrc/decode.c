/* Decoder: a receive buffer -> a flat, bounds-checked row table, one pass.
 * Every length read from the buffer or the schema is checked here before use. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include "pnl.h"
#include "pnl_internal.h"

struct schema {
    const uint32_t *w;
    size_t n;
    uint32_t n_msgs, n_sets, n_sels;
};

struct entry {
    uint32_t kind, aflags, size, child, extra;
};

struct dec {
    const uint8_t *buf;
    size_t len;
    const struct schema *s;
    struct pnl_rows *r;
    uint32_t count;
    uint64_t index_len;             /* 64 bits: 0xffff + 1 entries per container add up */
    uint32_t err_off;
    int grow;                       /* pnl_decode_grow: columns reallocated as rows come */
    struct pnl_pluck_sink *sk;      /* pnl_decode_pluck: columns read as rows come (or NULL) */
    int nomem;                      /* a reallocation failed: -ENOMEM at the end */
};

#define SEEN_MAX 8
struct seen {                       /* string attributes seen so far in one container */
    uint32_t n;
    uint32_t type[SEEN_MAX], off[SEEN_MAX], len[SEEN_MAX];
};

static int schema_open(struct schema *s, const uint32_t *w, size_t n)
{
    if (!w || n < 4 || w[0] != PNL_SCHEMA_MAGIC)
        return -EINVAL;
    s->w = w;
    s->n = n;
    s->n_msgs = w[1];
    s->n_sets = w[2];
    s->n_sels = w[3];
    if ((uint64_t)4 + (uint64_t)s->n_msgs * 4 + s->n_sets + s->n_sels > n)
        return -EINVAL;
    return 0;
}

/* The set's max type, or -1 when the set is missing or malformed. */
static int64_t set_max(const struct schema *s, uint32_t set, size_t *base)
{
    uint64_t off, max;

    if (set >= s->n_sets)
        return -1;
    off = s->w[4 + (size_t)s->n_msgs * 4 + set];
    if (off >= s->n)
        return -1;
    max = s->w[off];
    if (max > 0xffff || off + 1 + 2 * (max + 1) > s->n)
        return -1;
    *base = (size_t)off + 1;
    return (int64_t)max;
}

/* The entry of `type` in a set already resolved by set_max() (base, max). */
static int set_entry(const struct schema *s, size_t base, int64_t max, uint32_t type, struct entry *e)
{
    uint32_t w0, w1;

    if (max < 0 || type > (uint64_t)max)
        return -1;
    w0 = s->w[base + 2 * (size_t)type];
    w1 = s->w[base + 2 * (size_t)type + 1];
    e->kind = w0 & 0xff;
    e->aflags = (w0 >> 8) & 0xff;
    e->size = w0 >> 16;
    e->child = w1 & 0xffff;
    e->extra = w1 >> 16;
    return 0;
}

/* The set a selector maps this string to, or PNL_NO_SET. */
static uint32_t sel_lookup(const struct schema *s, uint32_t sel, const uint8_t *str, size_t len)
{
    size_t p, n;

    while (len && str[len - 1] == 0)
        len--;
    if (sel >= s->n_sels)
        return PNL_NO_SET;
    p = s->w[4 + (size_t)s->n_msgs * 4 + s->n_sets + sel];
    if (p >= s->n)
        return PNL_NO_SET;
    n = s->w[p++];
    for (size_t i = 0; i < n; i++) {
        uint32_t set, nbytes;
        if (p + 2 > s->n)
            return PNL_NO_SET;
        set = s->w[p];
        nbytes = s->w[p + 1];
        p += 2;
        if (nbytes > 0xffff || p + (nbytes + 3) / 4 > s->n)
            return PNL_NO_SET;
        if (nbytes == len && memcmp(&s->w[p], str, len) == 0)
            return set;
        p += (nbytes + 3) / 4;
    }
    return PNL_NO_SET;
}

/* The columns pnl_decode_grow allocates (parent is not kept: the caller derives it). */
#define GROW_COLUMNS(X) X(off) X(len) X(tf) X(end) X(set) X(val) X(slot)

/* Room for `need` rows (grow mode): every column reallocated to twice the capacity, or
 * d->nomem set (the rows past cap are then counted, not written, as without grow). */
static void grow_rows(struct dec *d, uint64_t need)
{
    struct pnl_rows *r = d->r;
    uint64_t cap = r->cap ? (uint64_t)r->cap * 2 : 64;

    while (cap < need)
        cap *= 2;
    if (cap > 0xffffffffu)
        cap = 0xffffffffu;
    if (cap < need || cap > SIZE_MAX / sizeof(uint64_t)) {
        d->nomem = 1;
        return;
    }
#define GROW_ONE(c) { void *p = pnl_realloc(r->c, (size_t)cap * sizeof(*r->c)); \
                      if (!p) { d->nomem = 1; return; } r->c = p; }
    GROW_COLUMNS(GROW_ONE)
#undef GROW_ONE
    r->cap = (uint32_t)cap;
}

static inline __attribute__((always_inline)) uint32_t add_row(struct dec *d, size_t off, size_t len, uint32_t tf, int32_t parent,
                        uint32_t set, uint64_t val)
{
    uint32_t i = d->count++;
    struct pnl_rows *r = d->r;

    if (i >= r->cap && d->grow && !d->nomem)
        grow_rows(d, (uint64_t)i + 1);
    if (i < r->cap) {
        r->off[i] = (uint32_t)off;
        r->len[i] = (uint32_t)len;
        r->tf[i] = tf;
        if (r->parent)
            r->parent[i] = parent;
        r->end[i] = i + 1;
        r->set[i] = set;
        r->val[i] = val;
        r->slot[i] = 0;
    }
    return i;
}

static void row_set(struct dec *d, uint32_t i, uint32_t tf_or, uint64_t val, uint32_t set)
{
    if (i < d->r->cap) {
        d->r->tf[i] |= tf_or;
        d->r->val[i] = val;
        d->r->set[i] = set;
    }
}

static void row_end(struct dec *d, uint32_t i)
{
    if (i < d->r->cap)
        d->r->end[i] = d->count;
}

/* A fresh index region for a container whose set has `max` + 1 types: its base + 1 in *slot
 * (0 = no index); -EMSGSIZE when the buffer would need more than PNL_INDEX_MAX entries. */
static int index_open(struct dec *d, uint32_t row, int64_t max, uint32_t *slot)
{
    uint64_t start = d->index_len;

    *slot = 0;
    if (max < 0)
        return 0;
    if (start + (uint64_t)max + 1 > PNL_INDEX_MAX)
        return -EMSGSIZE;
    d->index_len = start + (uint64_t)max + 1;
    if (d->index_len > d->r->index_cap && d->grow && !d->nomem) {
        uint64_t cap = d->r->index_cap ? (uint64_t)d->r->index_cap * 2 : 256;
        void *p;
        while (cap < d->index_len)
            cap *= 2;
        p = pnl_realloc(d->r->index, (size_t)cap * sizeof(uint32_t));   /* cap <= 2 * PNL_INDEX_MAX */
        if (p) {
            d->r->index = p;
            d->r->index_cap = (uint32_t)cap;
        } else {
            d->nomem = 1;
        }
    }
    if (d->index_len <= d->r->index_cap)
        memset(&d->r->index[start], 0, ((size_t)max + 1) * sizeof(uint32_t));
    if (row < d->r->cap)
        d->r->slot[row] = (uint32_t)start + 1;
    *slot = (uint32_t)start + 1;
    return 0;
}

static inline void index_put(struct dec *d, uint32_t slot, int64_t max, uint32_t type, uint32_t row)
{
    if (!slot || row >= d->r->cap || max < 0 || type > max ||
        slot - 1 + (size_t)max + 1 > d->r->index_cap)
        return;
    if (d->r->index[slot - 1 + type] == 0)
        d->r->index[slot - 1 + type] = row + 1;
}

static inline __attribute__((always_inline)) uint64_t get_uint(const uint8_t *p, size_t n, int big_endian)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the sizes a scalar has (1, 2, 4, 8): one load each (memcpy: p may be unaligned) */
    switch (n) {
    case 1:
        return p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return big_endian ? __builtin_bswap16(v) : v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return big_endian ? __builtin_bswap32(v) : v; }
    case 8: { uint64_t v; memcpy(&v, p, 8); return big_endian ? __builtin_bswap64(v) : v; }
    default:
        break;
    }
#endif
    {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v |= (uint64_t)p[big_endian ? n - 1 - i : i] << (8 * i);
        return v;
    }
}

/* The row table's columns held in locals for one container's walk: the leaves' stores
 * through them cannot alias the walk's own state (the compiler keeps it in registers).
 * Taken again after anything that may have grown the table. */
struct colv {
    uint32_t *off, *len, *tf, *end, *set, *slot, *index;
    int32_t *parent;
    uint64_t *val;
    uint32_t cap, index_cap;
};

static inline void colv_take(const struct pnl_rows *r, struct colv *c)
{
#define TAKE_ONE(col) c->col = r->col;
    GROW_COLUMNS(TAKE_ONE)
#undef TAKE_ONE
    c->index = r->index;
    c->parent = r->parent;
    c->cap = r->cap;
    c->index_cap = r->index_cap;
}

/* A leaf's value (its n payload bytes at b read by its schema entry); *tf gains
 * PNL_R_BADLEN when a scalar is shorter than its type. */
static inline __attribute__((always_inline)) uint64_t leaf_value(const uint8_t *b, size_t n,
                                                                 const struct entry *e, uint32_t *tf)
{
    static const uint8_t sizes[] = { [PNL_K_U8] = 1, [PNL_K_U16] = 2, [PNL_K_U32] = 4,
                                     [PNL_K_U64] = 4, [PNL_K_S32] = 4 };
    size_t need;
    uint64_t v;

    if (e->kind == PNL_K_FLAG)          /* "flags" the kernel sends as u8 (bridge port) */
        return n >= 1 ? b[0] : 0;
    if ((e->kind < PNL_K_U8 || e->kind > PNL_K_U64) && e->kind != PNL_K_S32)
        return 0;                       /* raw, string: offset and length say it all */
    need = sizes[e->kind];
    if (n < need) {
        *tf |= PNL_R_BADLEN << 16;
        return 0;
    }
    if (e->kind == PNL_K_U64 && n >= 8)
        need = 8;                       /* u64, or a variable "uint" sent as u32 */
    v = get_uint(b, need, (e->aflags & PNL_AF_BE) != 0);
    if (e->kind == PNL_K_S32)
        v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    return v;
}

static int parse_attrs(struct dec *d, size_t off, size_t len, uint32_t set, int32_t parent, int depth);

/* A container attribute's payload (nest, nest with a header, sub-message, array),
 * interpreted by its schema entry (parse_attrs writes the leaves itself). */
static int parse_value(struct dec *d, uint32_t row, const struct entry *e, size_t p, size_t n,
                       const struct seen *seen, int depth)
{
    const uint8_t *b = d->buf + p;
    int rc = 0;

    switch (e->kind) {
    case PNL_K_NEST:
        row_set(d, row, PNL_R_CONT << 16, 0, e->child);
        rc = parse_attrs(d, p, n, e->child, (int32_t)row, depth + 1);
        break;
    case PNL_K_HNEST:
        if (n < e->extra) {
            row_set(d, row, PNL_R_BADLEN << 16, 0, PNL_NO_SET);
            break;
        }
        row_set(d, row, PNL_R_CONT << 16, 0, e->child);
        rc = parse_attrs(d, p + e->extra, n - e->extra, e->child, (int32_t)row, depth + 1);
        break;
    case PNL_K_SUB: {
        uint32_t sub = PNL_NO_SET;
        for (uint32_t i = 0; i < seen->n && i < SEEN_MAX; i++)
            if (seen->type[i] == e->extra)
                sub = sel_lookup(d->s, e->child, d->buf + seen->off[i], seen->len[i]);
        if (sub == PNL_NO_SET)
            break;                          /* unknown kind: kept raw */
        row_set(d, row, PNL_R_CONT << 16, 0, sub);
        rc = parse_attrs(d, p, n, sub, (int32_t)row, depth + 1);
        break;
    }
    case PNL_K_ARRAY: {
        struct nlattr a;
        size_t q = 0;
        row_set(d, row, PNL_R_CONT << 16, 0, PNL_NO_SET);
        if (depth + 1 >= PNL_MAX_DEPTH)
            return -EBADMSG;
        for (; n - q >= NLA_HDRLEN; q = pnl_next(q, a.nla_len, n)) {
            uint32_t el;
            if (!pnl_nla_ok(b, q, n, &a)) {
                d->err_off = (uint32_t)(p + q);
                return -EBADMSG;
            }
            el = add_row(d, p + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN,
                         (a.nla_type & NLA_TYPE_MASK) | (PNL_R_CONT << 16) |
                         (a.nla_type & NLA_F_NESTED ? PNL_R_NESTED << 16 : 0) |
                         (a.nla_type & NLA_F_NET_BYTEORDER ? PNL_R_NETBYTE << 16 : 0),
                         (int32_t)row, e->child, 0);
            if (d->sk)
                pnl_pluck_sink_visit(d->sk, (int32_t)row, a.nla_type & NLA_TYPE_MASK, el,
                                   (a.nla_type & NLA_TYPE_MASK) | (PNL_R_CONT << 16), 0,
                                   p + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
            rc = parse_attrs(d, p + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, e->child,
                             (int32_t)el, depth + 2);
            if (rc < 0)
                return rc;
            row_end(d, el);
        }
        break;
    }
    default:
        break;
    }
    return rc;
}

/* The plain leaves of top-level set `set` (entries at ents, its max type max), as the sink
 * keeps them (pnl_pluck_sink.plain): worked out for the first message of a set, then reused.
 * A plain leaf's row is only counted by the lean walk: not a string (a sub-message's
 * selector), not a container, no column of the plan (pnl_pluck_sink_wants would only clear
 * the sink's open nest, which a top-level row after that nest's children no longer needs). */
static const uint64_t *plain_leaves(struct pnl_pluck_sink *sk, uint32_t set, const uint32_t *ents, int64_t max)
{
    if (!sk->plain_ok || sk->plain_set != set) {
        int sub = 0;                    /* strings are kept (seen) for a sub-message only */
        for (int64_t t = 0; t <= max; t++)
            sub |= (ents[2 * (size_t)t] & 0xff) == PNL_K_SUB;
        sk->plain[0] = sk->plain[1] = sk->simple[0] = sk->simple[1] = 0;
        for (uint32_t t = 0; t < PNL_PLUCK_TYPES; t++) {
            uint32_t kind = t <= (uint64_t)max ? ents[2 * (size_t)t] & 0xff : PNL_K_RAW;
            uint64_t want = sk->pl->want[t];
            if ((kind == PNL_K_STR && sub) || (kind >= PNL_K_NEST && kind <= PNL_K_HNEST))
                continue;
            if (!want) {
                sk->plain[t >> 6] |= (uint64_t)1 << (t & 63);
            } else if (!(want & (want - 1))) {     /* one column reads it */
                uint32_t j = (uint32_t)__builtin_ctzll(want);
                const struct pnl_pluck_col *c = &sk->pl->cols[j];
                if (!c->child && (c->op == PNL_P_U || c->op == PNL_P_SPAN || c->op == PNL_P_ROW)) {
                    sk->simple[t >> 6] |= (uint64_t)1 << (t & 63);
                    sk->scol[t] = (uint8_t)j;
                }
            }
        }
        sk->plain_set = set;
        sk->plain_ok = 1;
    }
    return sk->plain;
}

/* A string attribute of a container, kept for a sub-message's selector (the first SEEN_MAX). */
static inline void see(struct seen *seen, uint32_t type, size_t p, size_t n)
{
    if (seen->n < SEEN_MAX) {
        seen->type[seen->n] = type;
        seen->off[seen->n] = (uint32_t)p;
        seen->len[seen->n] = (uint32_t)n;
        seen->n++;
    }
}

/* An attribute row's tf: its type and header flags, PNL_R_UNKNOWN when its set (base, max)
 * does not name it; *e its schema entry (left as it was when the set has none). */
static inline uint32_t row_tf(const struct schema *s, size_t base, int64_t max, const struct nlattr *a,
                              struct entry *e)
{
    uint32_t tf = a->nla_type & NLA_TYPE_MASK;

    if (a->nla_type & NLA_F_NESTED)
        tf |= PNL_R_NESTED << 16;
    if (a->nla_type & NLA_F_NET_BYTEORDER)
        tf |= PNL_R_NETBYTE << 16;
    if (set_entry(s, base, max, tf & 0xffff, e) < 0 || (e->aflags & PNL_AF_UNNAMED))
        tf |= PNL_R_UNKNOWN << 16;
    return tf;
}

/* From q, the plain leaves (plain_leaves) of a container's payload at[0, len) checked and
 * counted in *count, as the lean walk would, and its simple leaves read as the walk reads
 * them (pnl_pluck_sink_wants, then pnl_pluck_sink_row, of a child of the message; the
 * payload at off in the message): the offset of the next attribute that is neither (or is
 * malformed: the caller's check finds it), or where fewer bytes than a header are left. */
static inline __attribute__((always_inline)) size_t plain_run(const uint8_t *at, size_t off, size_t q, size_t len,
                                                              struct pnl_pluck_sink *sk, const uint32_t *ents,
                                                              int64_t max, uint32_t *count)
{
    const uint64_t *plain = sk->plain, *simple = sk->simple;
    uint32_t n = *count;

    /* the next offset is not clamped to len inside the loop (q + 4 <= len checks it, and
     * q <= len + 3 cannot wrap): one operation less between two loads that depend on each
     * other; clamped once after it, as pnl_next would have */
    while (q + NLA_HDRLEN <= len) {
        uint16_t l, t;
        memcpy(&l, at + q, 2);
        memcpy(&t, at + q + 2, 2);
        t &= NLA_TYPE_MASK;
        if (l < NLA_HDRLEN || l > len - q || t >= PNL_PLUCK_TYPES)
            break;
        if (!(plain[t >> 6] >> (t & 63) & 1)) {
            uint32_t j;
            if (!(simple[t >> 6] >> (t & 63) & 1))
                break;
            j = sk->scol[t];
            if (sk->o) {
                sk->nest = 0;                   /* (a child of the message) */
                if (!(sk->done >> j & 1)) {     /* the first of its type */
                    const struct pnl_pluck_col *c = &sk->pl->cols[j];
                    size_t p = off + q + NLA_HDRLEN, m = (size_t)l - NLA_HDRLEN;
                    uint64_t v;
                    if (c->op == PNL_P_ROW) {
                        v = n;
                    } else if (c->op == PNL_P_U) {
                        struct entry e = { PNL_K_RAW, 0, 0, 0, 0 };
                        uint32_t tf = 0;
                        if (t <= max) {         /* (set_entry's kind and flags) */
                            e.kind = ents[2 * (size_t)t] & 0xff;
                            e.aflags = (ents[2 * (size_t)t] >> 8) & 0xff;
                        }
                        v = leaf_value(at + q + NLA_HDRLEN, m, &e, &tf);
                        if ((tf >> 16) & PNL_R_BADLEN)
                            v = PNL_P_NONE;
                    } else {
                        v = p > sk->msg_len || m > sk->msg_len - p ? PNL_P_NONE : (uint64_t)p << 32 | m;
                    }
                    sk->done |= (uint64_t)1 << j;
                    sk->o[1 + j] = v;
                }
            }
        }
        n++;
        q += PNL_ALIGN(l);
    }
    *count = n;
    return q < len ? q : len;
}

/* A top-level nest that no column of the plan reads, of set `child`, whose payload p[0, n)
 * holds leaves only: its rows counted in *count and its index reserved as the lean walk
 * would (add_row, then parse_value's parse_attrs at depth + 1 with no room and no column
 * reading): 1. 0 for anything else (a container or a malformed header inside, too deep, an
 * index past PNL_INDEX_MAX), nothing done: the walk takes it (and finds what is wrong). */
static int quiet_nest(struct dec *d, uint32_t child, const uint8_t *p, size_t n, int depth, uint32_t *count)
{
    size_t cbase = 0, q = 0;
    int64_t cmax = set_max(d->s, child, &cbase);
    uint32_t k = 0;
    struct nlattr a;

    if (depth + 1 >= PNL_MAX_DEPTH)
        return 0;
    for (; n - q >= NLA_HDRLEN; q = pnl_next(q, a.nla_len, n)) {
        uint32_t t, kind;
        if (!pnl_nla_ok(p, q, n, &a))
            return 0;
        t = a.nla_type & NLA_TYPE_MASK;
        kind = cmax >= 0 && t <= (uint64_t)cmax ? d->s->w[cbase + 2 * (size_t)t] & 0xff : PNL_K_RAW;
        if (kind >= PNL_K_NEST && kind <= PNL_K_HNEST)
            return 0;
        k++;
    }
    if (cmax >= 0) {
        if (d->index_len + (uint64_t)cmax + 1 > PNL_INDEX_MAX)
            return 0;
        d->index_len += (uint64_t)cmax + 1;
    }
    *count += 1 + k;
    return 1;
}

static int parse_attrs(struct dec *d, size_t off, size_t len, uint32_t set, int32_t parent, int depth)
{
    struct nlattr a;
    struct seen seen;
    struct colv c;
    uint32_t slot, count;
    size_t q = 0, base = 0;
    int64_t max = set == PNL_NO_SET ? -1 : set_max(d->s, set, &base);

    seen.n = 0;
    if (depth >= PNL_MAX_DEPTH) {
        d->err_off = (uint32_t)off;
        return -EBADMSG;
    }
    if (index_open(d, (uint32_t)parent, max, &slot) < 0) {
        d->err_off = (uint32_t)off;
        return -EMSGSIZE;
    }
    colv_take(d->r, &c);
    count = d->count;                   /* d->count is this, written back before d is used */
    /* a walk without room (pnl_decode_pluck's): the set's entries held in a local, and a
     * leaf only checked and counted unless the sink reads it */
    const uint32_t *ents = max >= 0 ? d->s->w + base : NULL;
    const uint8_t *at = d->buf + off;
    struct pnl_pluck_sink *sk = d->sk;
    const int lean = !d->grow && c.cap == 0;
    const uint64_t *plain = lean && sk && parent == 0 && ents ? plain_leaves(sk, set, ents, max) : NULL;
    const uint64_t *simple = plain ? sk->simple : NULL;
    for (; len - q >= NLA_HDRLEN; q = pnl_next(q, a.nla_len, len)) {
        struct entry e = { PNL_K_RAW, 0, 0, 0, 0 };
        uint32_t type, tf, row;
        int rc;

        if (!pnl_nla_ok(at, q, len, &a)) {
bad:
            d->count = count;
            d->err_off = (uint32_t)(off + q);
            return -EBADMSG;
        }
        type = a.nla_type & NLA_TYPE_MASK;
        if (plain && type < PNL_PLUCK_TYPES && ((plain[type >> 6] | simple[type >> 6]) >> (type & 63) & 1)) {
            /* a plain or simple leaf: counted (read), and the ones after it, up to another row */
            q = plain_run(at, off, q, len, sk, ents, max, &count);
            if (len - q < NLA_HDRLEN)
                break;
            if (!pnl_nla_ok(at, q, len, &a))
                goto bad;
            type = a.nla_type & NLA_TYPE_MASK;
        }
        if (lean) {
            uint32_t kind = ents && type <= (uint64_t)max ? ents[2 * (size_t)type] & 0xff : PNL_K_RAW;
            if (kind < PNL_K_NEST || kind > PNL_K_HNEST) {
                if (kind == PNL_K_STR)
                    see(&seen, type, off + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
                row = count++;
                if (sk && pnl_pluck_sink_wants(sk, parent, type)) {
                    size_t p = off + q + NLA_HDRLEN, n = a.nla_len - NLA_HDRLEN;
                    uint64_t v;
                    tf = row_tf(d->s, base, max, &a, &e);
                    v = leaf_value(d->buf + p, n, &e, &tf);
                    pnl_pluck_sink_row(sk, parent, type, row, tf, v, p, n);
                }
                continue;
            }
            if (kind == PNL_K_NEST && plain && type < PNL_PLUCK_TYPES && !sk->pl->want[type] &&
                quiet_nest(d, ents[2 * (size_t)type + 1] & 0xffff, at + q + NLA_HDRLEN,
                           a.nla_len - NLA_HDRLEN, depth, &count)) {
                if (sk->o)
                    sk->nest = 0;               /* (as pnl_pluck_sink_wants of a child of the message) */
                continue;
            }
        }
        tf = row_tf(d->s, base, max, &a, &e);
        if (e.kind < PNL_K_NEST || e.kind > PNL_K_HNEST) {
            /* a leaf (what most attributes are): its row written once, complete (as
             * parse_value's row_set and row_end would leave it) */
            size_t p = off + q + NLA_HDRLEN, n = a.nla_len - NLA_HDRLEN;
            uint64_t v;
            if (e.kind == PNL_K_STR)
                see(&seen, type, p, n);
            if (count >= c.cap && !d->grow) {
                /* no room (pnl_decode_pluck's walk): only counted, as add_row would, and
                 * its value read when a sink reads this row */
                row = count++;
                if (d->sk && pnl_pluck_sink_wants(d->sk, parent, type)) {
                    v = leaf_value(d->buf + p, n, &e, &tf);
                    pnl_pluck_sink_row(d->sk, parent, type, row, tf, v, p, n);
                }
                continue;
            }
            v = leaf_value(d->buf + p, n, &e, &tf);
            row = count++;
            if (row < c.cap) {              /* add_row's stores, through the locals */
                c.off[row] = (uint32_t)p;
                c.len[row] = (uint32_t)n;
                c.tf[row] = tf;
                if (c.parent)
                    c.parent[row] = parent;
                c.end[row] = row + 1;
                c.set[row] = PNL_NO_SET;
                c.val[row] = v;
                c.slot[row] = 0;
            } else {                        /* past the room (growing): add_row grows it */
                d->count = row;
                add_row(d, p, n, tf, parent, PNL_NO_SET, v);
                colv_take(d->r, &c);
            }
            if (d->sk)
                pnl_pluck_sink_visit(d->sk, parent, type, row, tf, v, p, n);
            /* index_put, through the locals */
            if (slot && row < c.cap && max >= 0 && type <= max &&
                slot - 1 + (size_t)max + 1 <= c.index_cap && c.index[slot - 1 + type] == 0)
                c.index[slot - 1 + type] = row + 1;
            continue;
        }
        d->count = count;
        row = add_row(d, off + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, tf, parent, PNL_NO_SET, 0);
        if (d->sk)                          /* the row as parse_value leaves it (a nest's value 0) */
            pnl_pluck_sink_visit(d->sk, parent, type, row,
                               tf | (e.kind == PNL_K_HNEST && (uint32_t)(a.nla_len - NLA_HDRLEN) < e.extra
                                     ? PNL_R_BADLEN << 16 : 0),
                               0, off + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
        rc = parse_value(d, row, &e, off + q + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, &seen, depth);
        if (rc < 0)
            return rc;
        row_end(d, row);
        index_put(d, slot, max, type, row);
        colv_take(d->r, &c);
        count = d->count;
    }
    d->count = count;
    return 0;
}

/* Fixed header length of a message, or -1 when it does not fit. */
static int64_t header_len(const struct dec *d, const struct nlmsghdr *h, size_t p, uint32_t hdrlen)
{
    size_t payload = h->nlmsg_len - NLMSG_HDRLEN;

    if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsghdr orig;
        if (payload < sizeof(int) + NLMSG_HDRLEN)
            return -1;
        if (h->nlmsg_flags & NLM_F_CAPPED)
            return sizeof(int) + NLMSG_HDRLEN;
        if (!pnl_nlmsg_ok(d->buf, p + NLMSG_HDRLEN + sizeof(int), p + h->nlmsg_len, &orig))
            return -1;
        return (int64_t)(sizeof(int) + PNL_ALIGN(orig.nlmsg_len) < payload
                         ? sizeof(int) + PNL_ALIGN(orig.nlmsg_len) : payload);
    }
    return hdrlen <= payload ? (int64_t)hdrlen : -1;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int decode(const uint8_t *buf, size_t len, const uint32_t *schema, size_t schema_words,
                  struct pnl_rows *rows, int grow, struct pnl_pluck_sink *sk)
{
    struct schema s;
    struct dec d = { .buf = buf, .len = len, .s = &s, .r = rows, .grow = grow, .sk = sk };
    size_t p = 0;
    int rc = schema_open(&s, schema, schema_words);

    rows->count = rows->index_len = rows->n_msgs = 0;
    rows->err_off = 0;
    if (rc < 0)
        return rc;
    if (len > 0xffffffffu)
        return -EMSGSIZE;
    while (p < len) {
        struct nlmsghdr h;
        uint32_t msg_ix = PNL_NO_SET, set = PNL_NO_SET, hdrlen = 0, row;
        int64_t hl;

        if (all_zero(buf + p, len - p))
            break;                          /* trailing padding of a sender's buffer */
        if (!pnl_nlmsg_ok(buf, p, len, &h)) {
            d.err_off = (uint32_t)p;
            goto bad;
        }
        for (uint32_t i = 0; i < s.n_msgs; i++)
            if (schema[4 + 4 * i] == h.nlmsg_type) {
                msg_ix = i;
                hdrlen = schema[4 + 4 * i + 1];
                set = schema[4 + 4 * i + 2];
                break;
            }
        row = add_row(&d, p, h.nlmsg_len, h.nlmsg_type | (PNL_R_MSG << 16), -1, PNL_NO_SET,
                      h.nlmsg_seq | ((uint64_t)h.nlmsg_flags << 32));
        rows->n_msgs++;
        hl = header_len(&d, &h, p, hdrlen);
        if (sk) {                           /* the message row's tf and val, as written below */
            sk->msg_tf = h.nlmsg_type | (PNL_R_MSG << 16) |
                         (msg_ix == PNL_NO_SET ? PNL_R_UNKNOWN : hl < 0 ? PNL_R_BADLEN : PNL_R_CONT) << 16;
            sk->msg_val = h.nlmsg_seq | ((uint64_t)h.nlmsg_flags << 32);
        }
        if (msg_ix == PNL_NO_SET || hl < 0) {
            row_set(&d, row, (msg_ix == PNL_NO_SET ? PNL_R_UNKNOWN : PNL_R_BADLEN) << 16,
                    h.nlmsg_seq | ((uint64_t)h.nlmsg_flags << 32), PNL_NO_SET);
        } else {
            size_t a = p + NLMSG_HDRLEN + (size_t)hl;
            size_t end = p + h.nlmsg_len;
            row_set(&d, row, PNL_R_CONT << 16, h.nlmsg_seq | ((uint64_t)h.nlmsg_flags << 32), set);
            if (row < rows->cap)
                rows->set[row] = set;
            rc = parse_attrs(&d, a, a <= end ? end - a : 0, set, (int32_t)row, 0);
            if (rc < 0)
                goto bad;
        }
        row_end(&d, row);
        p = pnl_next(p, h.nlmsg_len, len);
    }
    rows->count = d.count;
    rows->index_len = (uint32_t)d.index_len;     /* <= PNL_INDEX_MAX */
    if (d.nomem)
        return -ENOMEM;
    if (d.count > rows->cap || d.index_len > rows->index_cap)
        return -ENOSPC;
    return 0;
bad:
    rows->count = d.count;
    rows->err_off = d.err_off;
    return rc == -EMSGSIZE ? -EMSGSIZE : -EBADMSG;
}

int pnl_decode(const uint8_t *buf, size_t len, const uint32_t *schema, size_t schema_words,
               struct pnl_rows *rows)
{
    return decode(buf, len, schema, schema_words, rows, 0, NULL);
}

/* Shrink a grown column to exactly n entries (kept as it is when realloc refuses). */
#define FIT(r, c, n) do { void *p_ = pnl_realloc((r)->c, (size_t)((n) ? (n) : 1) * sizeof(*(r)->c)); \
                          if (p_) (r)->c = p_; } while (0)

int pnl_decode_grow(const uint8_t *buf, size_t len, const uint32_t *schema, size_t schema_words,
                    struct pnl_rows *rows)
{
    uint64_t guess = len / 16 + 16;         /* about one row per 16 bytes; grown past that */
    int rc;

    if (rows->parent)
        return -EINVAL;                     /* not grown here: it would be written past its end */
    if (len > 0xffffffffu)
        return -EMSGSIZE;                   /* (as decode; before the first allocation below) */
    if (rows->cap == 0 && rows->off == NULL) {
        struct dec probe = { .r = rows, .grow = 1 };
        rows->index_cap = 0;
        grow_rows(&probe, guess);           /* a failure here only means growing later */
    }
    rc = decode(buf, len, schema, schema_words, rows, 1, NULL);
    if (rc == 0 && rows->count < rows->cap) {
#define FIT_ONE(c) FIT(rows, c, rows->count);
        GROW_COLUMNS(FIT_ONE)
#undef FIT_ONE
        rows->cap = rows->count ? rows->count : 1;
    }
    if (rc == 0 && rows->index_len < rows->index_cap) {
        FIT(rows, index, rows->index_len);
        rows->index_cap = rows->index_len ? rows->index_len : 1;
    }
    return rc;
}

struct pnl_rows *pnl_rows_new(void)
{
    return calloc(1, sizeof(struct pnl_rows));
}

void pnl_rows_free(struct pnl_rows *rows)
{
    if (!rows)
        return;
#define FREE_ONE(c) pnl_free(rows->c);
    GROW_COLUMNS(FREE_ONE)
#undef FREE_ONE
    pnl_free(rows->index);
    free(rows);
}


/* ---- decode + pluck in one pass, no row table kept (see pnl.h) ---- */
struct pnl_lean *pnl_lean_new(void)
{
    return calloc(1, sizeof(struct pnl_lean));
}

void pnl_lean_free(struct pnl_lean *L)
{
    if (!L)
        return;
    pnl_free(L->msg_row);
    pnl_free(L->msg_tf);
    pnl_free(L->msg_val);
    pnl_free(L->out);
    pnl_rows_free(L->scratch);
    free(L);
}

#define LEAN_RESERVE_MIN (8 * 1024)     /* buffers from this size reserve their columns */

/* Room for cap messages in the message columns. */
static int lean_msg_cap(struct pnl_lean *L, uint64_t cap)
{
    void *a, *b, *c;

    if (cap > 0xffffffffu)
        return -ENOMEM;
    a = pnl_realloc(L->msg_row, (size_t)cap * sizeof(uint32_t));
    if (a)
        L->msg_row = a;
    b = a ? pnl_realloc(L->msg_tf, (size_t)cap * sizeof(uint32_t)) : NULL;
    if (b)
        L->msg_tf = b;
    c = b ? pnl_realloc(L->msg_val, (size_t)cap * sizeof(uint64_t)) : NULL;
    if (!c)
        return -ENOMEM;
    L->msg_val = c;
    L->msg_cap = (uint32_t)cap;
    return 0;
}

/* Room for one more message in the message columns. */
static int lean_msg_room(struct pnl_lean *L)
{
    if (L->n_msgs < L->msg_cap)
        return 0;
    return lean_msg_cap(L, L->msg_cap ? (uint64_t)L->msg_cap * 2 : 256);
}

/* Room for `words` more u64 of plucked output. */
static int lean_out_room(struct pnl_lean *L, uint64_t words)
{
    uint64_t need = (uint64_t)L->out_len + words, cap = L->out_cap ? L->out_cap : 1024;
    void *p;

    if (need <= L->out_cap)
        return 0;
    while (cap < need)
        cap *= 2;
    if (cap > 0xffffffffu || cap > SIZE_MAX / sizeof(uint64_t))
        return -ENOMEM;
    p = pnl_realloc(L->out, (size_t)cap * sizeof(uint64_t));
    if (!p)
        return -ENOMEM;
    L->out = p;
    L->out_cap = (uint32_t)cap;
    return 0;
}

/* The schema's entry for one message type, kept between messages (leaf_msg); after
 * LEAF_GIVE_UP messages of it in a row held a container, its messages take the full walk
 * at once (not a prefix of leaves first). */
#define LEAF_GIVE_UP 4
/* What an attribute of type < LEAF_ACTS of the type's set does in leaf_msg, worked out once
 * per call from the schema and the plan (leaf_acts): counted alone (a leaf no column reads),
 * a container (the full walk), read by the one column col[] whose leaf it is (its value as
 * the entry's kind[] / aflags[] say, its span or its row), or the general per-attribute
 * path below (several columns, a nested column). */
#define LEAF_ACTS 64
enum { LA_LEAF, LA_NEST, LA_COL, LA_SLOW };
struct leaf_type {
    int known;                      /* 0: not looked up yet */
    int nested;                     /* messages of this type in a row that held a container */
    uint16_t type;
    uint32_t hdrlen, set;
    int64_t max;                    /* the set's max type (-1: no set) */
    size_t base;
    uint8_t act[LEAF_ACTS], col[LEAF_ACTS], kind[LEAF_ACTS], aflags[LEAF_ACTS];
};

static void leaf_acts(const struct schema *s, struct leaf_type *lt, const struct pnl_pluck_plan *pl)
{
    for (uint32_t t = 0; t < LEAF_ACTS; t++) {
        uint32_t kind = PNL_K_RAW, aflags = 0;
        uint64_t w = pl->want[t];
        uint32_t j = w ? (uint32_t)__builtin_ctzll(w) : 0;
        if (lt->max >= 0 && t <= lt->max) {
            uint32_t w0 = s->w[lt->base + 2 * (size_t)t];
            kind = w0 & 0xff;
            aflags = (w0 >> 8) & 0xff;
        }
        lt->kind[t] = (uint8_t)kind;
        lt->aflags[t] = (uint8_t)aflags;
        lt->col[t] = 0;
        if (kind >= PNL_K_NEST && kind <= PNL_K_HNEST)
            lt->act[t] = LA_NEST;
        else if (!w)
            lt->act[t] = LA_LEAF;
        else if (!(w & (w - 1)) && pl->cols[j].type == t && !pl->cols[j].child) {
            lt->act[t] = LA_COL;
            lt->col[t] = (uint8_t)j;
        } else
            lt->act[t] = LA_SLOW;
    }
}

/* What pnl_pluck_sink_msg, then decode() with no room, do for one message alone, for the
 * common case of a message whose attributes are all leaves (route and address dumps): got
 * filled as the sink fills it (*plucked: the plan plucks this message), the sink's msg_tf
 * and msg_val set, r's count, index_len and n_msgs as decode() leaves them, and -ENOSPC
 * returned as decode() returns it then. 1 when the message is anything else (a container
 * attribute, a type the schema lacks, a short header, a malformed attribute, an error
 * message), with nothing of this message's kept: the caller takes the full walk, which
 * finds what is wrong where it would anyway. */
/* What pnl_decode_pluck works out of its plan once, for leaf_msg: a plucked row's starting
 * values (NONE, 0 for the row; a message type column set per message) and the plan's fixed
 * header columns. */
struct leaf_plan {
    uint64_t init[1 + PNL_PLUCK_MAX_COLS];
    uint32_t hdr[PNL_PLUCK_MAX_COLS], n_hdr;
    uint64_t type_cols;                     /* columns of op PNL_P_TYPE */
};

static void leaf_plan(const struct pnl_pluck_plan *pl, struct leaf_plan *lp)
{
    lp->n_hdr = 0;
    lp->type_cols = 0;
    lp->init[0] = 0;
    for (uint32_t j = 0; j < pl->n_cols; j++) {
        lp->init[1 + j] = PNL_P_NONE;
        if (pl->cols[j].op == PNL_P_TYPE)
            lp->type_cols |= (uint64_t)1 << j;
        else if (pl->cols[j].op == PNL_P_HDR || pl->cols[j].op == PNL_P_HDRS)
            lp->hdr[lp->n_hdr++] = j;
    }
}

static int leaf_msg(const struct schema *s, struct leaf_type *lt, const struct pnl_pluck_plan *pl,
                    const struct leaf_plan *lp, const uint8_t *msg, size_t len,
                    struct pnl_pluck_sink *sk, uint64_t *got, int *plucked, struct pnl_rows *r)
{
    const struct pnl_pluck_col *cols = pl->cols;
    struct nlmsghdr h;
    struct nlattr a;
    size_t off, alen, q = 0;
    uint32_t count = 1, n_cols = pl->n_cols;  /* row 0: the message */
    uint64_t done = 0;
    int take;

    if (!pnl_nlmsg_ok(msg, 0, len, &h) || h.nlmsg_type == NLMSG_ERROR)
        return 1;
    if (!lt->known || lt->type != h.nlmsg_type) {
        uint32_t i;
        for (i = 0; i < s->n_msgs && s->w[4 + 4 * (size_t)i] != h.nlmsg_type; i++)
            ;
        if (i == s->n_msgs)
            return 1;
        lt->known = 1;
        lt->nested = 0;
        lt->type = h.nlmsg_type;
        lt->hdrlen = s->w[4 + 4 * (size_t)i + 1];
        lt->set = s->w[4 + 4 * (size_t)i + 2];
        lt->max = lt->set == PNL_NO_SET ? -1 : set_max(s, lt->set, &lt->base);
        leaf_acts(s, lt, pl);
    }
    if (lt->nested >= LEAF_GIVE_UP || lt->hdrlen > h.nlmsg_len - NLMSG_HDRLEN)
        return 1;                   /* (a type whose messages hold containers: links) */
    /* pnl_pluck_sink_msg */
    take = pl->msg_type == PNL_P_ANY ? h.nlmsg_type >= NLMSG_MIN_TYPE : h.nlmsg_type == pl->msg_type;
    if (take) {
        for (uint32_t j = 0; j <= n_cols; j++)     /* (not memcpy: a call for a few words) */
            got[j] = lp->init[j];
        for (uint64_t m = lp->type_cols; m; m &= m - 1)
            got[1 + __builtin_ctzll(m)] = h.nlmsg_type;
        if (16 + (uint64_t)pl->hdr_len <= len) {
            for (uint32_t i = 0; i < lp->n_hdr; i++) {
                uint32_t j = lp->hdr[i];
                const struct pnl_pluck_col *c = &cols[j];
                uint64_t v = get_uint(msg + 16 + c->off, c->size, 0);
                if (c->op == PNL_P_HDRS && c->size < 8 && (v >> (8 * c->size - 1)) & 1)
                    v |= ~(uint64_t)0 << (8 * c->size);
                got[1 + j] = v;
            }
        }
    }
    /* parse_attrs, every attribute a leaf, each read as pnl_pluck_sink_row reads a child of
     * the message (the first of a type wins; a nested column finds no child in a leaf) */
    off = NLMSG_HDRLEN + (size_t)lt->hdrlen;
    alen = h.nlmsg_len - off;
    for (; alen - q >= NLA_HDRLEN; q = pnl_next(q, a.nla_len, alen)) {
        struct entry e = { PNL_K_RAW, 0, 0, 0, 0 };
        uint32_t type;
        uint64_t cand;

        if (!pnl_nla_ok(msg + off, q, alen, &a))
            return 1;
        type = a.nla_type & NLA_TYPE_MASK;
        if (type < LEAF_ACTS && lt->act[type] != LA_SLOW) {    /* (what the path below does) */
            uint32_t act = lt->act[type], j = lt->col[type];
            if (act == LA_NEST) {
                lt->nested++;
                return 1;
            }
            if (act == LA_COL && take && !(done >> j & 1)) {
                const struct pnl_pluck_col *c = &cols[j];
                size_t p = off + q + NLA_HDRLEN, n = a.nla_len - NLA_HDRLEN;
                done |= (uint64_t)1 << j;
                if (c->op == PNL_P_ROW)
                    got[1 + j] = count;
                else if (c->op == PNL_P_U) {
                    struct entry ce = { lt->kind[type], lt->aflags[type], 0, 0, 0 };
                    uint32_t tf = 0;
                    uint64_t v = leaf_value(msg + p, n, &ce, &tf);
                    got[1 + j] = (tf >> 16) & PNL_R_BADLEN ? PNL_P_NONE : v;
                } else
                    got[1 + j] = (uint64_t)p << 32 | n;
            }
            count++;
            continue;
        }
        if (lt->max >= 0 && type <= lt->max) {     /* set_entry */
            uint32_t w0 = s->w[lt->base + 2 * (size_t)type];
            e.kind = w0 & 0xff;
            e.aflags = (w0 >> 8) & 0xff;
            if (e.kind >= PNL_K_NEST && e.kind <= PNL_K_HNEST) {
                lt->nested++;
                return 1;
            }
        }
        cand = take ? (type < PNL_PLUCK_TYPES ? pl->want[type] : pl->want_high) & ~done : 0;
        if (cand) {
            size_t p = off + q + NLA_HDRLEN, n = a.nla_len - NLA_HDRLEN;
            uint32_t tf = type;             /* (only BADLEN is read of it below) */
            uint64_t v = leaf_value(msg + p, n, &e, &tf);
            while (cand) {
                uint32_t j = (uint32_t)__builtin_ctzll(cand);
                const struct pnl_pluck_col *c = &cols[j];
                cand &= cand - 1;
                if (c->type != type)
                    continue;
                done |= (uint64_t)1 << j;
                if (c->child)
                    continue;               /* (a leaf has no children: absent) */
                got[1 + j] = c->op == PNL_P_ROW ? count
                           : c->op == PNL_P_U ? ((tf >> 16) & PNL_R_BADLEN ? PNL_P_NONE : v)
                           : (uint64_t)p << 32 | n;
            }
        }
        count++;
    }
    lt->nested = 0;
    *plucked = take;
    sk->msg_tf = h.nlmsg_type | (PNL_R_MSG << 16) | (PNL_R_CONT << 16);
    sk->msg_val = h.nlmsg_seq | ((uint64_t)h.nlmsg_flags << 32);
    r->count = count;
    r->n_msgs = 1;
    r->index_len = lt->max >= 0 ? (uint32_t)lt->max + 1 : 0;
    return -ENOSPC;
}

int pnl_decode_pluck(const uint8_t *buf, size_t len, const uint32_t *schema, size_t schema_words,
                     const uint32_t *spec, size_t spec_words, struct pnl_lean *L)
{
    struct pnl_pluck_plan plan;
    struct pnl_pluck_sink sink = { .pl = &plan };
    struct pnl_rows none, *r = &none;   /* no room: each message's rows counted, not written */
    struct leaf_plan lp;
    uint64_t fix_row = 0, fix_span = 0;     /* columns made relative to the message: rows, spans */
    struct schema s;
    struct leaf_type lt = { 0 };
    uint64_t count = 0, index_len = 0;
    uint32_t width, n_cols;
    size_t p = 0;
    int rc;

    if (!L)
        return -EINVAL;
    L->n_msgs = L->n_out = L->out_len = L->count = L->index_len = L->err_off = 0;
    rc = schema_open(&s, schema, schema_words);
    if (rc < 0)
        return rc;
    if (len > 0xffffffffu)
        return -EMSGSIZE;
    /* the spec, checked and compiled once (a bad one refused even over no rows) */
    rc = pnl_pluck_plan(spec, spec_words, &plan);
    if (rc < 0)
        return rc;
    n_cols = plan.n_cols;
    width = n_cols + 1;
    leaf_plan(&plan, &lp);
    for (uint32_t k = 0; k < n_cols; k++) {
        if (plan.cols[k].op == PNL_P_ROW)
            fix_row |= (uint64_t)1 << k;
        else if (plan.cols[k].op == PNL_P_SPAN)
            fix_span |= (uint64_t)1 << k;
    }
    /* a buffer of many messages: room at once for as many messages as it holds if they are
     * about the size of its first (a dump's are alike; a quarter more, and never more than it
     * can hold at 16 bytes each): grown step by step, the columns would leave each old step's pages
     * in malloc's heap (a large dump's peak memory); room for every possible message (16
     * bytes each) would be mapped, faulted in and copied out below for every dump. What
     * does not fit grows as it goes (large columns are mapped: pnl_realloc grows them in
     * place); the room never written is given back below. From 8 KiB (a dump of 1,000
     * routes is 60 KiB: three reallocs of each column, ~2 us, saved); smaller ones grow as
     * they go. */
    if (len >= LEAN_RESERVE_MIN) {
        uint64_t most = len / NLMSG_HDRLEN + 1;
        struct nlmsghdr first;
        if (pnl_nlmsg_ok(buf, 0, len, &first)) {
            uint64_t like = len / PNL_ALIGN(first.nlmsg_len);
            if (like + like / 4 + 16 < most)
                most = like + like / 4 + 16;
        }
        if (most * width <= 0x7fffffffu) {     /* (past that, grown as it goes) */
            if (most > L->msg_cap && lean_msg_cap(L, most) < 0)
                return -ENOMEM;
            if (lean_out_room(L, most * width) < 0)
                return -ENOMEM;
        }
    }
    while (p < len) {
        struct nlmsghdr h;
        uint32_t base;
        uint64_t *got;
        int plucked;

        if (all_zero(buf + p, len - p))
            break;                          /* trailing padding, as pnl_decode */
        if (!pnl_nlmsg_ok(buf, p, len, &h)) {
            L->err_off = (uint32_t)p;
            return -EBADMSG;
        }
        /* room first: the plucked row is written where it stays (out_len moves past it
         * only when the message is plucked) */
        if ((L->n_msgs >= L->msg_cap && lean_msg_room(L) < 0)
            || (L->out_len + (uint64_t)width > L->out_cap && lean_out_room(L, width) < 0))
            return -ENOMEM;
        got = L->out + L->out_len;
        /* this message alone, its rows counted (numbers and offsets from p), the plan's
         * columns read as they come */
        rc = leaf_msg(&s, &lt, &plan, &lp, buf + p, h.nlmsg_len, &sink, got, &plucked, r);
        if (rc == 1) {                      /* not all leaves: the full walk */
            memset(&none, 0, sizeof(none));
            plucked = pnl_pluck_sink_msg(&sink, buf + p, h.nlmsg_len, h.nlmsg_type, got) == 0;
            rc = decode(buf + p, h.nlmsg_len, schema, schema_words, r, 0, &sink);
        }
        if (rc == -EBADMSG || rc == -EMSGSIZE)
            L->err_off = (uint32_t)(p + r->err_off);    /* the fault's offset in the whole buffer */
        if (rc != -ENOSPC)                  /* (no room: what a walk that is not wrong returns) */
            return rc < 0 ? rc : -EINVAL;
        if (r->count < 1 || r->n_msgs != 1)
            return -EINVAL;                 /* cannot happen: one whole message */
        base = (uint32_t)count;
        count += r->count;
        index_len += r->index_len;
        if (index_len > PNL_INDEX_MAX) {
            L->err_off = (uint32_t)p;
            return -EMSGSIZE;
        }
        L->msg_row[L->n_msgs] = base;
        L->msg_tf[L->n_msgs] = sink.msg_tf;
        L->msg_val[L->n_msgs] = sink.msg_val;
        L->n_msgs++;
        if (plucked) {                      /* back to the buffer's rows and offsets */
            uint64_t *o = got;
            o[0] += base;
            for (uint64_t m = fix_row; m; m &= m - 1) {
                uint32_t k = (uint32_t)__builtin_ctzll(m);
                if (o[1 + k] != PNL_P_NONE)
                    o[1 + k] += base;
            }
            for (uint64_t m = fix_span; m; m &= m - 1) {
                uint32_t k = (uint32_t)__builtin_ctzll(m);
                if (o[1 + k] != PNL_P_NONE)
                    o[1 + k] += (uint64_t)p << 32;
            }
            L->out_len += width;
            L->n_out++;
        }
        p = pnl_next(p, h.nlmsg_len, len);
    }
    if (count > 0xffffffffu)
        return -EMSGSIZE;
    L->count = (uint32_t)count;
    L->index_len = (uint32_t)index_len;
    if (L->out_len < L->out_cap) {          /* shrunk to fit (kept as is when realloc refuses) */
        FIT(L, out, L->out_len);
        L->out_cap = L->out_len ? L->out_len : 1;
    }
    if (L->n_msgs < L->msg_cap) {
        FIT(L, msg_row, L->n_msgs);
        FIT(L, msg_tf, L->n_msgs);
        FIT(L, msg_val, L->n_msgs);
        L->msg_cap = L->n_msgs ? L->n_msgs : 1;
    }
    return 0;
}
