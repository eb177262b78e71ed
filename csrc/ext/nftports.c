/* Port publications read in C straight from the caller's tuples (pynetlink.nft._ports):
 * ``(host_port, to, to_port[, proto])`` checked and split into the columns nft/bulk.py packs
 * (pnl_port_rows), with the duplicate check, in one pass and without a Python object made per
 * tuple. Anything not plainly one of those tuples gives None: the caller then takes its
 * per-object way, whose checks and errors (naming the tuple) are the reference. */
#include "pyext.h"
#include <errno.h>
#include <stdlib.h>
#include <linux/netlink.h>
#include "../pnl.h"

#define MAX_PORTS (1u << 24)

/* an exact int in 1..65535, or -1 */
static long port_of(PyObject *o)
{
    long v;

    if (!PyLong_CheckExact(o))
        return -1;
    v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

/* an exact str holding a strict dotted quad (as inet_pton reads it: no leading zeros), into a[4]; 0 / -1 */
static int ipv4_of(PyObject *o, uint8_t a[4])
{
    Py_ssize_t len;
    const char *s, *e;

    if (!PyUnicode_CheckExact(o))
        return -1;
    s = PyUnicode_AsUTF8AndSize(o, &len);
    if (!s) {
        PyErr_Clear();
        return -1;
    }
    if (len < 7 || len > 15)
        return -1;
    e = s + len;
    /* inet_pton's rule: four decimal parts of 0..255, no leading zero, nothing else (a part
     * at a time: one to three digits, then a dot) */
    for (int part = 0; part < 4; part++) {
        unsigned v, d;

        if (s == e || (v = (unsigned)(uint8_t)*s - '0') > 9)
            return -1;
        s++;
        if (s < e && (d = (unsigned)(uint8_t)*s - '0') <= 9) {
            if (v == 0)
                return -1;                  /* a leading zero */
            v = v * 10 + d;
            s++;
            if (s < e && (d = (unsigned)(uint8_t)*s - '0') <= 9) {
                v = v * 10 + d;
                s++;
                if (v > 255)
                    return -1;
            }
        }
        a[part] = (uint8_t)v;
        if (part < 3 && (s == e || *s++ != '.'))
            return -1;
    }
    return s == e ? 0 : -1;
}

/* proto number of an exact str "tcp" / "udp", or -1 */
static int proto_of(PyObject *o)
{
    if (!PyUnicode_CheckExact(o))
        return -1;
    if (PyUnicode_CompareWithASCIIString(o, "tcp") == 0)
        return 6;
    if (PyUnicode_CompareWithASCIIString(o, "udp") == 0)
        return 17;
    return -1;
}

/* The tuples of ``seq`` (an exact list or tuple) read into the columns (n entries each);
 * *unique: no (protocol, host port) twice. 0, 1 when one is not plainly a publication (nothing
 * raised), -1 with an error set. */
static int read_all(PyObject *seq, Py_ssize_t n, uint16_t *hp, uint8_t *ap, uint16_t *tp, uint8_t *pp,
                    int *unique)
{
    int is_list = PyList_CheckExact(seq), rc = 1;
    Py_ssize_t width = -1;
    PyObject *last_tpo = NULL;
    long last_p = -1;
    uint8_t (*seen)[8192] = PyMem_Calloc(2, sizeof(*seen));  /* (protocol, host port) seen: 2 x 65536 bits */

    if (!seen) {
        PyErr_NoMemory();
        return -1;
    }
    *unique = 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        /* (no Python code runs in this loop: exact types only, so the list cannot change) */
        PyObject *t = is_list ? PyList_GetItem(seq, k) : PyTuple_GetItem(seq, k);
        PyObject *tpo;
        long h, p;
        int pr = 6;
        uint8_t *bits, bit;

        if (!t || !PyTuple_CheckExact(t))
            goto out;
        if (width < 0 && (width = PyTuple_Size(t)) != 3 && width != 4)
            goto out;
        if (PyTuple_Size(t) != width)
            goto out;
        h = port_of(PyTuple_GetItem(t, 0));
        tpo = PyTuple_GetItem(t, 2);
        if (tpo == Py_None)
            p = h;
        else if (tpo == last_tpo)           /* (most give the same target port: one int object) */
            p = last_p;
        else
            p = last_p = port_of(last_tpo = tpo);
        if (h < 0 || p < 0 || ipv4_of(PyTuple_GetItem(t, 1), ap + 4 * k) < 0)
            goto out;
        if (width == 4 && (pr = proto_of(PyTuple_GetItem(t, 3))) < 0)
            goto out;
        hp[k] = (uint16_t)h;
        tp[k] = (uint16_t)p;
        pp[k] = (uint8_t)pr;
        bits = seen[pr == 17];
        bit = (uint8_t)(1u << (h & 7));
        if (bits[h >> 3] & bit)
            *unique = 0;
        bits[h >> 3] |= bit;
    }
    rc = 0;
out:
    PyErr_Clear();
    PyMem_Free(seen);
    return rc;
}

