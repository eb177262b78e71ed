/* pynetlink codec: the whole public C API (also the cffi cdef: keep it to plain
 * declarations and integer #defines).  Every function returns 0 (or a count) on
 * success and -errno on failure; buffers are owned by the caller. */

/* ---- encoder: one call turns a job of N request programs into N messages ---- */
#define PNL_OP_MSG    1   /* type = nlmsg_type, len = nlmsg_flags, flags = PNL_MF_* */
#define PNL_OP_FIXED  2   /* copy len bytes of the record at off (struct header)   */
#define PNL_OP_ATTR   3   /* attribute type, payload = len bytes of record at off  */
#define PNL_OP_STR    4   /* attribute type, payload = strnlen(rec+off, len) + NUL */
#define PNL_OP_VAR    5   /* attribute type, payload = u16 length at off, then bytes (max len) */
#define PNL_OP_NEST   6   /* open a nest of attribute type (type may carry NLA_F_NESTED) */
#define PNL_OP_END    7   /* close the innermost nest */

#define PNL_OPF_NONUL 1   /* PNL_OP_STR: no NUL terminator (as iproute2 sends IFLA_INFO_KIND) */
#define PNL_OPF_BE    2   /* PNL_OP_ATTR of 2, 4 or 8 bytes: write the value big endian */

#define PNL_MF_DUMP   1   /* the message starts a dump: wait for NLMSG_DONE          */
#define PNL_MF_REPLY  2   /* a reply is expected even without NLM_F_ACK              */
#define PNL_MF_QUIET  4   /* no NLM_F_ACK: only an error comes back, and it is this request's
                             own (a member of a batch whose later request is acked), not a
                             batch framing error */

#define PNL_MAX_DEPTH 16

struct pnl_op {
    uint8_t  op;
    uint8_t  flags;
    uint16_t type;
    uint16_t off;
    uint16_t len;
};

/* one entry per attribute (and fixed header) written: for extack offsets */
struct pnl_log {
    uint32_t msg;      /* message index in the batch       */
    uint32_t off;      /* offset from the message's start  */
    uint32_t op;       /* op index in that entry's program */
};

/* per request: filled by pnl_encode, completed by pnl_xfer */
#define PNL_ST_EXPECT    0x01  /* a reply (ack, data or done) is expected */
#define PNL_ST_DUMP      0x02
#define PNL_ST_DONE      0x04  /* completed: acked, errored or dump finished */
#define PNL_ST_ERROR     0x08  /* error != 0 */
#define PNL_ST_DUMP_INTR 0x10  /* NLM_F_DUMP_INTR seen on a reply */
#define PNL_ST_TIMEOUT   0x20  /* no reply before the time limit */
#define PNL_ST_SENT      0x40
#define PNL_ST_ACKREQ    0x80  /* the request carries NLM_F_ACK */
#define PNL_ST_QUIET     0x100 /* PNL_MF_QUIET: complete once sent; an error may follow */

struct pnl_status {
    int32_t  error;        /* positive errno, 0 = success            */
    uint32_t flags;        /* PNL_ST_*                               */
    uint32_t req_off;      /* request message offset in the send buffer */
    uint32_t req_len;
    uint32_t ext_offs;     /* NLMSGERR_ATTR_OFFS, 0xffffffff = none  */
    uint32_t ext_msg_off;  /* extack text in the data buffer (0 len = none) */
    uint32_t ext_msg_len;
    uint32_t n_data;       /* data messages received for this request */
};

struct pnl_enc {
    uint32_t out_len;      /* bytes written (or needed, on -ENOSPC) */
    uint32_t n_msgs;
    uint32_t n_log;        /* log entries written (or needed)       */
    uint32_t err_entry;    /* on -EINVAL: the entry and op at fault */
    uint32_t err_op;
};

