/* Helpers shared by the codec's C files (not part of the cffi API). */
#ifndef PNL_INTERNAL_H
#define PNL_INTERNAL_H
#include <stddef.h>

#define PNL_ALIGN(n) (((n) + 3u) & ~(size_t)3u)

#endif