/* the number of tuples of an exact list or tuple (1 .. MAX_PORTS), or 0 */
static Py_ssize_t count_of(PyObject *seq)
{
    Py_ssize_t n;

    if (PyList_CheckExact(seq))
        n = PyList_Size(seq);
    else if (PyTuple_CheckExact(seq))
        n = PyTuple_Size(seq);
    else
        return 0;
    return n > 0 && (size_t)n <= MAX_PORTS ? n : 0;
}

static PyObject *columns(PyObject *self, PyObject *args)
{
    PyObject *seq, *out = NULL, *host = NULL, *to = NULL, *to_port = NULL, *proto = NULL;
    Py_ssize_t n;
    int unique, rc;

    if (!PyArg_ParseTuple(args, "O:columns", &seq))
        return NULL;
    if (!(n = count_of(seq)))
        Py_RETURN_NONE;
    host = PyBytes_FromStringAndSize(NULL, n * 2);
    to = PyBytes_FromStringAndSize(NULL, n * 4);
    to_port = PyBytes_FromStringAndSize(NULL, n * 2);
    proto = PyBytes_FromStringAndSize(NULL, n);
    if (!host || !to || !to_port || !proto)
        goto done;
    rc = read_all(seq, n, (uint16_t *)PyBytes_AsString(host), (uint8_t *)PyBytes_AsString(to),
                  (uint16_t *)PyBytes_AsString(to_port), (uint8_t *)PyBytes_AsString(proto), &unique);
    if (rc == 0)
        out = Py_BuildValue("(OOOOO)", host, to, to_port, proto, unique ? Py_True : Py_False);
    else if (rc == 1)
        out = Py_NewRef(Py_None);
done:
    Py_XDECREF(host);
    Py_XDECREF(to);
    Py_XDECREF(to_port);
    Py_XDECREF(proto);
    return out;
}

/* fields (3 bytes each: 'p' protocol / 'h' host port / 'a' target / 't' target port, then the
 * u16 offset) that all fit a template of tlen bytes: 0, or -1 with ValueError set */
static int check_fields(const char *fields, Py_ssize_t flen, Py_ssize_t tlen)
{
    if (flen % 3) {
        PyErr_SetString(PyExc_ValueError, "fill: fields of 3 bytes");
        return -1;
    }
    for (Py_ssize_t i = 0; i < flen / 3; i++) {
        uint16_t at;
        Py_ssize_t size;

        memcpy(&at, fields + 3 * i + 1, 2);
        switch (fields[3 * i]) {
        case 'p': size = 1; break;
        case 'h': case 't': size = 2; break;
        case 'a': size = 4; break;
        default: size = -1; break;
        }
        if (size < 0 || at + size > tlen) {
            PyErr_Format(PyExc_ValueError, "fill: field %zd: not one of p h a t within the template", i);
            return -1;
        }
    }
    return 0;
}

/* The columns of read_all, in one block of n * 9 bytes (host ports, target ports, targets,
 * protocols), and *unique: 0, 1 (not plainly publications), -1 with an error set. */
