/* w3: the C floor for W3 (codec only, no kernel): ns per message, amortized over a batch.
 *
 *   w3 encode N REPS     N veth-create messages (W1's host message: name, master, up, peer eth0
 *                        with ifindex and netns fd) into one buffer, REPS times
 *   w3 decode FILE REPS  decode a captured link dump (every message into a struct link), REPS times
 */
#include "parse.h"

static struct link out[200000];

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t encode(struct batch *b, int n)
{
	struct ifinfomsg up = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	batch_reset(b);
	for (int i = 0; i < n; i++) {
		char ifname[IFNAMSIZ];
		struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC, .ifi_index = 2 };
		struct nlmsghdr *h = msg_start(b, RTM_NEWLINK,
					       NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
					       &up, sizeof(up));
		struct nlattr *li, *data, *peer;
		snprintf(ifname, sizeof(ifname), "veth%07x", i);
		attr_str(h, IFLA_IFNAME, ifname);
		attr_u32(h, IFLA_MASTER, 2);
		li = nest_start(h, IFLA_LINKINFO);
		attr_str(h, IFLA_INFO_KIND, "veth");
		data = nest_start(h, IFLA_INFO_DATA);
		peer = attr_put(h, VETH_INFO_PEER, &pifi, sizeof(pifi));
		attr_str(h, IFLA_IFNAME, "eth0");
		attr_u32(h, IFLA_NET_NS_FD, (uint32_t)(100 + i));
		nest_end(h, peer);
		nest_end(h, data);
		nest_end(h, li);
		msg_end(b, h);
	}
	return b->len;
}

int main(int argc, char **argv)
{
	int reps;
	long check = 0;
	double t0, t1;
	if (argc == 4 && !strcmp(argv[1], "encode")) {
		int n = atoi(argv[2]);
		struct batch b;
		reps = atoi(argv[3]);
		batch_init(&b, (size_t)n * 256 + 4096, (uint32_t)n);
		encode(&b, n);
		t0 = now();
		for (int r = 0; r < reps; r++)
			check += (long)encode(&b, n) + b.buf[r % b.len];
		t1 = now();
		printf("{\"ns_per_msg\": %.2f, \"messages\": %d, \"bytes\": %zu, \"check\": %ld}\n",
		       (t1 - t0) * 1e9 / ((double)n * reps), n, b.len, check);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "decode")) {
		FILE *f = fopen(argv[2], "rb");
		static uint8_t data[64 << 20];
		size_t len;
		int count = 0;
		if (!f)
			die(argv[2]);
		len = fread(data, 1, sizeof(data), f);
		fclose(f);
		reps = atoi(argv[3]);
		t0 = now();
		for (int r = 0; r < reps; r++) {
			size_t left = len;
			count = 0;
			for (struct nlmsghdr *h = (struct nlmsghdr *)data; NLMSG_OK(h, left);
			     h = NLMSG_NEXT(h, left))
				if (h->nlmsg_type == RTM_NEWLINK)
					check += parse_link(h, &out[count++]);
		}
		t1 = now();
		printf("{\"ns_per_msg\": %.2f, \"messages\": %d, \"check\": %ld}\n",
		       (t1 - t0) * 1e9 / ((double)count * reps), count, check);
		return 0;
	}
	fprintf(stderr, "usage: w3 encode N REPS | decode FILE REPS\n");
	return 2;
}
