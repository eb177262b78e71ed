/* Port publications in bulk: rows packed from columns (protocol, host port, address, target
 * port) by a short format, in one call. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "pnl.h"

/* one field of a row: p h a t at offset at */
struct field {
    char what;
    uint16_t at;
};

int pnl_port_rows(const char *fmt, const uint8_t *consts, size_t consts_len, uint32_t n,
                  const uint8_t *proto, const uint16_t *host, const uint8_t *addr,
                  const uint16_t *to_port, uint8_t *out, size_t out_cap)
{
    struct field fields[64];
    uint8_t tmpl[512];                  /* the row with its constant bytes, fields zero */
    size_t nfields = 0, row = 0, used = 0;

    if (!fmt || !out)
        return -EINVAL;
    for (const char *f = fmt; *f; f++) {
        size_t size;

        switch (*f) {
        case 'p': case 'z': case 'c': size = 1; break;
        case 'h': case 't': size = 2; break;
        case 'a': size = 4; break;
        default: return -EINVAL;
        }
        if ((*f == 'p' && !proto) || (*f == 'h' && !host) || (*f == 'a' && !addr)
            || (*f == 't' && !to_port) || row + size > sizeof(tmpl))
            return -EINVAL;
        memset(tmpl + row, 0, size);
        if (*f == 'c') {
            if (!consts || used >= consts_len)
                return -EINVAL;
            tmpl[row] = consts[used++];
        } else if (*f != 'z') {
            if (nfields == sizeof(fields) / sizeof(fields[0]))
                return -EINVAL;
            fields[nfields++] = (struct field){ *f, (uint16_t)row };
        }
        row += size;
    }
    if (used != consts_len || row == 0 || (n && out_cap / row < n) || (uint64_t)row * n > 0x7fffffff)
        return -EINVAL;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t *o = out + (size_t)k * row;

        memcpy(o, tmpl, row);
        for (size_t i = 0; i < nfields; i++) {
            uint8_t *d = o + fields[i].at;

            switch (fields[i].what) {
            case 'p': *d = proto[k]; break;
            case 'h': d[0] = (uint8_t)(host[k] >> 8); d[1] = (uint8_t)host[k]; break;
            case 't': d[0] = (uint8_t)(to_port[k] >> 8); d[1] = (uint8_t)to_port[k]; break;
            default: memcpy(d, addr + 4 * (size_t)k, 4); break;
            }
        }
    }
    return (int)row;
}