static int read_columns(PyObject *seq, Py_ssize_t n, uint8_t **cols, int *unique)
{
    int rc;

    if (!(*cols = PyMem_Malloc((size_t)n * 9))) {
        PyErr_NoMemory();
        return -1;
    }
    rc = read_all(seq, n, (uint16_t *)*cols, *cols + 4 * n, (uint16_t *)(*cols + 2 * n), *cols + 8 * n, unique);
    if (rc) {
        PyMem_Free(*cols);
        *cols = NULL;
    }
    return rc;
}

/* Row k of n (columns from read_columns): the template with its fields (checked) set. */
static void put_row(uint8_t *o, const char *tmpl, Py_ssize_t tlen, const char *fields, Py_ssize_t nf,
                    const uint8_t *cols, Py_ssize_t n, Py_ssize_t k)
{
    uint16_t host, port;

    memcpy(&host, cols + 2 * k, 2);
    memcpy(&port, cols + 2 * n + 2 * k, 2);
    memcpy(o, tmpl, (size_t)tlen);
    for (Py_ssize_t i = 0; i < nf; i++) {
        uint16_t at;
        uint8_t *d;

        memcpy(&at, fields + 3 * i + 1, 2);
        d = o + at;
        switch (fields[3 * i]) {
        case 'p': *d = cols[8 * n + k]; break;
        case 'h': d[0] = (uint8_t)(host >> 8); d[1] = (uint8_t)host; break;
        case 't': d[0] = (uint8_t)(port >> 8); d[1] = (uint8_t)port; break;
        default: memcpy(d, cols + 4 * n + 4 * k, 4); break;
        }
    }
}

static void clear_ack(uint8_t *msg)
{
    uint16_t flags;

    memcpy(&flags, msg + 6, 2);
    flags &= (uint16_t)~NLM_F_ACK;
    memcpy(msg + 6, &flags, 2);
}

/* messages back to back at 4-byte boundaries filling exactly len bytes (each padded, the
 * last too): their count, or -1 */
static Py_ssize_t messages_in(const uint8_t *p, Py_ssize_t len)
{
    Py_ssize_t at = 0, count = 0;

    if (len % 4)
        return -1;
    while (at < len) {
        uint32_t mlen;

        if (len - at < NLMSG_HDRLEN)
            return -1;
        memcpy(&mlen, p + at, 4);
        if (mlen < NLMSG_HDRLEN || mlen > (uint32_t)(len - at))
            return -1;
        at += (Py_ssize_t)((mlen + 3u) & ~3u);
        count++;
    }
    return count;
}

/* fill's parts but the tuples, checked (fill_check) */
struct layout {
    const char *tmpl, *fields, *head, *tail, *lhead;
    Py_ssize_t tlen, flen, hlen, elen, llen, step;
    int messages;
};

/* fill's arguments but the tuples into l (a fast call, no argument parser: add_dnat_rules and
 * DockerNat's first setup make one each): 0, or -1 with TypeError set */
static int fill_args(PyObject *const *args, Py_ssize_t nargs, struct layout *l)
{
    const char **at[] = { NULL, &l->tmpl, &l->fields, NULL, &l->head, &l->tail, &l->lhead };
    Py_ssize_t *len[] = { NULL, &l->tlen, &l->flen, NULL, &l->hlen, &l->elen, &l->llen };

    if (nargs != 4 && nargs != 6 && nargs != 8)
        goto bad;
    for (Py_ssize_t i = 1; i < nargs && i < 7; i++) {
        char *p;

        if (i == 3)
            continue;
        if (!PyBytes_CheckExact(args[i]) || PyBytes_AsStringAndSize(args[i], &p, len[i]) < 0)
            goto bad;
        *at[i] = p;
    }
    if ((l->messages = PyObject_IsTrue(args[3])) < 0)
        return -1;
    if (nargs == 8) {
        if (!PyLong_CheckExact(args[7]))
            goto bad;
        if ((l->step = PyLong_AsSsize_t(args[7])) == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            l->step = 0;                            /* (out of range: fill_check says so) */
        }
    }
    return 0;
bad:
    PyErr_SetString(PyExc_TypeError, "fill(mappings, template, fields, messages[, head, tail[, list_head, step]]): "
                    "bytes, and an int step");
    return -1;
}

