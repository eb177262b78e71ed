/* The namespace syscalls Python 3.11's os module lacks (each returns 0 or -errno), and the
 * making of one named namespace with a netlink socket inside it in one call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
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

/* One namespace file: umount2 (EINVAL: a file, not mounted, unlinked all the same), unlink;
 * 0 or -errno. */
static int32_t netns_del_one(const char *path, int flags)
{
    if (umount2(path, flags) < 0 && errno != EINVAL)
        return -errno;
    return unlink(path) < 0 ? -errno : 0;
}

struct del_job {
    const char **path;
    int32_t *errs;
    uint32_t n;
    int flags;
    _Atomic size_t next;        /* the next path to take, shared by every thread */
};

static void del_rest(struct del_job *job)
{
    for (size_t i; (i = atomic_fetch_add(&job->next, 1)) < job->n;)
        job->errs[i] = netns_del_one(job->path[i], job->flags);
}

static void *del_worker(void *arg)
{
    del_rest(arg);
    return NULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The first paths one after the other, each timed; once PNL_NETNS_DEL_WINDOW in a row each took
 * slow_ns or more (each umount2 waits for an expedited RCU grace period, outside the mount
 * lock; a long one means busy CPUs, and grace periods asked for at once are shared), up to
 * threads - 1 helper threads (signals blocked, small stacks) take the rest with this one,
 * path by path; a helper that cannot be started is not needed. */
static void del_all(struct del_job *job, uint32_t threads, uint32_t slow_ns)
{
    pthread_t tid[PNL_NETNS_DEL_THREADS_MAX];
    uint32_t started = 0, run = 0;
    pthread_attr_t attr;
    sigset_t all, old;

    while (run < PNL_NETNS_DEL_WINDOW || threads < 2) {
        size_t i = atomic_fetch_add(&job->next, 1);
        uint64_t t0;

        if (i >= job->n)
            return;
        t0 = now_ns();
        job->errs[i] = netns_del_one(job->path[i], job->flags);
        run = now_ns() - t0 >= slow_ns ? run + 1 : 0;
    }
    if (threads > PNL_NETNS_DEL_THREADS_MAX)
        threads = PNL_NETNS_DEL_THREADS_MAX;
    if (pthread_attr_init(&attr) == 0) {
        (void)pthread_attr_setstacksize(&attr, 256 * 1024);   /* two system calls deep */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        while (started + 1 < threads && atomic_load(&job->next) + 1 < job->n
               && pthread_create(&tid[started], &attr, del_worker, job) == 0)
            started++;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    del_rest(job);
    while (started)
        pthread_join(tid[--started], NULL);
}

int pnl_netns_del_many(const char *paths, size_t len, uint32_t n, int flags, uint32_t threads,
                       uint32_t slow_ns, int32_t *errs)
{
    struct del_job job = { .errs = errs, .n = n, .flags = flags };
    size_t at = 0;
    int failed = 0;

    if (!paths || (n && !errs))
        return -EINVAL;
    if (!n)
        return 0;
    job.path = malloc(n * sizeof(*job.path));
    if (!job.path)
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++) {         /* every path NUL-terminated inside len */
        const char *end = at < len ? memchr(paths + at, 0, len - at) : NULL;
        if (!end) {
            free(job.path);
            return -EINVAL;
        }
        job.path[i] = paths + at;
        at = (size_t)(end - paths) + 1;
    }
    atomic_init(&job.next, 0);
    del_all(&job, threads, slow_ns);
    free(job.path);
    for (uint32_t i = 0; i < n; i++)
        failed += errs[i] != 0;
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