/* job = entries of [u32 n_ops][u32 rec_len][n_ops * struct pnl_op][record, padded to 4];
 * n_ops | PNL_JOB_ROWS: a rows entry, one program filled with N values, followed by
 * [u32 n_rows][u32 n_patch][n_patch * {u16 record offset, u16 length}][n_rows rows of the
 * lengths summed, padded to 4]: n_rows messages, message k the record with row k copied over
 * the patched ranges (every offset and length checked; -ENOMEM if a scratch record fails) */
#define PNL_JOB_ROWS 0x80000000
/* PNL_JOB_RAW (| PNL_JOB_QUIET) in place of n_ops: a raw entry, [u32 PNL_JOB_RAW...][u32 len] then
 * len bytes (padded to 4) of netlink messages already encoded, back to back at 4-byte boundaries:
 * each copied with its sequence number set (every nlmsg_len checked against len); one without
 * NLM_F_ACK is complete once sent (PNL_ST_QUIET); PNL_JOB_QUIET clears NLM_F_ACK on all of them.
 * No field log: an extended ack's offset names no field in them. */
#define PNL_JOB_RAW 0x40000000
#define PNL_JOB_QUIET 0x20000000
int pnl_encode(const uint8_t *job, size_t job_len, uint32_t seq_first,
               uint8_t *out, size_t out_cap,
               struct pnl_status *st, uint32_t st_cap,
               struct pnl_log *log, uint32_t log_cap,
               struct pnl_enc *res);

/* ---- transfer: send a batch, collect every reply for its sequence range ---- */
#define PNL_XF_ONESHOT   1    /* the whole buffer in one sendmsg (nfnetlink transactions) */
#define PNL_XF_NEED_SPACE 1   /* return value: grow data, call again with the same state  */
#define PNL_RECV_MIN 65536    /* free data space required before each receive             */

struct pnl_xfer {
    uint8_t  *data;        /* receive area (caller-owned): kept replies, back to back */
    uint32_t data_cap;
    uint32_t data_len;
    uint32_t chunk_msgs;   /* at most this many requests per sendmsg (0 = 64)   */
    uint32_t chunk_bytes;  /* at most this many bytes per sendmsg (0 = 65536)  */
    int32_t  timeout_ms;   /* longest wait for one reply                       */
    uint32_t flags;        /* PNL_XF_*                                          */
    /* state, zero before the first call */
    uint32_t next_req;     /* first request not yet sent */
    uint32_t first_open;   /* first request sent but maybe not complete */
    uint32_t n_sendmsg;
    uint32_t n_recvmsg;
};

int pnl_xfer(int fd, const uint8_t *req, size_t req_len, uint32_t seq_first,
             struct pnl_status *st, uint32_t n, struct pnl_xfer *x);

/* pnl_xfer_each: one encoded batch spread over k sockets: socket j sends requests first[j] ..
 * first[j+1] - 1 (first[0] = 0, first[k] = n; each socket's sequence numbers are those of its
 * requests) and collects their replies, as pnl_xfer, one socket after the other, the replies
 * kept back to back in x's one area. *at: the socket to go on with (0 at first). Returns 0
 * when every socket is done, PNL_XF_NEED_SPACE (grow data, call again with the same state), or
 * the -errno of socket *at (the later ones are not sent). */
int pnl_xfer_each(const int32_t *fds, const uint32_t *first, uint32_t k, const uint8_t *req,
                  size_t req_len, uint32_t seq_first, struct pnl_status *st, uint32_t n,
                  struct pnl_xfer *x, uint32_t *at);

/* the same, one step at a time (an event loop waits in between): pnl_xfer_send sends the next
 * chunk once every request sent so far is complete; the caller receives each datagram (kernel
 * sender, no MSG_TRUNC) at data + data_len and hands it to pnl_xfer_take.  Both return: */
#define PNL_XS_WAIT     0   /* replies outstanding                         */
#define PNL_XS_IDLE     1   /* everything sent is complete: send the next chunk */
#define PNL_XS_COMPLETE 2   /* every request is complete                   */
int pnl_xfer_send(int fd, const uint8_t *req, size_t req_len, uint32_t seq_first,
                  struct pnl_status *st, uint32_t n, struct pnl_xfer *x);
