/* w5: the C floor for W5: N routes 172.17.x.y/32 via 198.51.100.2 into table 100, pipelined.
 *
 *   w5 HOSTNS_PATH N       (HOSTNS has a link up with 198.51.100.1/24)
 */
#include "nl.h"

int main(int argc, char **argv)
{
	struct mark a, b;
	struct batch q;
	int fd, n, errors;
	uint32_t gw = htonl((198u << 24) | (51u << 16) | (100u << 8) | 2u);
	if (argc != 3) {
		fprintf(stderr, "usage: w5 HOSTNS N\n");
		return 2;
	}
	fd = nl_open_in(argv[1]);
	n = atoi(argv[2]);
	batch_init(&q, (size_t)n * 64 + 4096, (uint32_t)n);
	mark_now(&a);
	for (int i = 0; i < n; i++) {
		struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32, .rtm_table = 100,
				     .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
				     .rtm_type = RTN_UNICAST };
		uint32_t dst = htonl((172u << 24) | (17u << 16) | (uint32_t)(i + 1));
		struct nlmsghdr *h = msg_start(&q, RTM_NEWROUTE,
					       NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
					       &rtm, sizeof(rtm));
		attr_put(h, RTA_DST, &dst, 4);
		attr_put(h, RTA_GATEWAY, &gw, 4);
		msg_end(&q, h);
	}
	errors = batch_xfer(fd, &q);
	mark_now(&b);
	printf("{");
	mark_print("run", &a, &b, 0);
	printf("\"errors\": %d}\n", errors);
	return errors ? 1 : 0;
}