/* 0, or -1 with ValueError set: see fill */
static int fill_check(const struct layout *l)
{
    int each = l->messages && !l->lhead;            /* each row one message: nlmsg_len, padded, the row */
    uint32_t mlen = 0;

    if (each && l->tlen >= 16)
        memcpy(&mlen, l->tmpl, 4);
    if (l->tlen <= 0 || l->tlen > 65536 || (each && (mlen < 16 || ((mlen + 3u) & ~3u) != (uint32_t)l->tlen))) {
        PyErr_SetString(PyExc_ValueError, "fill: a template of 1..65536 bytes (a message: 16.., 4-aligned)");
        return -1;
    }
    if (l->hlen > (1 << 24) || l->elen > (1 << 24) ||
        (l->messages && (messages_in((const uint8_t *)l->head, l->hlen) < 0 ||
                         messages_in((const uint8_t *)l->tail, l->elen) < 0))) {
        PyErr_SetString(PyExc_ValueError, "fill: head and tail of up to 16 MiB each (with messages: whole "
                        "messages)");
        return -1;
    }
    if (l->lhead && (l->llen < NLMSG_HDRLEN + 4 || l->llen % 4 || l->llen > 65536 || l->tlen % 4 || l->step < 1 ||
                     l->step > (0xFFFF - 4) / l->tlen)) {
        PyErr_SetString(PyExc_ValueError, "fill: a list head of 20..65536 bytes (4-aligned), rows of 4-aligned "
                        "size, step rows within a u16 attribute");
        return -1;
    }
    return check_fields(l->fields, l->flen, l->tlen);
}

/* The n rows of the columns into o, laid out by l (checked): without a list head one row a
 * message, with one step rows a message after a copy of it (its nlmsg_len and last attribute's
 * length set); with messages, NLM_F_ACK cleared on all messages but the last. */
static void fill_rows(uint8_t *o, const struct layout *l, const uint8_t *cols, Py_ssize_t n)
{
    Py_ssize_t step = l->lhead ? l->step : 1, nf = l->flen / 3;

    for (Py_ssize_t k = 0; k < n;) {
        Py_ssize_t m = n - k < step ? n - k : step;
        uint8_t *msg = o;

        if (l->lhead) {
            uint32_t mlen = (uint32_t)(l->llen + m * l->tlen);
            uint16_t alen = (uint16_t)(4 + m * l->tlen);

            memcpy(o, l->lhead, (size_t)l->llen);
            memcpy(o, &mlen, 4);
            memcpy(o + l->llen - 4, &alen, 2);
            o += l->llen;
        }
        for (Py_ssize_t j = 0; j < m; j++, k++, o += l->tlen)
            put_row(o, l->tmpl, l->tlen, l->fields, nf, cols, n, k);
        if (l->messages && k < n)           /* nlmsg_flags: acked only by the last */
            clear_ack(msg);
    }
}

/* fill(mappings, template, fields, messages[, head, tail[, list_head, step]]): one copy of
 * template per tuple, its fields set from the tuple (ports big-endian). Without list_head each
 * row is a message when messages is true (the template one message); with list_head (a
 * message up to its list attribute's header, the last 4 bytes), each step rows follow a copy
 * of it, their lengths set (an nfnetlink element list). With messages, NLM_F_ACK kept on the
 * last message only, and head and tail must be whole messages. (rows, unique) or None (as
 * columns); with head and tail, rows is a bytearray: head, the rows, tail (a whole transaction
 * written once). */
static PyObject *fill(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *seq, *out = NULL, *rows = NULL;
    struct layout l = { 0 };
    Py_ssize_t n, size;
    int unique, rc;
    uint8_t *cols = NULL, *o;

    if (fill_args(args, nargs, &l) < 0 || fill_check(&l) < 0)
        return NULL;
    seq = args[0];
    if (!(n = count_of(seq)))
        Py_RETURN_NONE;
    if (n > (PY_SSIZE_T_MAX - l.hlen - l.elen) / (l.tlen + l.llen))
        return PyErr_NoMemory();
    if ((rc = read_columns(seq, n, &cols, &unique)))
        return rc == 1 ? Py_NewRef(Py_None) : NULL;
    /* (n <= 2^24; each list head is followed by a row at least) */
    size = n * l.tlen + (l.lhead ? (n + l.step - 1) / l.step * l.llen : 0);
    if (l.head) {
        rows = PyByteArray_FromStringAndSize(NULL, l.hlen + size + l.elen);
        if (!rows || !(o = (uint8_t *)PyByteArray_AsString(rows)))
            goto done;
        memcpy(o, l.head, (size_t)l.hlen);
        memcpy(o + l.hlen + size, l.tail, (size_t)l.elen);
        o += l.hlen;
    } else {
        rows = PyBytes_FromStringAndSize(NULL, size);
        if (!rows || !(o = (uint8_t *)PyBytes_AsString(rows)))
            goto done;
    }
    fill_rows(o, &l, cols, n);
    out = PyTuple_Pack(2, rows, unique ? Py_True : Py_False);
done:
    PyMem_Free(cols);
    Py_XDECREF(rows);
    return out;
}

