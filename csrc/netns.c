/* The namespace syscalls Python 3.11's os module lacks. Each returns 0 or -errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pnl.h"

int pnl_setns(int fd, int nstype)
{
    return setns(fd, nstype) < 0 ? -errno : 0;
}

int pnl_unshare(int flags)
{
    return unshare(flags) < 0 ? -errno : 0;
}

int pnl_mount(const char *source, const char *target, const char *fstype,
              unsigned long flags, const char *data)
{
    return mount(source, target, fstype, flags, data) < 0 ? -errno : 0;
}

int pnl_umount2(const char *target, int flags)
{
    return umount2(target, flags) < 0 ? -errno : 0;
}

int pnl_same_file(const char *path, uint64_t dev, uint64_t ino)
{
    struct stat st;

    if (!path)
        return -EINVAL;
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

int pnl_netns_del_many(const char *paths, size_t len, uint32_t n, int flags, int32_t *errs)
{
    size_t at = 0;
    int failed = 0;

    if (!paths || (n && !errs))
        return -EINVAL;
    for (uint32_t i = 0; i < n; i++) {         /* every path NUL-terminated inside len */
        const char *end = at < len ? memchr(paths + at, 0, len - at) : NULL;
        if (!end)
            return -EINVAL;
        at = (size_t)(end - paths) + 1;
    }
    at = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *path = paths + at;
        int err = 0;

        at += strlen(path) + 1;
        if (umount2(path, flags) < 0 && errno != EINVAL)   /* EINVAL: a file, not mounted */
            err = errno;
        else if (unlink(path) < 0)
            err = errno;
        errs[i] = err ? -err : 0;
        failed += err != 0;
    }
    return failed;
}