int pnl_xfer_take(struct pnl_xfer *x, uint32_t got, uint32_t seq_first,
                  struct pnl_status *st, uint32_t n);
/* pnl_xfer_recv: receive and take this batch's datagrams until it must wait (PNL_XS_*), or: */
#define PNL_XS_OTHER    3   /* buf holds a datagram (*pending bytes) for the caller to route   */
#define PNL_XS_GROW     4   /* the kept replies (*pending bytes) are at x->data == buf: copy out */
#define PNL_XS_MORE     5   /* max_reads datagrams taken: more may be queued                   */
int pnl_xfer_recv(int fd, uint8_t *buf, uint32_t cap, uint32_t *pending, uint32_t max_reads,
                  uint32_t seq_first, struct pnl_status *st, uint32_t n, struct pnl_xfer *x);

/* ---- decoder: one call turns a receive buffer into a flat row table ----
 * schema (u32 words): magic, n_msgs, n_sets, n_sels;
 *   n_msgs x {nlmsg_type, fixed header length, root set, 0};
 *   n_sets x word offset of a set;  n_sels x word offset of a selector;
 *   set:      max_type, then (max_type + 1) x {kind | aflags << 8 | size << 16, child | extra << 16}
 *   selector: n, then n x {set, nbytes, string bytes padded to 4}                      */
#define PNL_SCHEMA_MAGIC 0x534c4e50
#define PNL_INDEX_MAX 67108864  /* most index entries one buffer may need (256 MiB): -EMSGSIZE past it */
#define PNL_NO_SET 0xffffffff
#define PNL_K_RAW    0
#define PNL_K_U8     1
#define PNL_K_U16    2
#define PNL_K_U32    3
#define PNL_K_U64    4
#define PNL_K_STR    5
#define PNL_K_NEST   6   /* child = attribute set */
#define PNL_K_ARRAY  7   /* nested array: each child is a nest of set `child` */
#define PNL_K_SUB    8   /* sub-message: set chosen by sibling string `extra` via selector `child` */
#define PNL_K_HNEST  9   /* nest that starts with an `extra`-byte fixed header (VETH_INFO_PEER) */
#define PNL_K_FLAG   10
#define PNL_K_S32    11

#define PNL_AF_BE    1   /* scalar is big endian (nftables, ports, ...) */
#define PNL_AF_UNNAMED 2 /* a gap in the set: no attribute of this number is known */

#define PNL_R_MSG     0x0001  /* row is a netlink message                  */
#define PNL_R_NESTED  0x0002  /* NLA_F_NESTED was set                      */
#define PNL_R_BADLEN  0x0004  /* shorter than its type: value not decoded  */
#define PNL_R_UNKNOWN 0x0008  /* type not in the schema: kept raw          */
#define PNL_R_CONT    0x0010  /* container: children follow, r_end skips them */
#define PNL_R_NETBYTE 0x0020  /* NLA_F_NET_BYTEORDER was set               */

/* struct-of-arrays row table; each column has room for cap rows */
struct pnl_rows {
    uint32_t *off;      /* payload offset (messages: nlmsghdr offset) */
    uint32_t *len;      /* payload length (messages: nlmsg_len)       */
    uint32_t *tf;       /* type | PNL_R_* << 16 (messages: nlmsg_type) */
    int32_t  *parent;   /* parent row, -1 for messages (NULL: not kept) */
    uint32_t *end;      /* row after this row's subtree                */
    uint32_t *set;      /* attribute set of a container's children (PNL_NO_SET for leaves) */
    uint64_t *val;      /* scalar value; messages: seq | nlmsg_flags << 32 */
    uint32_t *slot;     /* containers: index base + 1 (0 = not indexed) */
    uint32_t *index;    /* index[slot-1 + type] = first row of that type + 1 */
    uint32_t cap;
    uint32_t index_cap;
    /* results */
    uint32_t count;     /* rows written (or needed, on -ENOSPC) */
    uint32_t index_len; /* index entries used (or needed)        */
    uint32_t n_msgs;
    uint32_t err_off;   /* on -EBADMSG: byte offset of the fault  */
};

