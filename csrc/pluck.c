/* Pluck: a fixed set of columns for every message of one type in a decoded row table,
 * one call per buffer.  Everything read from the rows (which a caller may have filled
 * by hand) is checked before use: row numbers against count, subtree ends against their
 * row, payload spans against the buffer. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>
#include "pnl.h"
#include "pnl_internal.h"

static uint64_t le_uint(const uint8_t *p, uint32_t n, int sign)
{
    uint64_t v = 0;

    for (uint32_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    if (sign && n < 8 && (v >> (8 * n - 1)) & 1)
        v |= ~(uint64_t)0 << (8 * n);
    return v;
}

/* The value of column c for attribute row r (already known to be < count). */
static uint64_t attr_value(const struct pnl_rows *rows, size_t buf_len, const struct pnl_pluck_col *c,
                           uint32_t r)
{
    if (c->op == PNL_P_ROW)
        return r;
    if (c->op == PNL_P_U)
        return (rows->tf[r] >> 16) & PNL_R_BADLEN ? PNL_P_NONE : rows->val[r];
    /* PNL_P_SPAN */
    if (rows->off[r] > buf_len || rows->len[r] > buf_len - rows->off[r])
        return PNL_P_NONE;
    return (uint64_t)rows->off[r] << 32 | rows->len[r];
}

/* Check a spec and compile it into a plan (its columns, and per attribute type the columns
 * that read it): 0, or -EINVAL for a bad spec. */
int pnl_pluck_plan(const uint32_t *spec, size_t spec_words, struct pnl_pluck_plan *pl)
{
    uint32_t n_cols, hdr_len, i;

    if (!spec || spec_words < 3)
        return -EINVAL;
    n_cols = spec[1];
    hdr_len = spec[2];
    if (n_cols > PNL_PLUCK_MAX_COLS || spec_words != 3 + 2 * (size_t)n_cols || hdr_len > 0xffff)
        return -EINVAL;
    memset(pl->want, 0, sizeof(pl->want));
    pl->want_high = 0;
    pl->msg_type = spec[0];
    pl->n_cols = n_cols;
    pl->hdr_len = hdr_len;
    for (i = 0; i < n_cols; i++) {
        uint32_t w0 = spec[3 + 2 * i], w1 = spec[4 + 2 * i];
        struct pnl_pluck_col *c = &pl->cols[i];
        c->op = w0 & 0xff;
        c->size = (w0 >> 8) & 0xff;
        c->off = c->type = c->child = 0;
        if (c->op == PNL_P_HDR || c->op == PNL_P_HDRS) {
            if ((c->size != 1 && c->size != 2 && c->size != 4 && c->size != 8) || (uint64_t)w1 + c->size > hdr_len)
                return -EINVAL;
            c->off = w1;
        } else if (c->op == PNL_P_TYPE) {
            if (w1 != 0)
                return -EINVAL;
        } else if (c->op == PNL_P_U || c->op == PNL_P_SPAN || c->op == PNL_P_ROW) {
            c->type = w1 & 0xffff;
            c->child = w1 >> 16;
            if (c->type < PNL_PLUCK_TYPES)
                pl->want[c->type] |= (uint64_t)1 << i;
            else
                pl->want_high |= (uint64_t)1 << i;
        } else {
            return -EINVAL;
        }
    }
    return 0;
}

int pnl_pluck(const uint8_t *buf, size_t buf_len, const struct pnl_rows *rows,
              const uint32_t *spec, size_t spec_words, uint64_t *out, uint32_t out_cap)
{
    struct pnl_pluck_plan pl;
    int rc;

    if (!rows)
        return -EINVAL;
    rc = pnl_pluck_plan(spec, spec_words, &pl);
    return rc < 0 ? rc : pnl_pluck_run(buf, buf_len, rows, &pl, out, out_cap);
}

/* pnl_pluck with a plan made by pnl_pluck_plan (what a one-message-at-a-time caller
 * compiles once). */
