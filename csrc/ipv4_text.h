/* IPv4 text as inet_ntop writes it, shared by the codec (text.c) and the event stream's C
 * engine (ext/events.c). */
#ifndef PNL_IPV4_TEXT_H
#define PNL_IPV4_TEXT_H
#include <stddef.h>
#include <stdint.h>

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

#endif
