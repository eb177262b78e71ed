/* w4: the C floor for W4 (NAT): one nfnetlink transaction (BATCH_BEGIN ... BATCH_END) in one
 * sendmsg on one NETLINK_NETFILTER socket opened in the host namespace (before the clock starts).
 *
 *   w4 HOSTNS_PATH rules|map N acks|endack|noack [DUMP_FILE]
 *
 * Ruleset shapes (table ip pnlb_nat, masquerade for 172.17.0.0/16 leaving by any interface but
 * br0, container i = 172.17.x.y with x.y = i + 2, as benchmarks/impl/base.py ctr_ip):
 *
 *   rules  one rule per port, what `nft -f` and pynetlink's Nftables.apply of W4 send:
 *          NEWTABLE, NEWCHAIN postrouting (nat, prio 100), NEWCHAIN prerouting (nat, prio -100),
 *          NEWRULE `ip saddr 172.17.0.0/16 oifname != "br0" masquerade`,
 *          N x NEWRULE `tcp dport 8000+i dnat to 172.17.x.y:80`
 *   map    what pynetlink's DockerNat ends up with after masquerade() + publish() of N ports:
 *          NEWTABLE, 4 NEWSET (maps published_v4, published_v4_addr, sets remote_only_v4,
 *          remote_only_v4_addr), 3 NEWCHAIN (POSTROUTING, PREROUTING, OUTPUT), the 4 fixed map
 *          rules (PREROUTING/OUTPUT `fib daddr type local ... dnat ip to ... map
 *          @published_v4[_addr]`, OUTPUT's `!= @remote_only_v4[_addr]` too), the masquerade
 *          rule (with DockerNat's comments as NFTA_RULE_USERDATA), one NEWSETELEM with the N
 *          elements `tcp . 8000+i : 172.17.x.y . 80` (NLM_F_EXCL as DockerNat). All in ONE
 *          transaction (DockerNat needs a structure check and two; the floor does not).
 *
 * The bytes of every member are pynetlink's (checked with DUMP_FILE against a capture, seq
 * numbers aside). Acknowledgement modes:
 *   acks    NLM_F_ACK on every member (pynetlink's protocol): N+3 (rules) acks read back
 *   endack  NLM_F_ACK on BATCH_END only (kernel >= 6.5 acks batch messages): one ack proves
 *           the batch was processed; a failing member's error arrives before it
 *   noack   no NLM_F_ACK anywhere (nft's protocol): nfnetlink runs the whole batch inside our
 *           sendmsg, so any error is already queued when it returns; one non-blocking recv
 *           (EAGAIN = success) checks it
 */
#include "nl.h"
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>

#define TABLE "pnlb_nat"
#define NEST(t) ((uint16_t)((t) | NLA_F_NESTED))
#define NFT(m) ((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (m)))

static uint16_t ackf;                      /* NLM_F_ACK or 0 for the members */
static uint16_t excl;                      /* map: NLM_F_EXCL on the table, sets and chains (DockerNat's
					      first transaction makes its table exclusively) */

static int nfnl_open_in(const char *path)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	int fd, one = 1, rcv = 4 << 20, snd = 4 << 20;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 10 };
	if (self < 0 || ns < 0)
		die(path);
	if (setns(ns, CLONE_NEWNET) < 0)
		die("setns");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		die("socket");
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back");
	close(self);
	close(ns);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	return fd;
}

/* ---- nf_tables attribute helpers ---------------------------------------------------------- */
static void be32(struct nlmsghdr *h, uint16_t t, uint32_t v) { attr_u32(h, t, htonl(v)); }
static struct nlattr *nest(struct nlmsghdr *h, uint16_t t) { return nest_start(h, NEST(t)); }

static struct nlmsghdr *nft_msg(struct batch *b, uint16_t type, uint16_t flags)
{
	struct nfgenmsg g = { .nfgen_family = NFPROTO_IPV4, .version = NFNETLINK_V0, .res_id = 0 };
	return msg_start(b, NFT(type), NLM_F_REQUEST | flags, &g, sizeof(g));
}