int pnl_decode(const uint8_t *buf, size_t len,
               const uint32_t *schema, size_t schema_words,
               struct pnl_rows *rows);

/* The same in one pass over a table the decoder owns and grows: rows from pnl_rows_new()
 * (every column malloc'd by the decoder, `parent` not kept: -EINVAL when set), reallocated as rows come and
 * shrunk to exactly `count` rows and `index_len` entries on success; -ENOMEM when memory ran
 * out (-EBADMSG, -EMSGSIZE, -EINVAL as pnl_decode). A caller may take a column (free it with
 * pnl_free, set the pointer to NULL); pnl_rows_free frees the rest and the struct. */
struct pnl_rows *pnl_rows_new(void);
void pnl_rows_free(struct pnl_rows *rows);
void pnl_free(void *p);
/* A blocking transfer's receive area (pynetlink._native.Transfer): allocated (p NULL) or
 * resized to n bytes keeping the first min(old, n) (realloc: extended in place or mremap'd
 * where it can, copied otherwise). NULL when out of memory (p is then untouched); free with
 * pnl_area_free. */
void *pnl_area(void *p, size_t n);
void pnl_area_free(void *p);
int pnl_decode_grow(const uint8_t *buf, size_t len,
                    const uint32_t *schema, size_t schema_words,
                    struct pnl_rows *rows);

/* ---- pluck: fixed columns for every message of one type, one call per buffer ----
 * spec (u32 words): nlmsg_type, n_cols (<= 64), hdr_len, then n_cols x {op | size << 8, arg}:
 *   PNL_P_HDR / PNL_P_HDRS: little-endian (unsigned / signed) integer of size 1, 2, 4 or 8
 *                            bytes at byte offset arg of the fixed header (NONE unless the
 *                            message holds all hdr_len bytes of it);
 *   PNL_P_U:    the decoded value of attribute arg & 0xffff (of the nested attribute
 *               (arg >> 16) - 1 inside it when arg >> 16 is set); NONE when absent or short;
 *   PNL_P_SPAN: that attribute's payload as offset << 32 | length;
 *   PNL_P_ROW:  that attribute's row;
 *   PNL_P_TYPE: the message's nlmsg_type (arg 0).
 * nlmsg_type PNL_P_ANY (0) plucks every message of a type >= NLMSG_MIN_TYPE (not
 * NLMSG_DONE / NLMSG_ERROR).
 * out: per message, its row, then one u64 per column (PNL_P_NONE = absent); returns the
 * number of messages, -ENOSPC when out_cap (u64 words) is too small, -EINVAL on a bad
 * spec or an inconsistent row table.  The first attribute of a type wins (as find()). */
#define PNL_P_HDR  1
#define PNL_P_HDRS 2
#define PNL_P_U    3
#define PNL_P_SPAN 4
#define PNL_P_ROW  5
#define PNL_P_TYPE 6
#define PNL_P_ANY  0
#define PNL_P_NONE 0xffffffffffffffff

int pnl_pluck(const uint8_t *buf, size_t buf_len, const struct pnl_rows *rows,
              const uint32_t *spec, size_t spec_words, uint64_t *out, uint32_t out_cap);

/* ---- decode + pluck in one pass, no row table kept ----
 * pnl_decode_pluck decodes the buffer as pnl_decode does (the same checks and errors, err_off
 * on -EBADMSG) one message at a time, its rows counted but not written, and reads `spec`'s
 * columns as the walk passes them (the values pnl_pluck reads from the rows): what a dump's
 * views need without the table of every row.
 * Kept per message: its row in the full table, nlmsg_type | PNL_R_* << 16, and seq | flags
 * << 32; plucked: n_out messages of out_len u64 words (rows and spans are those of the whole
 * buffer).  `count`/`index_len`: what pnl_decode would fill.  The arrays are C-allocated
 * and grown as needed; a caller may take one (pnl_free it, set the pointer to NULL):
 * pnl_lean_free frees the rest.  -ENOMEM when memory ran out. */
