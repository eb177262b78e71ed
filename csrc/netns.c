/* The namespace syscalls Python 3.11's os module lacks (each returns 0 or -errno), and the
 * making of one named namespace with a netlink socket inside it in one call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>
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

/* the Python path's _remove_mount_point: unmount (not following a symlink), then unlink */
static void remove_mount_point(const char *path)
{
    umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
    unlink(path);
}

static int nl_socket(int protocol, int rcvbuf, int sndbuf)
{
    static const int opts[] = { NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK };
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    int one = 1, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);

    if (fd < 0)
        return -errno;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        (void)setsockopt(fd, SOL_NETLINK, opts[i], &one, sizeof(one));  /* older kernels: plain errors */
    if ((setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0
         && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
        || (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0
            && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
        || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int pnl_netns_make_socket(const char *path, int protocol, int rcvbuf, int sndbuf, uint64_t *out)
{
    struct stat st, self;
    socklen_t len = sizeof(int);
    int fd, got = 0;

    if (!path || !out)
        return -EINVAL;
    out[0] = PNL_NS_STEP_FILE;
    fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return -errno;
    else if (stat(path, &st) < 0 || stat("/proc/self/ns/net", &self) < 0)
        return -errno;
    else if (st.st_dev == self.st_dev)          /* a namespace is mounted there */
        return -EEXIST;
    /* else: an empty file left by a process killed before its mount: taken over */
    out[0] = PNL_NS_STEP_UNSHARE;
    if (unshare(CLONE_NEWNET) < 0)
        goto fail;
    out[0] = PNL_NS_STEP_MOUNT;
    if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0 || stat(path, &st) < 0)
        goto fail;
    out[0] = PNL_NS_STEP_SOCKET;
    fd = nl_socket(protocol, rcvbuf, sndbuf);
    if (fd < 0) {
        errno = -fd;
        goto fail;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        goto fail;
    }
    out[0] = (uint64_t)got;
    out[1] = (uint64_t)st.st_dev;
    out[2] = (uint64_t)st.st_ino;
    return fd;
fail:
    fd = -errno;
    remove_mount_point(path);
    return fd;
}
