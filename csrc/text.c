/* Address text: the addresses of a whole plucked table formatted in one call, so that
 * Python turns them into strings with one split instead of one inet_ntop() per message.
 * Every span is checked against the buffer, every write against out_cap. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include "pnl.h"
#include "ipv4_text.h"

int pnl_ip_text(const uint8_t *buf, size_t buf_len, const uint64_t *cols, uint32_t n,
                uint32_t width, uint32_t col_a, uint32_t col_b, char *out, size_t out_cap)
{
    size_t w = 0;

    if ((!cols && n) || !out || width == 0 || col_a >= width || (!buf && buf_len))
        return -EINVAL;
    if (out_cap > 0x7fffffff)
        out_cap = 0x7fffffff;
    for (uint32_t r = 0; r < n; r++) {
        const uint64_t *row = cols + (size_t)r * width;
        uint64_t span = row[col_a];
        char tmp[INET6_ADDRSTRLEN];
        size_t len = 0;

        if (span == PNL_P_NONE && col_b < width)
            span = row[col_b];
        if (span != PNL_P_NONE) {
            uint64_t off = span >> 32, alen = span & 0xffffffff;
            if (off > buf_len || alen > buf_len - off || (alen != 4 && alen != 16)) {
                tmp[0] = '!';
                len = 1;
            } else if (alen == 4) {
                len = pnl_ipv4_text(buf + off, tmp);
            } else if (inet_ntop(AF_INET6, buf + off, tmp, sizeof(tmp))) {
                len = strnlen(tmp, sizeof(tmp));
            } else {
                tmp[0] = '!';
                len = 1;
            }
        }
        if (len + 1 > out_cap - w)
            return -ENOSPC;
        memcpy(out + w, tmp, len);
        w += len;
        out[w++] = '\n';
    }
    return (int)w;
}
