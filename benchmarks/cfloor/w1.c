/* w1: the C floor for W1 (attach N containers Docker-style, teardown) and NS (named namespaces).
 *
 *   w1 attach   HOSTNS_PATH PREFIX N   bridge br0 172.17.0.1/16 up in HOSTNS; per container i a
 *                                      named namespace PREFIX<i>, veth<i> on br0 and up with its
 *                                      peer eth0 created inside the container, lo up, eth0
 *                                      172.17.x.y/16 up, default route via 172.17.0.1
 *   w1 teardown HOSTNS_PATH PREFIX N   delete the container namespaces, then br0
 *   w1 nsadd    PREFIX N               N named namespaces (unshare + bind mount, as ip netns add)
 *   w1 nsdel    PREFIX N               delete them (umount + unlink, as ip netns del)
 *
 * Containers go in chunks of CHUNK: namespaces (one socket each), the chunk's veth creates on
 * the host socket (pipelined), then every container's four requests sent before any ack is read.
 *
 * Experiment (not W1 as the runner defines it): with W1_QUEUES set in the environment, every
 * veth is created with IFLA_NUM_TX_QUEUES and IFLA_NUM_RX_QUEUES of 1 on both ends. The kernel
 * then skips veth_init_queues' netif_set_real_num_tx_queues(dev, 1) for each end, and with it
 * two synchronize_net() per veth (expedited RCU grace periods, under RTNL). Same real queue
 * counts (1); only the maximum differs (ethtool -L can no longer raise them).
 */
#include "nl.h"

static char *name_of(const char *prefix, int i)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s%d", prefix, i);
	return buf;
}

static void put_link_up(struct batch *b, int index)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP,
				 .ifi_change = IFF_UP };
	struct nlmsghdr *h = msg_start(b, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof(ifi));
	msg_end(b, h);
}

static void put_addr(struct batch *b, int index, uint32_t addr_be, int plen)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (uint8_t)plen,
				 .ifa_index = (uint32_t)index };
	struct nlmsghdr *h = msg_start(b, RTM_NEWADDR,
				       NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa,
				       sizeof(ifa));
	attr_put(h, IFA_LOCAL, &addr_be, 4);
	attr_put(h, IFA_ADDRESS, &addr_be, 4);
	msg_end(b, h);
}

static uint32_t ctr_addr(int i)
{
	return htonl((172u << 24) | (17u << 16) | (uint32_t)(i + 2));
}