struct pnl_lean {
    uint32_t *msg_row;
    uint32_t *msg_tf;
    uint64_t *msg_val;
    uint64_t *out;
    uint32_t n_msgs;
    uint32_t n_out;
    uint32_t out_len;
    uint32_t count;
    uint32_t index_len;
    uint32_t err_off;
    /* private */
    uint32_t msg_cap;
    uint32_t out_cap;
    struct pnl_rows *scratch;   /* unused (NULL) */
};
struct pnl_lean *pnl_lean_new(void);
void pnl_lean_free(struct pnl_lean *lean);
int pnl_decode_pluck(const uint8_t *buf, size_t len, const uint32_t *schema, size_t schema_words,
                     const uint32_t *spec, size_t spec_words, struct pnl_lean *lean);

/* ---- address text: every address column of a plucked table as text, one call ----
 * cols: n rows of width u64 words; per row the span (offset << 32 | length, as
 * PNL_P_SPAN) in column col_a, or in col_b when col_a is PNL_P_NONE (col_b >= width: no
 * second column).  Writes, per row, the address as inet_ntop() writes it (4 bytes IPv4,
 * 16 bytes IPv6), nothing when both columns are absent, "!" for a span of another length
 * or outside the buffer, then '\n'.  Returns the bytes written, -ENOSPC when out_cap is
 * too small (PNL_IP_TEXT_MAX per row always fits), -EINVAL on bad arguments. */
#define PNL_IP_TEXT_MAX 47
int pnl_ip_text(const uint8_t *buf, size_t buf_len, const uint64_t *cols, uint32_t n,
                uint32_t width, uint32_t col_a, uint32_t col_b, char *out, size_t out_cap);

/* ---- column text: any span column of a plucked table as text, one call ----
 * As pnl_ip_text (same cols, n, width, col_a, col_b), per row in mode
 *   PNL_T_IP:  the address, as pnl_ip_text writes it;
 *   PNL_T_STR: the payload up to its first NUL (its bytes as they are);
 *   PNL_T_HEX: the payload's bytes as two lower-case hex digits each, joined by ':';
 * nothing when both columns are absent, then a NUL.  out NULL with out_cap 0 only
 * measures.  Returns the bytes written (or needed), -ENOSPC when out_cap is too small,
 * -EOVERFLOW past INT_MAX bytes, -EINVAL on bad arguments or (PNL_T_STR, PNL_T_HEX) a
 * span outside the buffer. */
#define PNL_T_IP  0
#define PNL_T_STR 1
#define PNL_T_HEX 2
int pnl_col_text(const uint8_t *buf, size_t buf_len, const uint64_t *cols, uint32_t n,
                 uint32_t width, uint32_t col_a, uint32_t col_b, uint32_t mode, char *out,
                 size_t out_cap);

/* ---- bulk helpers (csrc/bulk.c) ----
 * pnl_prefixes: n prefixes "addr[/len]" of family af (AF_INET, AF_INET6), one per line of
 * text (exactly n lines, no newline after the last), into rows of 1 + 4 (or 1 + 16) bytes:
 * the prefix length (the address length without "/len"), then the address masked to it.
 * Returns n, or the index of the first entry it cannot parse (the caller looks at that one
 * itself); -EINVAL on bad arguments (out_cap too small for n rows).
 * pnl_status_odd: the requests whose status is not plain success: error set, or the flags
 * PNL_ST_DONE | PNL_ST_DUMP_INTR not equal to `want`; their indexes (the first out_cap)
 * written to out; returns how many there are. */
int pnl_prefixes(const char *text, size_t len, int af, uint32_t n, uint8_t *out, size_t out_cap);
int pnl_status_odd(const struct pnl_status *st, uint32_t n, uint32_t want, uint32_t *out,
                   uint32_t out_cap);
