/* nl.h: the C floor's raw netlink helpers (libmnl-like, header-only, no allocation per message).
 *
 * One socket per namespace, requests built back to back in one buffer, sent in chunks of at
 * most CHUNK messages, then every ack of the chunk is collected (pipelining). Timing and
 * rusage are taken inside the program, around the work only; results go to stdout as JSON.
 */
#ifndef CFLOOR_NL_H
#define CFLOOR_NL_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define CHUNK 64
#define ALIGN4(n) (((n) + 3u) & ~3u)

static void die(const char *what)
{
	fprintf(stderr, "cfloor: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- timing ------------------------------------------------------------------------ */
struct mark { struct timespec t; struct rusage ru; };

static void mark_now(struct mark *m)
{
	clock_gettime(CLOCK_MONOTONIC, &m->t);
	getrusage(RUSAGE_SELF, &m->ru);
}

static double tv_s(struct timeval a, struct timeval b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) / 1e6;
}

/* one JSON object: {"wall": s, "user": s, "sys": s} */
static void mark_print(const char *key, const struct mark *a, const struct mark *b, int last)
{
	double wall = (double)(b->t.tv_sec - a->t.tv_sec) + (double)(b->t.tv_nsec - a->t.tv_nsec) / 1e9;
	printf("\"%s\": {\"wall\": %.9f, \"user\": %.6f, \"sys\": %.6f}%s", key, wall,
	       tv_s(a->ru.ru_utime, b->ru.ru_utime), tv_s(a->ru.ru_stime, b->ru.ru_stime),
	       last ? "" : ", ");
}

/* ---- sockets ----------------------------------------------------------------------- */
static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int one = 1, rcv = 4 << 20;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	return fd;
}

/* a socket inside the namespace at path (the process comes back to where it was) */
static int nl_open_in(const char *path)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	int fd;
	if (self < 0 || ns < 0)
		die(path);
	if (setns(ns, CLONE_NEWNET) < 0)
		die("setns");
	fd = nl_open();
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back");
	close(self);
	close(ns);
	return fd;
}

/* ---- building messages ------------------------------------------------------------- */
struct batch { uint8_t *buf; size_t len, cap; uint32_t n, seq; uint32_t *off; };

static void batch_init(struct batch *b, size_t cap, uint32_t max_msgs)
{
	b->buf = calloc(1, cap);
	b->off = calloc(max_msgs + 1, sizeof(uint32_t));
	b->cap = cap;
	b->len = b->n = 0;
	b->seq = 1;
	if (!b->buf || !b->off)
		die("calloc");
}

static void batch_reset(struct batch *b) { b->len = 0; b->n = 0; }

static struct nlmsghdr *msg_start(struct batch *b, uint16_t type, uint16_t flags, const void *hdr,
				  uint32_t hdrlen)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);
	if (b->len + 1024 > b->cap)
		die("batch buffer full");
	nlh->nlmsg_len = NLMSG_HDRLEN + ALIGN4(hdrlen);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = b->seq++;
	nlh->nlmsg_pid = 0;
	memcpy((uint8_t *)nlh + NLMSG_HDRLEN, hdr, hdrlen);
	memset((uint8_t *)nlh + NLMSG_HDRLEN + hdrlen, 0, ALIGN4(hdrlen) - hdrlen);
	b->off[b->n++] = (uint32_t)b->len;
	return nlh;
}

static void msg_end(struct batch *b, struct nlmsghdr *nlh) { b->len += nlh->nlmsg_len; }

static struct nlattr *attr_put(struct nlmsghdr *nlh, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, ALIGN4(len) - len);
	nlh->nlmsg_len += NLA_HDRLEN + ALIGN4(len);
	return a;
}

static void attr_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t v) { attr_put(nlh, type, &v, 4); }
static void attr_str(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	attr_put(nlh, type, s, (uint16_t)(strlen(s) + 1));
}

static struct nlattr *nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	return attr_put(nlh, type, NULL, 0);
}

static void nest_end(struct nlmsghdr *nlh, struct nlattr *a)
{
	a->nla_len = (uint16_t)((uint8_t *)nlh + nlh->nlmsg_len - (uint8_t *)a);
}

/* ---- sending, collecting acks -------------------------------------------------------- */
static void send_all(int fd, const uint8_t *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len)
		die("sendto");
}

static uint8_t rxbuf[1 << 20];

/* receive until `want` acks arrived; errors are counted and the first few printed */
static int collect_acks(int fd, uint32_t want)
{
	int errors = 0;
	while (want) {
		ssize_t n = recv(fd, rxbuf, sizeof(rxbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)rxbuf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlmsgerr *e = NLMSG_DATA(h);
			want--;
			if (e->error && errors++ < 5)
				fprintf(stderr, "cfloor: request seq %u: %s\n", h->nlmsg_seq,
					strerror(-e->error));
		}
	}
	return errors;
}

/* send the batch in chunks of CHUNK messages, collecting each chunk's acks */
static int batch_xfer(int fd, struct batch *b)
{
	int errors = 0;
	for (uint32_t i = 0; i < b->n; i += CHUNK) {
		uint32_t j = i + CHUNK < b->n ? i + CHUNK : b->n;
		size_t end = j < b->n ? b->off[j] : b->len;
		send_all(fd, b->buf + b->off[i], end - b->off[i]);
		errors += collect_acks(fd, j - i);
	}
	return errors;
}

/* ---- namespaces, exactly as `ip netns add` / `ip netns del` -------------------------- */
static void run_netns_shared(void)
{
	mkdir("/run/netns", 0755);
	if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL)
			die("mount --make-shared /run/netns");
		if (mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, NULL) < 0)
			die("bind /run/netns");
		if (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL) < 0)
			die("mount --make-shared /run/netns");
	}
}

/* create /run/netns/name; the calling thread ends up inside the new namespace */
static void netns_add_here(const char *name)
{
	char path[512];
	int fd;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		die(path);
	close(fd);
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare");
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		die("bind mount netns");
}

static void netns_del(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0)
		die(path);
}

static uint32_t ifindex_in(int fd, const char *name)
{
	struct batch b;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlmsghdr *h;
	uint32_t index = 0;
	ssize_t n;
	batch_init(&b, 4096, 1);
	h = msg_start(&b, RTM_GETLINK, NLM_F_REQUEST, &ifi, sizeof(ifi));
	attr_str(h, IFLA_IFNAME, name);
	msg_end(&b, h);
	send_all(fd, b.buf, b.len);
	n = recv(fd, rxbuf, sizeof(rxbuf), 0);
	for (struct nlmsghdr *r = (struct nlmsghdr *)rxbuf; n > 0 && NLMSG_OK(r, (size_t)n);
	     r = NLMSG_NEXT(r, n))
		if (r->nlmsg_type == RTM_NEWLINK)
			index = (uint32_t)((struct ifinfomsg *)NLMSG_DATA(r))->ifi_index;
	free(b.buf);
	free(b.off);
	if (!index) {
		fprintf(stderr, "cfloor: no link %s\n", name);
		exit(2);
	}
	return index;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
#endif