static void batch_mark(struct batch *b, uint16_t type, uint16_t flags)
{
	struct nfgenmsg g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0,
			      .res_id = htons(NFNL_SUBSYS_NFTABLES) };
	struct nlmsghdr *h = msg_start(b, type, NLM_F_REQUEST | flags, &g, sizeof(g));
	msg_end(b, h);
}

/* NFTA_LIST_ELEM { NFTA_EXPR_NAME name, NFTA_EXPR_DATA { ... } }: open, caller closes both */
static struct nlattr *expr_open(struct nlmsghdr *h, const char *name, struct nlattr **data)
{
	struct nlattr *e = nest(h, NFTA_LIST_ELEM);
	attr_str(h, NFTA_EXPR_NAME, name);
	*data = nest(h, NFTA_EXPR_DATA);
	return e;
}

static void expr_close(struct nlmsghdr *h, struct nlattr *e, struct nlattr *d)
{
	nest_end(h, d);
	nest_end(h, e);
}

static void data_value(struct nlmsghdr *h, uint16_t t, const void *v, uint16_t len)
{
	struct nlattr *n = nest(h, t);
	attr_put(h, NFTA_DATA_VALUE, v, len);
	nest_end(h, n);
}

static void e_payload(struct nlmsghdr *h, uint32_t dreg, uint32_t base, uint32_t off, uint32_t len)
{
	struct nlattr *d, *e = expr_open(h, "payload", &d);
	be32(h, NFTA_PAYLOAD_DREG, dreg);
	be32(h, NFTA_PAYLOAD_BASE, base);
	be32(h, NFTA_PAYLOAD_OFFSET, off);
	be32(h, NFTA_PAYLOAD_LEN, len);
	expr_close(h, e, d);
}

static void e_meta(struct nlmsghdr *h, uint32_t key, uint32_t dreg)
{
	struct nlattr *d, *e = expr_open(h, "meta", &d);
	be32(h, NFTA_META_KEY, key);
	be32(h, NFTA_META_DREG, dreg);
	expr_close(h, e, d);
}

static void e_cmp(struct nlmsghdr *h, uint32_t op, const void *v, uint16_t len)
{
	struct nlattr *d, *e = expr_open(h, "cmp", &d);
	be32(h, NFTA_CMP_SREG, NFT_REG_1);
	be32(h, NFTA_CMP_OP, op);
	data_value(h, NFTA_CMP_DATA, v, len);
	expr_close(h, e, d);
}

static void e_immediate(struct nlmsghdr *h, uint32_t dreg, const void *v, uint16_t len)
{
	struct nlattr *d, *e = expr_open(h, "immediate", &d);
	be32(h, NFTA_IMMEDIATE_DREG, dreg);
	data_value(h, NFTA_IMMEDIATE_DATA, v, len);
	expr_close(h, e, d);
}