static int attach(const char *host, const char *prefix, int n)
{
	int hfd = nl_open_in(host), errors = 0, br;
	const int queues = getenv("W1_QUEUES") != NULL;   /* experiment: one tx/rx queue each end */
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int *cfd = calloc(CHUNK, sizeof(int)), *nsfd = calloc(CHUNK, sizeof(int));
	uint32_t gw = htonl((172u << 24) | (17u << 16) | 1u);
	struct batch hb, cb[CHUNK];
	struct nlmsghdr *h;
	struct ifinfomsg up = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nlattr *li, *data, *peer;

	batch_init(&hb, 1 << 20, 4 * CHUNK);
	for (int k = 0; k < CHUNK; k++)
		batch_init(&cb[k], 4096, 4);
	run_netns_shared();

	h = msg_start(&hb, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &up,
		      sizeof(up));
	attr_str(h, IFLA_IFNAME, "br0");
	li = nest_start(h, IFLA_LINKINFO);
	attr_str(h, IFLA_INFO_KIND, "bridge");
	nest_end(h, li);
	msg_end(&hb, h);
	errors += batch_xfer(hfd, &hb);
	batch_reset(&hb);
	br = (int)ifindex_in(hfd, "br0");
	put_addr(&hb, br, gw, 16);
	errors += batch_xfer(hfd, &hb);

	for (int base = 0; base < n; base += CHUNK) {
		int m = n - base < CHUNK ? n - base : CHUNK;
		/* namespaces, one socket and one fd each */
		for (int k = 0; k < m; k++) {
			netns_add_here(name_of(prefix, base + k));
			cfd[k] = nl_open();
			nsfd[k] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
			if (setns(self, CLONE_NEWNET) < 0)
				die("setns back");
		}
		/* host side: one message per container (veth, peer eth0 in the container, master, up) */
		batch_reset(&hb);
		for (int k = 0; k < m; k++) {
			char ifname[IFNAMSIZ];
			struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC, .ifi_index = 2 };
			uint32_t fd = (uint32_t)nsfd[k];
			snprintf(ifname, sizeof(ifname), "veth%07x", base + k);
			h = msg_start(&hb, RTM_NEWLINK,
				      NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &up, sizeof(up));
			attr_str(h, IFLA_IFNAME, ifname);
			attr_u32(h, IFLA_MASTER, (uint32_t)br);
			if (queues) {
				attr_u32(h, IFLA_NUM_TX_QUEUES, 1);
				attr_u32(h, IFLA_NUM_RX_QUEUES, 1);
			}
			li = nest_start(h, IFLA_LINKINFO);
			attr_str(h, IFLA_INFO_KIND, "veth");
			data = nest_start(h, IFLA_INFO_DATA);
			peer = attr_put(h, VETH_INFO_PEER, &pifi, sizeof(pifi));
			attr_str(h, IFLA_IFNAME, "eth0");
			if (queues) {
				attr_u32(h, IFLA_NUM_TX_QUEUES, 1);
				attr_u32(h, IFLA_NUM_RX_QUEUES, 1);
			}
			attr_u32(h, IFLA_NET_NS_FD, fd);
			nest_end(h, peer);
			nest_end(h, data);
			nest_end(h, li);
			msg_end(&hb, h);
		}
		errors += batch_xfer(hfd, &hb);
		/* container side: lo up, eth0 up, address, default route; all sent, then all acks */
		for (int k = 0; k < m; k++) {
			struct batch *b = &cb[k];
			struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN,
					     .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
					     .rtm_type = RTN_UNICAST };
			batch_reset(b);
			put_link_up(b, 1);
			put_link_up(b, 2);
			put_addr(b, 2, ctr_addr(base + k), 16);
			h = msg_start(b, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
				      &rtm, sizeof(rtm));
			attr_put(h, RTA_GATEWAY, &gw, 4);
			msg_end(b, h);
			send_all(cfd[k], b->buf, b->len);
		}
		for (int k = 0; k < m; k++) {
			errors += collect_acks(cfd[k], 4);
			close(cfd[k]);
			close(nsfd[k]);
		}
	}
	close(hfd);
	return errors;
}

static int teardown(const char *host, const char *prefix, int n)
{
	int hfd = nl_open_in(host), errors;
	struct batch b;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlmsghdr *h;
	for (int i = 0; i < n; i++)
		netns_del(name_of(prefix, i));
	batch_init(&b, 4096, 1);
	h = msg_start(&b, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof(ifi));
	attr_str(h, IFLA_IFNAME, "br0");
	msg_end(&b, h);
	errors = batch_xfer(hfd, &b);
	close(hfd);
	return errors;
}

static int nsadd(const char *prefix, int n)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	run_netns_shared();
	for (int i = 0; i < n; i++)
		netns_add_here(name_of(prefix, i));
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back");
	return 0;
}

static int nsdel(const char *prefix, int n)
{
	for (int i = 0; i < n; i++)
		netns_del(name_of(prefix, i));
	return 0;
}

int main(int argc, char **argv)
{
	struct mark a, b;
	int errors;
	if (argc < 4) {
		fprintf(stderr, "usage: w1 attach|teardown HOSTNS PREFIX N | nsadd|nsdel PREFIX N\n");
		return 2;
	}
	raise_nofile();
	mark_now(&a);
	if (!strcmp(argv[1], "attach") && argc == 5)
		errors = attach(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(argv[1], "teardown") && argc == 5)
		errors = teardown(argv[2], argv[3], atoi(argv[4]));
	else if (!strcmp(argv[1], "nsadd"))
		errors = nsadd(argv[2], atoi(argv[3]));
	else if (!strcmp(argv[1], "nsdel"))
		errors = nsdel(argv[2], atoi(argv[3]));
	else
		return 2;
	mark_now(&b);
	printf("{");
	mark_print("run", &a, &b, 0);
	printf("\"errors\": %d}\n", errors);
	return errors ? 1 : 0;
}
