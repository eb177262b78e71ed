/* w2: the C floor for W2: one dump, every object decoded into a struct (its main fields).
 *
 *   w2 links|addrs|routes HOSTNS_PATH
 *
 * Prints {"run": {...}, "count": objects, "check": a sum over the fields, so nothing is elided}.
 */
#include "parse.h"

#define MAXOBJ 200000
static struct link links[MAXOBJ];
static struct addr addrs[MAXOBJ];
static struct route routes[MAXOBJ];

int main(int argc, char **argv)
{
	struct mark a, b;
	long check = 0;
	int count = 0, fd, done = 0;
	uint16_t type;
	struct batch q;
	struct nlmsghdr *h;
	if (argc != 3) {
		fprintf(stderr, "usage: w2 links|addrs|routes HOSTNS\n");
		return 2;
	}
	fd = nl_open_in(argv[2]);
	batch_init(&q, 4096, 1);
	mark_now(&a);
	if (!strcmp(argv[1], "links")) {
		struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
		h = msg_start(&q, type = RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, &ifi, sizeof(ifi));
	} else if (!strcmp(argv[1], "addrs")) {
		struct ifaddrmsg ifa = { .ifa_family = AF_INET };
		h = msg_start(&q, type = RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, &ifa, sizeof(ifa));
	} else {
		struct rtmsg rtm = { .rtm_family = AF_INET };
		h = msg_start(&q, type = RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &rtm, sizeof(rtm));
	}
	msg_end(&q, h);
	send_all(fd, q.buf, q.len);
	while (!done) {
		ssize_t n = recv(fd, rxbuf, sizeof(rxbuf), 0);
		if (n < 0)
			die("recv");
		for (struct nlmsghdr *r = (struct nlmsghdr *)rxbuf; NLMSG_OK(r, (size_t)n);
		     r = NLMSG_NEXT(r, n)) {
			if (r->nlmsg_type == NLMSG_DONE) { done = 1; break; }
			if (r->nlmsg_type == NLMSG_ERROR) { fprintf(stderr, "cfloor: dump error\n"); return 1; }
			if (count >= MAXOBJ)
				continue;
			if (type == RTM_GETLINK)
				check += parse_link(r, &links[count++]);
			else if (type == RTM_GETADDR)
				check += parse_addr(r, &addrs[count++]);
			else
				check += parse_route(r, &routes[count++]);
		}
	}
	mark_now(&b);
	printf("{");
	mark_print("run", &a, &b, 0);
	printf("\"count\": %d, \"check\": %ld}\n", count, check);
	return 0;
}