/* lookup of reg 1 in set; inverted ("!= @set") with flags = NFT_LOOKUP_F_INV */
static void e_lookup(struct nlmsghdr *h, const char *set, int inv)
{
	struct nlattr *d, *e = expr_open(h, "lookup", &d);
	be32(h, NFTA_LOOKUP_SREG, NFT_REG_1);
	if (inv) {
		attr_str(h, NFTA_LOOKUP_SET, set);
		be32(h, NFTA_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	} else {
		be32(h, NFTA_LOOKUP_DREG, NFT_REG_1);
		attr_str(h, NFTA_LOOKUP_SET, set);
	}
	expr_close(h, e, d);
}

/* dnat: address in reg 1, port in reg 2 (a map's data lands in reg 1 and 32-bit reg 9) */
static void e_dnat(struct nlmsghdr *h, uint32_t proto_reg, int flags)
{
	struct nlattr *d, *e = expr_open(h, "nat", &d);
	be32(h, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	be32(h, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	be32(h, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	be32(h, NFTA_NAT_REG_PROTO_MIN, proto_reg);
	if (flags)
		be32(h, NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	expr_close(h, e, d);
}

/* ---- objects ------------------------------------------------------------------------------- */
static void add_table(struct batch *b)
{
	struct nlmsghdr *h = nft_msg(b, NFT_MSG_NEWTABLE, ackf | excl);
	attr_str(h, NFTA_TABLE_NAME, TABLE);
	be32(h, NFTA_TABLE_FLAGS, 0);
	msg_end(b, h);
}

static void add_chain(struct batch *b, const char *name, uint32_t hook, int32_t prio)
{
	struct nlmsghdr *h = nft_msg(b, NFT_MSG_NEWCHAIN, ackf | NLM_F_CREATE | excl);
	struct nlattr *n;
	attr_str(h, NFTA_CHAIN_TABLE, TABLE);
	attr_str(h, NFTA_CHAIN_NAME, name);
	attr_str(h, NFTA_CHAIN_TYPE, "nat");
	n = nest(h, NFTA_CHAIN_HOOK);
	be32(h, NFTA_HOOK_HOOKNUM, hook);
	be32(h, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	nest_end(h, n);
	msg_end(b, h);
}

/* NFTA_RULE_USERDATA as nft writes a comment: TLV type 0 (NFTNL_UDATA_RULE_COMMENT), len, text\0 */
static void rule_comment(struct nlmsghdr *h, const char *c)
{
	uint8_t ud[256];
	size_t n = strlen(c) + 1;
	ud[0] = 0;
	ud[1] = (uint8_t)n;
	memcpy(ud + 2, c, n);
	attr_put(h, NFTA_RULE_USERDATA, ud, (uint16_t)(n + 2));
}

static struct nlmsghdr *rule_start(struct batch *b, const char *chain, const char *comment,
				   struct nlattr **exprs)
{
	struct nlmsghdr *h = nft_msg(b, NFT_MSG_NEWRULE, ackf | NLM_F_CREATE | NLM_F_APPEND);
	attr_str(h, NFTA_RULE_TABLE, TABLE);
	attr_str(h, NFTA_RULE_CHAIN, chain);
	if (comment)
		rule_comment(h, comment);
	*exprs = nest(h, NFTA_RULE_EXPRESSIONS);
	return h;
}

static void rule_end(struct batch *b, struct nlmsghdr *h, struct nlattr *exprs)
{
	nest_end(h, exprs);
	msg_end(b, h);
}

/* ip saddr 172.17.0.0/16 oifname != "br0" masquerade */
static void rule_masquerade(struct batch *b, const char *chain, const char *comment)
{
	static const uint8_t net[2] = { 172, 17 };
	char ifname[16] = "br0";
	struct nlattr *x, *d, *e;
	struct nlmsghdr *h = rule_start(b, chain, comment, &x);
	e_payload(h, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, 12, 2);
	e_cmp(h, NFT_CMP_EQ, net, 2);
	e_meta(h, NFT_META_OIFNAME, NFT_REG_1);
	e_cmp(h, NFT_CMP_NEQ, ifname, 16);
	e = expr_open(h, "masq", &d);
	expr_close(h, e, d);
	rule_end(b, h, x);
}

static void ctr_addr(int i, uint8_t a[4])
{
	int v = i + 2;
	a[0] = 172, a[1] = 17, a[2] = (uint8_t)(v >> 8), a[3] = (uint8_t)(v & 255);
}

/* tcp dport 8000+i dnat to 172.17.x.y:80 */
static void rule_dnat(struct batch *b, int i)
{
	uint8_t proto = IPPROTO_TCP, addr[4];
	uint16_t port = htons((uint16_t)(8000 + i)), to = htons(80);
	struct nlattr *x;
	struct nlmsghdr *h = rule_start(b, "prerouting", NULL, &x);
	ctr_addr(i, addr);
	e_meta(h, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp(h, NFT_CMP_EQ, &proto, 1);
	e_payload(h, NFT_REG_1, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(h, NFT_CMP_EQ, &port, 2);
	e_immediate(h, NFT_REG_1, addr, 4);
	e_immediate(h, NFT_REG_2, &to, 2);
	e_dnat(h, NFT_REG_2, 1);
	rule_end(b, h, x);
}

/* NEWSET; key/data types as nft: 6 bits per member (inet_proto 12, inet_service 13,
 * ipv4_addr 7); udata: key byte order (host for proto) as pynetlink/nft write it */
static void add_set(struct batch *b, const char *name, int map, uint32_t ktype, uint32_t klen,
		    uint32_t id)
{
	static const uint8_t ud_map[12] = { 0, 4, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0 };
	struct nlmsghdr *h = nft_msg(b, NFT_MSG_NEWSET, ackf | NLM_F_CREATE | excl);
	attr_str(h, NFTA_SET_TABLE, TABLE);
	attr_str(h, NFTA_SET_NAME, name);
	if (map)
		be32(h, NFTA_SET_FLAGS, NFT_SET_MAP);
	be32(h, NFTA_SET_KEY_TYPE, ktype);
	be32(h, NFTA_SET_KEY_LEN, klen);
	if (map) {
		be32(h, NFTA_SET_DATA_TYPE, (7u << 6) | 13u);     /* ipv4_addr . inet_service */
		be32(h, NFTA_SET_DATA_LEN, 8);
	}
	be32(h, NFTA_SET_ID, id);
	attr_put(h, NFTA_SET_USERDATA, ud_map, map ? 12 : 6);
	msg_end(b, h);
}

/* fib daddr type local [daddr .] l4proto . th dport [!= @remote] dnat ip to ... map @pub
 * (DockerNat publishes to the host's own addresses only: the fib gate in both chains) */
static void rule_map(struct batch *b, const char *chain, const char *comment, int local, int addr,
		     const char *remote, const char *pub)
{
	struct nlattr *x;
	struct nlmsghdr *h = rule_start(b, chain, comment, &x);
	{
		uint32_t type = RTN_LOCAL;
		struct nlattr *d, *e = expr_open(h, "fib", &d);
		be32(h, NFTA_FIB_DREG, NFT_REG_1);
		be32(h, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		be32(h, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
		expr_close(h, e, d);
		e_cmp(h, NFT_CMP_EQ, &type, 4);
	}
	for (int pass = 0; pass < (local ? 2 : 1); pass++) {
		uint32_t reg = NFT_REG32_00;
		if (addr) {
			e_payload(h, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
			reg = NFT_REG32_00 + 1;
		} else {
			reg = NFT_REG_1;
		}
		e_meta(h, NFT_META_L4PROTO, reg);
		e_payload(h, reg == NFT_REG_1 ? NFT_REG32_00 + 1 : reg + 1, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
		if (local && pass == 0)
			e_lookup(h, remote, 1);
		else
			e_lookup(h, pub, 0);
	}
	e_dnat(h, NFT_REG32_00 + 1, 0);
	rule_end(b, h, x);
}

/* one NEWSETELEM with n elements tcp . 8000+i : 172.17.x.y . 80 */
static void add_elements(struct batch *b, int n)
{
	struct nlmsghdr *h = nft_msg(b, NFT_MSG_NEWSETELEM, ackf | NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *list;
	attr_str(h, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	attr_str(h, NFTA_SET_ELEM_LIST_SET, "published_v4");
	list = nest(h, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (int i = 0; i < n; i++) {
		uint8_t key[8] = { IPPROTO_TCP, 0, 0, 0, (uint8_t)((8000 + i) >> 8), (uint8_t)(8000 + i), 0, 0 };
		uint8_t val[8] = { 0, 0, 0, 0, 0, 80, 0, 0 };
		struct nlattr *el = nest(h, NFTA_LIST_ELEM);
		ctr_addr(i, val);
		data_value(h, NFTA_SET_ELEM_KEY, key, 8);
		data_value(h, NFTA_SET_ELEM_DATA, val, 8);
		nest_end(h, el);
	}
	nest_end(h, list);
	msg_end(b, h);
}

static void build(struct batch *b, int map, int n, uint16_t endflags)
{
	excl = map ? NLM_F_EXCL : 0;
	batch_mark(b, NFNL_MSG_BATCH_BEGIN, 0);
	add_table(b);
	if (!map) {
		add_chain(b, "postrouting", NF_INET_POST_ROUTING, 100);
		add_chain(b, "prerouting", NF_INET_PRE_ROUTING, -100);
		rule_masquerade(b, "postrouting", NULL);
		for (int i = 0; i < n; i++)
			rule_dnat(b, i);
	} else {
		uint32_t pp = (12u << 6) | 13u, app = (7u << 12) | pp;   /* proto.port, addr.proto.port */
		add_set(b, "published_v4", 1, pp, 8, 2);
		add_set(b, "published_v4_addr", 1, app, 12, 3);
		add_set(b, "remote_only_v4", 0, pp, 8, 4);
		add_set(b, "remote_only_v4_addr", 0, app, 12, 5);
		add_chain(b, "POSTROUTING", NF_INET_POST_ROUTING, 100);
		add_chain(b, "PREROUTING", NF_INET_PRE_ROUTING, -100);
		add_chain(b, "OUTPUT", NF_INET_LOCAL_OUT, -100);
		rule_map(b, "PREROUTING", "pynetlink publish in v4 by address", 0, 1, NULL, "published_v4_addr");
		rule_map(b, "PREROUTING", "pynetlink publish in v4", 0, 0, NULL, "published_v4");
		rule_map(b, "OUTPUT", "pynetlink publish local v4 by address", 1, 1, "remote_only_v4_addr",
			 "published_v4_addr");
		rule_map(b, "OUTPUT", "pynetlink publish local v4", 1, 0, "remote_only_v4", "published_v4");
		rule_masquerade(b, "POSTROUTING", "pynetlink masquerade 172.17.0.0/16 !br0");
		add_elements(b, n);
	}
	batch_mark(b, NFNL_MSG_BATCH_END, endflags);
}

int main(int argc, char **argv)
{
	struct mark a, z;
	struct batch q;
	int fd = -1, n, map, errors = 0, acks = 0;
	uint16_t endflags = 0;
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: w4 HOSTNS rules|map N acks|endack|noack [DUMP_FILE]\n");
		return 2;
	}
	map = !strcmp(argv[2], "map");
	n = atoi(argv[3]);
	if (!strcmp(argv[4], "acks"))
		ackf = NLM_F_ACK;
	else if (!strcmp(argv[4], "endack"))
		endflags = NLM_F_ACK;
	else if (strcmp(argv[4], "noack"))
		return fprintf(stderr, "w4: mode %s?\n", argv[4]), 2;
	batch_init(&q, (size_t)n * 512 + 65536, (uint32_t)n + 32);
	if (argc == 6) {                        /* write the batch, send nothing */
		FILE *f = fopen(argv[5], "wb");
		build(&q, map, n, endflags);
		if (!f || fwrite(q.buf, 1, q.len, f) != q.len)
			die(argv[5]);
		fclose(f);
		return 0;
	}
	fd = nfnl_open_in(argv[1]);
	mark_now(&a);
	build(&q, map, n, endflags);
	send_all(fd, q.buf, q.len);
	if (ackf) {                             /* every member but BEGIN/END */
		acks = (int)q.n - 2;
		errors = collect_acks(fd, (uint32_t)acks);
	} else if (endflags) {
		acks = 1;
		errors = collect_acks(fd, 1);
	} else {
		ssize_t r = recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		if (r > 0) {
			for (struct nlmsghdr *h = (struct nlmsghdr *)rxbuf; NLMSG_OK(h, (size_t)r);
			     h = NLMSG_NEXT(h, r))
				if (h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *)NLMSG_DATA(h))->error) {
					fprintf(stderr, "w4: member seq %u: %s\n", h->nlmsg_seq,
						strerror(-((struct nlmsgerr *)NLMSG_DATA(h))->error));
					errors++;
				}
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			die("recv");
		}
	}
	mark_now(&z);
	printf("{");
	mark_print("run", &a, &z, 0);
	printf("\"messages\": %u, \"bytes\": %zu, \"acks\": %d, \"errors\": %d}\n", q.n, q.len, acks,
	       errors);
	return errors ? 1 : 0;
}
