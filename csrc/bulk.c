/* Bulk helpers: prefixes parsed for many messages at once, and the status table scanned for
 * the requests that need Python's attention (errors, incomplete), one call each. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "pnl.h"

/* "addr" or "addr/len" (len: 1 to 3 ASCII digits, at most bits) -> plen and the address
 * masked to it; 0 when it is not one. */
static int parse_prefix(const char *s, size_t n, int af, uint8_t *plen, uint8_t *addr)
{
    char text[64];
    size_t bytes = af == AF_INET ? 4 : 16, bits = 8 * bytes, alen = n, len = bits;
    const char *slash = memchr(s, '/', n);

    if (slash) {
        size_t digits = n - (size_t)(slash - s) - 1;
        alen = (size_t)(slash - s);
        if (digits == 0 || digits > 3)
            return 0;
        len = 0;
        for (size_t i = 0; i < digits; i++) {
            char d = slash[1 + i];
            if (d < '0' || d > '9')
                return 0;
            len = len * 10 + (size_t)(d - '0');
        }
        if (len > bits)
            return 0;
    }
    if (alen == 0 || alen >= sizeof(text))
        return 0;
    memcpy(text, s, alen);
    text[alen] = 0;
    if (memchr(text, 0, alen) || inet_pton(af, text, addr) != 1)
        return 0;
    for (size_t i = 0; i < bytes; i++) {
        size_t keep = len > 8 * i ? len - 8 * i : 0;
        if (keep < 8)
            addr[i] &= (uint8_t)(0xff00u >> keep);
    }
    *plen = (uint8_t)len;
    return 1;
}

int pnl_prefixes(const char *text, size_t len, int af, uint32_t n, uint8_t *out, size_t out_cap)
{
    size_t row = af == AF_INET ? 5 : af == AF_INET6 ? 17 : 0, p = 0;

    if (!row || !text || (n && (!out || out_cap / row < n)))
        return -EINVAL;
    for (uint32_t k = 0; k < n; k++) {
        const char *nl;
        size_t end;

        /* p <= len: a line without '\n' (p = len + 1 after it) is the last one */
        nl = memchr(text + p, '\n', len - p);
        end = nl ? (size_t)(nl - text) : len;
        if ((k + 1 < n) != (nl != NULL))
            return (int)k;              /* one entry per line, exactly n lines */
        if (!parse_prefix(text + p, end - p, af, out + k * row, out + k * row + 1))
            return (int)k;
        p = end + 1;
    }
    return (int)n;
}

int pnl_prefix_range(const uint8_t *first, uint32_t size, uint32_t plen, uint32_t n, uint8_t *out,
                     size_t out_cap)
{
    uint8_t cur[16];
    size_t row = (size_t)size + 1;
    uint32_t bit = 8 * size - plen;       /* the step: 1 << bit */

    if ((size != 4 && size != 16) || plen > 8 * size || !first || (n && (!out || out_cap / row < n)))
        return -EINVAL;
    memcpy(cur, first, size);
    for (uint32_t k = 0; k < n; k++) {
        unsigned carry;

        out[k * row] = (uint8_t)plen;
        memcpy(out + k * row + 1, cur, size);
        if (k + 1 == n)
            break;
        if (bit == 8 * size)
            return -ERANGE;               /* /0: one prefix is all there is */
        carry = 1u << (bit % 8);
        for (size_t i = size - 1 - bit / 8; carry; i--) {
            carry += cur[i];
            cur[i] = (uint8_t)carry;
            carry >>= 8;
            if (i == 0) {
                if (carry)
                    return -ERANGE;       /* past the last address */
                break;
            }
        }
    }
    return (int)n;
}

int pnl_status_odd(const struct pnl_status *st, uint32_t n, uint32_t want, uint32_t *out,
                   uint32_t out_cap)
{
    uint32_t found = 0;

    if (n && !st)
        return -EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        if (st[i].error == 0 && (st[i].flags & (PNL_ST_DONE | PNL_ST_DUMP_INTR)) == want)
            continue;
        if (found < out_cap && out)
            out[found] = i;
        found++;
        if (found > 0x7fffffffu)
            return -EOVERFLOW;
    }
    return (int)found;
}
