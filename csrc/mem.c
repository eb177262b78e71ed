/* Memory of the tables the decoder grows (pnl_decode_grow, pnl_decode_pluck): small ones from
 * malloc, large ones (PNL_MAP_MIN and up) mapped on their own, so growing one is an mremap (no
 * copy, no second area while it grows) and freeing one gives its pages back at once, whatever
 * malloc's heap looks like.  A header before each block says which, and its size. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "pnl.h"
#include "pnl_internal.h"

#define PNL_MAP_MIN (1024 * 1024)

struct block {                      /* 16 bytes: what follows stays 16-byte aligned */
    size_t size;                    /* bytes usable after the header */
    size_t mapped;
};

void *pnl_realloc(void *p, size_t n)
{
    struct block *b = p ? (struct block *)((uint8_t *)p - sizeof(struct block)) : NULL, *q;
    size_t old = b ? b->size : 0, keep = old < n ? old : n;
    size_t hdr = sizeof(struct block);

    if (n > SIZE_MAX - hdr - 4096)
        return NULL;
    if (n + hdr >= PNL_MAP_MIN) {
        if (b && b->mapped) {
            q = mremap(b, hdr + old, hdr + n, MREMAP_MAYMOVE);
            if (q == MAP_FAILED)
                return NULL;
        } else {
            q = mmap(NULL, hdr + n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (q == MAP_FAILED)
                return NULL;
            if (b) {
                memcpy((uint8_t *)q + hdr, p, keep);
                free(b);
            }
        }
        q->mapped = 1;
    } else if (b && b->mapped) {
        q = malloc(hdr + n);
        if (!q)
            return NULL;
        memcpy((uint8_t *)q + hdr, p, keep);
        munmap(b, hdr + old);
        q->mapped = 0;
    } else {
        q = realloc(b, hdr + n);
        if (!q)
            return NULL;
        q->mapped = 0;
    }
    q->size = n;
    return (uint8_t *)q + hdr;
}

void pnl_free(void *p)
{
    struct block *b;

    if (!p)
        return;
    b = (struct block *)((uint8_t *)p - sizeof(struct block));
    if (b->mapped)
        munmap(b, sizeof(struct block) + b->size);
    else
        free(b);
}

/* malloc's realloc, not pnl_realloc: a freed area's pages go back to malloc's heap, so the
 * next transfer's area (and its grown sizes) reuse resident pages instead of faulting in
 * fresh mapped ones; a large malloc'd block is grown by mremap all the same. */
void *pnl_area(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

void pnl_area_free(void *p)
{
    free(p);
}
