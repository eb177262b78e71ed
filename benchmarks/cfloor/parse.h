/* parse.h: decoding links, addresses and routes into C structs (the C floor of W2/W3). */
#ifndef CFLOOR_PARSE_H
#define CFLOOR_PARSE_H
#include "nl.h"

struct link { int index; unsigned flags, mtu, master, operstate; char name[IFNAMSIZ], kind[16];
	      uint8_t mac[6]; };
struct addr { int index; uint8_t family, plen, scope; uint8_t addr[16], local[16];
	      char label[IFNAMSIZ]; };
struct route { uint8_t family, dst_len, table, protocol, scope, type; uint32_t table32, oif,
	       priority; uint8_t dst[16], gateway[16]; };

static void cpy(void *dst, size_t cap, const struct nlattr *a)
{
	size_t n = a->nla_len - NLA_HDRLEN;
	memcpy(dst, (const uint8_t *)a + NLA_HDRLEN, n < cap ? n : cap);
}

static uint32_t u32(const struct nlattr *a) { uint32_t v; memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, 4); return v; }

#define FOR_ATTR(a, start, len) \
	for (const struct nlattr *a = (const struct nlattr *)(start); \
	     (len) >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= (len); \
	     (len) -= NLA_ALIGN(a->nla_len), a = (const struct nlattr *)((const uint8_t *)a + NLA_ALIGN(a->nla_len)))

static int parse_link(const struct nlmsghdr *h, struct link *o)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	memset(o, 0, sizeof(*o));
	o->index = ifi->ifi_index;
	o->flags = ifi->ifi_flags;
	FOR_ATTR(a, IFLA_RTA(ifi), len) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME: cpy(o->name, sizeof(o->name) - 1, a); break;
		case IFLA_MTU: o->mtu = u32(a); break;
		case IFLA_MASTER: o->master = u32(a); break;
		case IFLA_OPERSTATE: o->operstate = *((const uint8_t *)a + NLA_HDRLEN); break;
		case IFLA_ADDRESS: cpy(o->mac, 6, a); break;
		case IFLA_LINKINFO: {
			int l2 = a->nla_len - NLA_HDRLEN;
			FOR_ATTR(b, (const uint8_t *)a + NLA_HDRLEN, l2)
				if ((b->nla_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
					cpy(o->kind, sizeof(o->kind) - 1, b);
			break;
		}
		}
	}
	return o->index + (int)o->mtu + o->name[0] + o->kind[0];
}

static int parse_addr(const struct nlmsghdr *h, struct addr *o)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa));
	memset(o, 0, sizeof(*o));
	o->index = (int)ifa->ifa_index;
	o->family = ifa->ifa_family;
	o->plen = ifa->ifa_prefixlen;
	o->scope = ifa->ifa_scope;
	FOR_ATTR(a, IFA_RTA(ifa), len) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case IFA_ADDRESS: cpy(o->addr, 16, a); break;
		case IFA_LOCAL: cpy(o->local, 16, a); break;
		case IFA_LABEL: cpy(o->label, sizeof(o->label) - 1, a); break;
		}
	}
	return o->index + o->plen + o->local[3];
}

static int parse_route(const struct nlmsghdr *h, struct route *o)
{
	const struct rtmsg *r = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*r));
	memset(o, 0, sizeof(*o));
	o->family = r->rtm_family;
	o->dst_len = r->rtm_dst_len;
	o->table = r->rtm_table;
	o->protocol = r->rtm_protocol;
	o->scope = r->rtm_scope;
	o->type = r->rtm_type;
	FOR_ATTR(a, RTM_RTA(r), len) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case RTA_DST: cpy(o->dst, 16, a); break;
		case RTA_GATEWAY: cpy(o->gateway, 16, a); break;
		case RTA_OIF: o->oif = u32(a); break;
		case RTA_TABLE: o->table32 = u32(a); break;
		case RTA_PRIORITY: o->priority = u32(a); break;
		}
	}
	return (int)o->oif + o->dst_len + o->dst[3];
}

#endif