/* ns: None, or (path, st_dev, st_ino) of a namespace file: 1 when the path still names that
 * file (pnl_same_file's stat), 0 when it does not (gone, or another), -1 with an error set
 * (OSError when the stat fails otherwise) */
static int same_file(PyObject *ns)
{
    PyObject *path = NULL;
    unsigned long long dev, ino;
    int rc;

    if (ns == Py_None)
        return 1;
    if (!PyArg_ParseTuple(ns, "O&KK:exchange (ns)", PyUnicode_FSConverter, &path, &dev, &ino))
        return -1;
    rc = pnl_same_file(PyBytes_AsString(path), dev, ino);     /* (csrc/netns.c) */
    Py_DECREF(path);
    if (rc < 0) {
        errno = -rc;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return rc;
}

/* exchange(fd, batch, seq, timeout_ms, ns): send one nfnetlink transaction (a bytearray of
 * messages back to back: BATCH_BEGIN, members, BATCH_END) in one sendto, numbered from seq
 * on (written into it), and collect its replies (pnl_xfer, the GIL released): the last
 * member must ask the ack, members without NLM_F_ACK are complete once sent (their errors
 * still counted), an error of BEGIN or END ends the batch. The errnos of the messages
 * refused, in order (empty: committed); None, nothing sent, when ns (path, st_dev, st_ino)
 * no longer names the socket's namespace (a named one deleted, or made anew); OSError for
 * the transfer itself. */
static PyObject *exchange(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *obj, *ns, *out = NULL;
    Py_buffer view;
    int fd, timeout_ms, rc;
    long v[3];
    unsigned long first;
    Py_ssize_t n, at = 0, errors = 0;
    struct pnl_status *st = NULL;
    struct pnl_xfer x = { 0 };
    uint8_t *p;

    if (nargs != 5 || !PyLong_CheckExact(args[0]) || !PyByteArray_CheckExact(args[1]) ||
        !PyLong_CheckExact(args[2]) || !PyLong_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "exchange(fd, batch, seq, timeout_ms, ns): ints and a bytearray");
        return NULL;
    }
    for (int i = 0; i < 3; i++)
        if ((v[i] = PyLong_AsLong(args[i ? i + 1 : 0])) == -1 && PyErr_Occurred())
            return NULL;
    if (v[0] < 0 || v[0] > INT32_MAX || v[1] < 0 || (unsigned long)v[1] > 0xFFFFFFFFul ||
        v[2] < INT32_MIN || v[2] > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "exchange: a file descriptor, a u32 sequence number, an int timeout");
        return NULL;
    }
    fd = (int)v[0];
    first = (unsigned long)v[1];
    timeout_ms = (int)v[2];
    obj = args[1];
    ns = args[4];
    if ((rc = same_file(ns)) <= 0)
        return rc < 0 ? NULL : Py_NewRef(Py_None);
    if (PyObject_GetBuffer(obj, &view, PyBUF_WRITABLE) < 0)
        return NULL;
    p = view.buf;
    n = messages_in(p, view.len);
    if (n < 3 || first == 0 || first > 0x7FFFFFFFul || view.len > 0x7FFFFFFF) {
        PyErr_SetString(PyExc_ValueError, "exchange: a batch of 3.. whole messages, a sequence number of 1..2^31-1");
        goto done;
    }
    if (!(st = PyMem_Calloc((size_t)n, sizeof(*st))) || !(x.data = malloc(PNL_RECV_MIN))) {
        PyErr_NoMemory();
        goto done;
    }
    x.data_cap = PNL_RECV_MIN;             /* (what pnl_xfer asks free before each receive: grown if errors fill it) */
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t mlen, seqno = (uint32_t)first + (uint32_t)i;
        uint16_t flags;

        memcpy(&mlen, p + at, 4);
        memcpy(&flags, p + at + 6, 2);
        memcpy(p + at + 8, &seqno, 4);
        st[i].req_off = (uint32_t)at;
        st[i].req_len = mlen;
        st[i].ext_offs = 0xffffffffu;
        if (flags & NLM_F_ACK)
            st[i].flags = PNL_ST_ACKREQ | PNL_ST_EXPECT;
        else if (i > 0 && i + 1 < n)
            st[i].flags = PNL_ST_QUIET;     /* (BEGIN and END: an error of theirs ends the batch) */
        at += (Py_ssize_t)((mlen + 3u) & ~3u);
    }
    if (!(st[n - 2].flags & PNL_ST_EXPECT)) {
        PyErr_SetString(PyExc_ValueError, "exchange: the last member must ask the ack (NLM_F_ACK)");
        goto done;
    }
    x.timeout_ms = timeout_ms;
    x.flags = PNL_XF_ONESHOT;
    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        rc = pnl_xfer(fd, p, (size_t)view.len, (uint32_t)first, st, (uint32_t)n, &x);
        Py_END_ALLOW_THREADS
        if (rc == PNL_XF_NEED_SPACE) {      /* many errors kept: room for more */
            uint8_t *more = x.data_cap < (1u << 30) ? realloc(x.data, 2 * (size_t)x.data_cap) : NULL;
            if (!more) {
                PyErr_NoMemory();
                goto done;
            }
            x.data = more;
            x.data_cap *= 2;
            continue;
        }
        break;
    }
    if (rc < 0) {
        errno = -rc;
        PyErr_SetFromErrno(PyExc_OSError);
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        errors += (st[i].flags & PNL_ST_ERROR) != 0;
    if (!(out = PyTuple_New(errors)))
        goto done;
    for (Py_ssize_t i = 0, k = 0; i < n; i++) {
        PyObject *e;

        if (!(st[i].flags & PNL_ST_ERROR))
            continue;
        if (!(e = PyLong_FromLong(st[i].error)) || PyTuple_SetItem(out, k++, e) < 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    free(x.data);
    PyMem_Free(st);
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"columns", columns, METH_VARARGS,
     "columns(mappings) -> (host, to, to_port, proto, unique) | None: the tuples "
     "(host_port, to, to_port[, proto]) as columns (host and target ports native u16, "
     "targets 4 bytes each, protocol numbers), and whether no (protocol, host port) repeats; "
     "None when one is not plainly such a tuple (IPv4 target in its usual spelling)."},
    {"fill", (PyCFunction)(void (*)(void))fill, METH_FASTCALL,
     "fill(mappings, template, fields, messages[, head, tail[, list_head, step]]) -> (rows, unique) "
     "| None: one copy of template per tuple with its fields (3 bytes each: p/h/a/t and the u16 "
     "offset) set from it; with list_head, step rows a message after a copy of it (its lengths "
     "set); with messages, NLM_F_ACK kept on the last message only (head and tail whole "
     "messages). With head and tail, rows is a bytearray: head, the rows, tail. None as columns."},
    {"exchange", (PyCFunction)(void (*)(void))exchange, METH_FASTCALL,
     "exchange(fd, batch, seq, timeout_ms, ns) -> tuple[int, ...] | None: the batch (a bytearray) "
     "numbered from seq, sent in one sendto and its replies collected (pnl_xfer; the last member "
     "asks the ack): the errnos of the messages refused, in order (empty: committed); None, "
     "nothing sent, when ns, (path, st_dev, st_ino) or None, no longer names that file. OSError "
     "for the transfer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pynetlink.nft._ports",
                                    "Port publications read from the caller's tuples in C.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ports(void)
{
    return PyModule_Create(&module);
}