int pnl_pluck_run(const uint8_t *buf, size_t buf_len, const struct pnl_rows *rows,
                  const struct pnl_pluck_plan *pl, uint64_t *out, uint32_t out_cap)
{
    const struct pnl_pluck_col *cols = pl->cols;
    const uint64_t *want = pl->want;
    uint64_t want_high = pl->want_high;
    uint32_t msg_type = pl->msg_type, n_cols = pl->n_cols, hdr_len = pl->hdr_len;
    uint32_t width, n = 0, count, i;

    if (!rows)
        return -EINVAL;
    width = n_cols + 1;
    count = rows->count;
    if (count > rows->cap || count > 0x7fffffff)
        return -EINVAL;
    i = 0;
    while (i < count) {
        uint32_t m = i, stop = rows->end[m];
        uint64_t *o, done = 0;

        if (stop <= m || stop > count)
            return -EINVAL;
        i = stop;
        if (!((rows->tf[m] >> 16) & PNL_R_MSG) ||
            (msg_type == PNL_P_ANY ? (rows->tf[m] & 0xffff) < NLMSG_MIN_TYPE
                                   : (rows->tf[m] & 0xffff) != msg_type))
            continue;
        if ((uint64_t)(n + 1) * width > out_cap) {
            n++;
            continue;                       /* counted: -ENOSPC below */
        }
        o = out + (size_t)n * width;
        n++;
        o[0] = m;
        for (uint32_t k = 0; k < n_cols; k++)
            o[1 + k] = cols[k].op == PNL_P_TYPE ? (rows->tf[m] & 0xffff) : PNL_P_NONE;
        /* fixed header fields: only when the message holds the whole header */
        if (buf && rows->off[m] <= buf_len && rows->len[m] <= buf_len - rows->off[m] &&
            16 + (uint64_t)hdr_len <= rows->len[m]) {
            const uint8_t *h = buf + rows->off[m] + 16;
            for (uint32_t k = 0; k < n_cols; k++) {
                const struct pnl_pluck_col *c = &cols[k];
                if (c->op == PNL_P_HDR || c->op == PNL_P_HDRS)
                    o[1 + k] = le_uint(h + c->off, c->size, c->op == PNL_P_HDRS);
            }
        }
        /* attributes: one pass over the message's children (first of a type wins) */
        for (uint32_t a = m + 1; a < stop;) {
            uint32_t t = rows->tf[a] & 0xffff, a_end = rows->end[a];
            uint64_t cand = (t < PNL_PLUCK_TYPES ? want[t] : want_high) & ~done;
            if (a_end <= a || a_end > stop)
                return -EINVAL;
            while (cand) {                  /* the columns of type t not yet read */
                uint32_t k = (uint32_t)__builtin_ctzll(cand);
                const struct pnl_pluck_col *c = &cols[k];
                cand &= cand - 1;
                if ((c->op != PNL_P_U && c->op != PNL_P_SPAN && c->op != PNL_P_ROW) || c->type != t)
                    continue;
                done |= (uint64_t)1 << k;
                if (!c->child) {
                    o[1 + k] = attr_value(rows, buf_len, c, a);
                    continue;
                }
                /* nested: only in the first attribute of type t (as path() does) */
                for (uint32_t b = a + 1; b < a_end;) {
                    uint32_t b_end = rows->end[b];
                    if (b_end <= b || b_end > a_end)
                        return -EINVAL;
                    if ((rows->tf[b] & 0xffff) == c->child - 1) {
                        o[1 + k] = attr_value(rows, buf_len, c, b);
                        break;
                    }
                    b = b_end;
                }
            }
            a = a_end;
        }
    }
    return (uint64_t)n * width > out_cap ? -ENOSPC : (int)n;
}


/* ---- the same values, read while the decoder walks (pnl_decode_pluck) ---- */
int pnl_pluck_sink_msg(struct pnl_pluck_sink *k, const uint8_t *msg, size_t msg_len, uint16_t type,
                       uint64_t *o)
{
    const struct pnl_pluck_plan *pl = k->pl;

    k->o = NULL;
    k->done = k->nest = 0;
    k->msg_len = msg_len;
    if (pl->msg_type == PNL_P_ANY ? type < NLMSG_MIN_TYPE : type != pl->msg_type)
        return -1;
    o[0] = 0;
    for (uint32_t j = 0; j < pl->n_cols; j++)
        o[1 + j] = pl->cols[j].op == PNL_P_TYPE ? type : PNL_P_NONE;
    if (16 + (uint64_t)pl->hdr_len <= msg_len) {
        for (uint32_t j = 0; j < pl->n_cols; j++) {
            const struct pnl_pluck_col *c = &pl->cols[j];
            if (c->op == PNL_P_HDR || c->op == PNL_P_HDRS)
                o[1 + j] = le_uint(msg + 16 + c->off, c->size, c->op == PNL_P_HDRS);
        }
    }
    k->o = o;
    return 0;
}

static uint64_t sink_value(const struct pnl_pluck_sink *k, const struct pnl_pluck_col *c, uint32_t row,
                           uint32_t tf, uint64_t val, size_t p, size_t n)
{
    if (c->op == PNL_P_ROW)
        return row;
    if (c->op == PNL_P_U)
        return (tf >> 16) & PNL_R_BADLEN ? PNL_P_NONE : val;
    if (p > k->msg_len || n > k->msg_len - p)
        return PNL_P_NONE;
    return (uint64_t)p << 32 | n;
}

void pnl_pluck_sink_row(struct pnl_pluck_sink *k, int32_t parent, uint32_t type, uint32_t row,
                        uint32_t tf, uint64_t val, size_t p, size_t n)
{
    const struct pnl_pluck_col *cols = k->pl->cols;
    uint64_t cand;

    if (!k->o)
        return;
    if (parent == 0) {                  /* a child of the message (row 0): first of a type wins */
        k->nest = 0;                    /* the previous child's subtree is behind */
        cand = (type < PNL_PLUCK_TYPES ? k->pl->want[type] : k->pl->want_high) & ~k->done;
        while (cand) {
            uint32_t j = (uint32_t)__builtin_ctzll(cand);
            cand &= cand - 1;
            if (cols[j].type != type)
                continue;
            k->done |= (uint64_t)1 << j;
            if (!cols[j].child) {
                k->o[1 + j] = sink_value(k, &cols[j], row, tf, val, p, n);
            } else {                    /* nested: read from this attribute's children */
                k->nest |= (uint64_t)1 << j;
                k->nest_row = row;
            }
        }
    } else if (k->nest && (uint32_t)parent == k->nest_row) {
        cand = k->nest;
        while (cand) {
            uint32_t j = (uint32_t)__builtin_ctzll(cand);
            cand &= cand - 1;
            if (cols[j].child - 1 == type) {
                k->o[1 + j] = sink_value(k, &cols[j], row, tf, val, p, n);
                k->nest &= ~((uint64_t)1 << j);
            }
        }
    }
}
