/* Column text: one text column of a whole plucked table made in one call (addresses as
 * inet_ntop() writes them, strings up to their NUL, bytes in hex), so that Python turns a
 * column into strings with one decode and one split instead of one conversion per message.
 * Every span is checked against the buffer, every write against out_cap. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include "pnl.h"
#include "ipv4_text.h"

#define TEXT_LIMIT 0x7fffffff          /* the return value is an int */

/* An address span (already checked to lie in the buffer when ok) as text in tmp: "!" when
 * it does not, or is neither 4 nor 16 bytes long. */
static size_t ip_text(const uint8_t *buf, uint64_t off, uint64_t alen, int ok, char *tmp)
{
    size_t n = ok ? pnl_addr_text(buf + off, (size_t)alen, tmp) : 0;

    if (n)
        return n;
    tmp[0] = '!';
    return 1;
}

static void hex_text(const uint8_t *p, uint64_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (uint64_t i = 0; i < n; i++) {
        if (i)
            *out++ = ':';
        *out++ = digits[p[i] >> 4];
        *out++ = digits[p[i] & 15];
    }
}

/* The text of every row, each followed by sep; out NULL (out_cap 0): only measure. */
static int col_text(const uint8_t *buf, size_t buf_len, const uint64_t *cols, uint32_t n,
                    uint32_t width, uint32_t col_a, uint32_t col_b, uint32_t mode, char sep,
                    char *out, size_t out_cap)
{
    size_t w = 0;

    if ((!cols && n) || width == 0 || col_a >= width || (!buf && buf_len) || mode > PNL_T_HEX ||
        (!out && out_cap))
        return -EINVAL;
    if (out_cap > TEXT_LIMIT)
        out_cap = TEXT_LIMIT;
    for (uint32_t r = 0; r < n; r++) {
        const uint64_t *row = cols + (size_t)r * width;
        uint64_t span = row[col_a], off, alen, len = 0, hex = 0;
        char tmp[INET6_ADDRSTRLEN];
        const uint8_t *src = NULL;
        int ok;

        if (span == PNL_P_NONE && col_b < width)
            span = row[col_b];
        off = span >> 32;
        alen = span & 0xffffffff;
        ok = off <= buf_len && alen <= buf_len - off;
        if (span == PNL_P_NONE) {
            len = 0;
        } else if (mode == PNL_T_IP) {
            len = ip_text(buf, off, alen, ok, tmp);
            src = (const uint8_t *)tmp;
        } else if (!ok) {
            return -EINVAL;               /* no span outside the buffer comes from pnl_pluck */
        } else if (!alen) {
            len = 0;                      /* an empty string, no bytes */
        } else if (mode == PNL_T_STR) {
            const uint8_t *z = memchr(buf + off, 0, alen);
            src = buf + off;
            len = z ? (uint64_t)(z - src) : alen;
        } else {
            len = 3 * alen - 1;
            hex = alen;
        }
        if (len + 1 > TEXT_LIMIT - w)
            return -EOVERFLOW;
        if (out) {
            if (len + 1 > out_cap - w)
                return -ENOSPC;
            if (hex)
                hex_text(buf + off, hex, out + w);
            else if (len)
                memcpy(out + w, src, len);
            out[w + len] = sep;
        }
        w += len + 1;
    }
    return (int)w;
}

int pnl_col_text(const uint8_t *buf, size_t buf_len, const uint64_t *cols, uint32_t n,
                 uint32_t width, uint32_t col_a, uint32_t col_b, uint32_t mode, char *out,
                 size_t out_cap)
{
    return col_text(buf, buf_len, cols, n, width, col_a, col_b, mode, '\0', out, out_cap);
}

int pnl_ip_text(const uint8_t *buf, size_t buf_len, const uint64_t *cols, uint32_t n,
                uint32_t width, uint32_t col_a, uint32_t col_b, char *out, size_t out_cap)
{
    if (!out)
        return -EINVAL;
    return col_text(buf, buf_len, cols, n, width, col_a, col_b, PNL_T_IP, '\n', out, out_cap);
}
