/* The namespace syscalls Python 3.11's os module lacks. Each returns 0 or -errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/mount.h>
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