/* pnl_prefix_range: n consecutive prefixes of plen bits from first (size bytes: 4 or 16, its
 * host bits clear), as pnl_prefixes' rows; returns n, -ERANGE past the last address. */
int pnl_prefix_range(const uint8_t *first, uint32_t size, uint32_t plen, uint32_t n, uint8_t *out,
                     size_t out_cap);


/* ---- port publications (csrc/ports.c) ----
 * pnl_port_rows: n rows into out, each laid out by fmt, one char per field: 'p' proto[k]
 * (1 byte), 'h' host[k] and 't' to_port[k] (2 bytes, big-endian), 'a' addr[4k..4k+3], 'z'
 * a zero byte, 'c' the next byte of consts (all of consts per row). Returns the row size;
 * -EINVAL on a bad fmt, a column fmt needs missing, consts not used exactly, or out_cap
 * too small for n rows. */
int pnl_port_rows(const char *fmt, const uint8_t *consts, size_t consts_len, uint32_t n,
                  const uint8_t *proto, const uint16_t *host, const uint8_t *addr,
                  const uint16_t *to_port, uint8_t *out, size_t out_cap);

/* ---- namespaces: the syscalls Python 3.11 lacks ---- */
int pnl_setns(int fd, int nstype);
int pnl_unshare(int flags);
int pnl_mount(const char *source, const char *target, const char *fstype,
              unsigned long flags, const char *data);
int pnl_umount2(const char *target, int flags);
/* pnl_netns_del_many: n namespace files (paths: n NUL-terminated strings within len bytes)
 * unmounted with flags, then unlinked, as pnl_umount2 + unlink each (EINVAL from umount2: not
 * mounted, unlinked all the same); errs[i]: 0 or -errno (the umount2's, else the unlink's).
 * Every path is tried. One after the other, each timed; once PNL_NETNS_DEL_WINDOW in a row
 * took slow_ns or more each, up to threads - 1 helper threads (at most
 * PNL_NETNS_DEL_THREADS_MAX - 1, started and joined inside the call) share the rest: each
 * umount2 waits for an RCU grace period, and those asked for at once are shared (threads <= 1:
 * never). Returns how many failed, -EINVAL on a malformed list, -ENOMEM. */
#define PNL_NETNS_DEL_THREADS_MAX 16
#define PNL_NETNS_DEL_WINDOW 12
int pnl_netns_del_many(const char *paths, size_t len, uint32_t n, int flags, uint32_t threads,
                       uint32_t slow_ns, int32_t *errs);
/* pnl_same_file: 1 when path (NUL-terminated) is the file (dev, ino) as stat(2) sees it, 0
 * when it is another file or no longer exists (ENOENT), else -errno: a socket's check that
 * its named namespace was not deleted or replaced, without os.stat's result object. */
int pnl_same_file(const char *path, uint64_t dev, uint64_t ino);
/* pnl_netns_make_socket: on the calling thread, the named namespace at path (its mount point
 * made with O_EXCL; an empty file there not on nsfs is taken over; on nsfs: -EEXIST),
 * unshare(CLONE_NEWNET), the thread's namespace bind-mounted there, then a bound netlink socket
 * of protocol inside it (extended acks, capped acks, strict checking where the kernel has them;
 * SO_RCVBUFFORCE/SO_SNDBUFFORCE, else the plain options). Returns the socket's fd, with
 * out[0] = its SO_SNDBUF, out[1], out[2] = the mount's st_dev, st_ino; or -errno with out[0] =
 * the PNL_NS_STEP_* that failed, everything made undone (the mount point unmounted and
 * removed; the thread stays in the namespace it unshared, if it did). */
#define PNL_NS_STEP_FILE 1
#define PNL_NS_STEP_UNSHARE 2
#define PNL_NS_STEP_MOUNT 3
#define PNL_NS_STEP_SOCKET 4
int pnl_netns_make_socket(const char *path, int protocol, int rcvbuf, int sndbuf, uint64_t *out);
