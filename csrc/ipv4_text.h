/* Address text as inet_ntop writes it, and a "/prefix length" suffix: shared by the codec
 * (text.c), the event stream's C engine (ext/events.c) and the C dump views (ext/views.c). */
#ifndef PNL_IPV4_TEXT_H
#define PNL_IPV4_TEXT_H
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* IPv4 dotted quad (as inet_ntop writes it); out has room for 15 bytes. */
static inline size_t pnl_ipv4_text(const uint8_t *a, char *out)
{
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i)
            out[n++] = '.';
        if (v >= 100) {
            out[n++] = (char)('0' + v / 100);
            v %= 100;
            out[n++] = (char)('0' + v / 10);
            out[n++] = (char)('0' + v % 10);
        } else if (v >= 10) {
            out[n++] = (char)('0' + v / 10);
            out[n++] = (char)('0' + v % 10);
        } else {
            out[n++] = (char)('0' + v);
        }
    }
    return n;
}

/* An IPv4 (4 bytes) or IPv6 (16 bytes) address as inet_ntop writes it; out has room for
 * INET6_ADDRSTRLEN bytes. Its length, 0 for any other length. */
static inline size_t pnl_addr_text(const uint8_t *a, size_t alen, char *out)
{
    if (alen == 4)
        return pnl_ipv4_text(a, out);
    if (alen == 16 && inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN))
        return strnlen(out, INET6_ADDRSTRLEN);
    return 0;
}

/* "/" and v in decimal; out has room for 21 bytes. The bytes written. */
static inline size_t pnl_plen_text(uint64_t v, char *out)
{
    char rev[20];
    size_t n = 0, k = 0;

    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out[k++] = '/';
    while (n)
        out[k++] = rev[--n];
    return k;
}

#endif
