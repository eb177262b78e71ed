/* pynetlink.events._engine: the event stream's hot path in C (CPython's limited API, abi3).
 *
 * A receive buffer that holds only RTM_NEWADDR / RTM_DELADDR notifications (no dump in
 * flight) becomes its events in one call: per message, the key (4 or 6, ifindex, address
 * text, prefix length), one view, the state lookup and update, the action and one Event
 * tuple, in the order of the buffer (so a key seen twice in a buffer sees its first change).
 * The views are of a subtype of rtnl's AddressView made here, whose family, address,
 * prefixlen and link are plain slots set at creation (reading them calls no Python code);
 * every other field is the inherited property, read from the buffer's row table.
 *
 * Nothing is changed unless the whole buffer is understood: a first pass checks every
 * message and attribute length against the buffer and the row table (and declines,
 * returning False, on anything else: other message types, duplicate attributes, an address
 * that is not 4 bytes for AF_INET or 16 for AF_INET6, ...); the Python engine then takes
 * the buffer, with its own checks and errors. Python is only called on data it made. */
#ifndef Py_LIMITED_API
#define Py_LIMITED_API 0x030B0000
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

/* the view's own slots, in this order, after its base's */
static const char *const VIEW_SLOTS[] = {"_rows", "_m", "_h", "_c", "_b", "family", "address",
                                         "prefixlen", "link"};
enum { S_ROWS, S_M, S_H, S_C, S_B, S_FAMILY, S_ADDRESS, S_PREFIXLEN, S_LINK, N_SLOTS };

static PyMemberDef view_members[N_SLOTS + 1];
static PyTypeObject *view_type, *event_type;
static allocfunc view_alloc, event_alloc;
static Py_ssize_t slot_off[N_SLOTS];
/* the Event's constant fields, and the family numbers of keys */
static PyObject *s_kind, *s_new, *s_changed, *s_deleted, *s_origin, *i4, *i6, *i0;

/* Every slot is read-only but ``_h``, the base's cache of the unpacked header, which takes
 * a tuple of ints (or None) only: so no view can be part of a reference cycle, and views
 * and events are left out of the cyclic garbage collector (as CPython leaves out tuples
 * of atomic values), which would otherwise spend a third of the stream's time on them. */
static int view_setattro(PyObject *self, PyObject *name, PyObject *value)
{
    int ok = PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "_h") == 0;

    if (ok && value && value != Py_None) {
        ok = PyTuple_CheckExact(value);
        for (Py_ssize_t i = 0; ok && i < PyTuple_Size(value); i++)
            ok = PyLong_CheckExact(PyTuple_GetItem(value, i));
    }
    if (!ok) {
        PyErr_Format(PyExc_AttributeError, "AddressView.%S is read-only", name);
        return -1;
    }
    return PyObject_GenericSetAttr(self, name, value);
}

static PyObject *setup(PyObject *mod, PyObject *args)
{
    PyObject *base, *ev, *bs, *dict_off, *weak_off, *bases, *t;
    PyTypeObject *bt;
    Py_ssize_t basicsize;
    long doff, woff;

    if (!PyArg_ParseTuple(args, "O!O!UUUUU:setup", &PyType_Type, &base, &PyType_Type, &ev, &s_kind,
                          &s_new, &s_changed, &s_deleted, &s_origin))
        return NULL;
    bt = (PyTypeObject *)base;
    if (!PyType_IsSubtype((PyTypeObject *)ev, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "setup: the event type must be a tuple subclass");
        return NULL;
    }
    bs = PyObject_GetAttrString(base, "__basicsize__");
    dict_off = PyObject_GetAttrString(base, "__dictoffset__");
    weak_off = PyObject_GetAttrString(base, "__weakrefoffset__");
    basicsize = bs ? PyLong_AsSsize_t(bs) : -1;
    doff = dict_off ? PyLong_AsLong(dict_off) : -1;
    woff = weak_off ? PyLong_AsLong(weak_off) : -1;
    Py_XDECREF(bs);
    Py_XDECREF(dict_off);
    Py_XDECREF(weak_off);
    if (PyErr_Occurred())
        return NULL;
    if (basicsize < (Py_ssize_t)sizeof(PyObject) || doff != 0 || woff != 0
        || !(PyType_GetFlags(bt) & Py_TPFLAGS_HAVE_GC) || (PyType_GetFlags(bt) & Py_TPFLAGS_IS_ABSTRACT)) {
        PyErr_SetString(PyExc_TypeError, "setup: the base view must be a class with __slots__ only");
        return NULL;
    }
    basicsize = (basicsize + (Py_ssize_t)sizeof(PyObject *) - 1) & ~((Py_ssize_t)sizeof(PyObject *) - 1);
    for (int i = 0; i < N_SLOTS; i++) {
        slot_off[i] = basicsize + i * (Py_ssize_t)sizeof(PyObject *);
        view_members[i] = (PyMemberDef){(char *)VIEW_SLOTS[i], T_OBJECT_EX, slot_off[i], 0, NULL};
    }
    view_members[N_SLOTS] = (PyMemberDef){NULL, 0, 0, 0, NULL};
    PyType_Slot slots[] = {
        {Py_tp_members, view_members},
        {Py_tp_setattro, (void *)view_setattro},
        {Py_tp_doc, (void *)"An address event's view: AddressView whose family, address, prefixlen "
                            "and link are slots set when the event was made."},
        {0, NULL},
    };
    PyType_Spec spec = {"pynetlink.events._engine.AddressView",
                        (int)(basicsize + N_SLOTS * (Py_ssize_t)sizeof(PyObject *)), 0,
                        Py_TPFLAGS_DEFAULT, slots};
    bases = PyTuple_Pack(1, base);
    if (!bases)
        return NULL;
    t = PyType_FromSpecWithBases(&spec, bases);
    Py_DECREF(bases);
    if (!t)
        return NULL;
    if (!(PyType_GetFlags((PyTypeObject *)t) & Py_TPFLAGS_HAVE_GC)) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_TypeError, "setup: the view type did not inherit garbage collection");
        return NULL;
    }
    Py_XDECREF((PyObject *)view_type);
    view_type = (PyTypeObject *)t;
    view_alloc = (allocfunc)PyType_GetSlot(view_type, Py_tp_alloc);
    Py_INCREF(ev);
    Py_XDECREF((PyObject *)event_type);
    event_type = (PyTypeObject *)ev;
    event_alloc = (allocfunc)PyType_GetSlot(event_type, Py_tp_alloc);
    Py_INCREF(s_kind);
    Py_INCREF(s_new);
    Py_INCREF(s_changed);
    Py_INCREF(s_deleted);
    Py_INCREF(s_origin);
    if (!view_alloc || !event_alloc)
        return NULL;
    Py_INCREF(t);
    return t;
}

/* IPv4 dotted quad, as inet_ntop writes it (csrc/text.c's); out has room for 15 bytes. */
static size_t ipv4_text(const uint8_t *a, char *out)
{
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i)
            out[n++] = '.';
        if (v >= 100) {
            out[n++] = (char)('0' + v / 100);
            v %= 100;
            out[n++] = (char)('0' + v / 10);
            out[n++] = (char)('0' + v % 10);
        } else if (v >= 10) {
            out[n++] = (char)('0' + v / 10);
            out[n++] = (char)('0' + v % 10);
        } else {
            out[n++] = (char)('0' + v);
        }
    }
    return n;
}

/* one understood message */
struct msg {
    uint32_t row;        /* its row in the row table */
    uint32_t aoff;       /* the address bytes in the buffer */
    int32_t ifindex;
    uint8_t family;      /* AF_INET or AF_INET6 */
    uint8_t plen;
    uint8_t gone;        /* RTM_DELADDR */
};

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* Check message ``row`` (``o``, ``len`` in a buffer of ``n`` bytes); 1 and *m filled when
 * understood, 0 otherwise. */
static int check_msg(const uint8_t *buf, size_t n, uint32_t row, uint32_t type, uint32_t o, uint32_t len,
                     struct msg *m)
{
    const size_t hdr = 16 + sizeof(struct ifaddrmsg);
    size_t p, end, local = 0, addr = 0, llen = 0, alen = 0;
    int seen_label = 0;
    struct ifaddrmsg ifa;

    if (type != RTM_NEWADDR && type != RTM_DELADDR)
        return 0;
    if (o > n || len > n - o || len < hdr)
        return 0;
    memcpy(&ifa, buf + o + 16, sizeof(ifa));
    if ((ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6) || (int32_t)ifa.ifa_index < 0)
        return 0;
    end = (size_t)o + len;
    p = (size_t)o + hdr;
    while (p < end) {
        size_t alen_, step;
        uint16_t t;

        if (end - p < 4)
            return 0;
        alen_ = rd16(buf + p);
        t = rd16(buf + p + 2);
        if (alen_ < 4 || alen_ > end - p || (t & ~NLA_TYPE_MASK))
            return 0;
        if (t == IFA_LOCAL || t == IFA_ADDRESS || t == IFA_LABEL) {
            if (t == IFA_LOCAL ? local != 0 : t == IFA_ADDRESS ? addr != 0 : seen_label)
                return 0;                          /* duplicates: the Python engine's */
            if (t == IFA_LOCAL) {
                local = p + 4;
                llen = alen_ - 4;
            } else if (t == IFA_ADDRESS) {
                addr = p + 4;
                alen = alen_ - 4;
            } else {
                seen_label = 1;
            }
        }
        step = NLA_ALIGN(alen_);
        p = step > end - p ? end : p + step;
    }
    if (!local) {
        local = addr;
        llen = alen;
    }
    if (!local || llen != (ifa.ifa_family == AF_INET ? 4u : 16u))
        return 0;
    m->row = row;
    m->aoff = (uint32_t)local;
    m->ifindex = (int32_t)ifa.ifa_index;
    m->family = ifa.ifa_family;
    m->plen = ifa.ifa_prefixlen;
    m->gone = type == RTM_DELADDR;
    return 1;
}

/* a uint32_t column of the row table, at least ``count`` long */
static int column(PyObject *rows, const char *name, Py_ssize_t count, Py_buffer *b)
{
    PyObject *col = PyObject_GetAttrString(rows, name);
    int rc;

    if (!col)
        return -1;
    rc = PyObject_GetBuffer(col, b, PyBUF_SIMPLE);
    Py_DECREF(col);
    if (rc < 0)
        return -1;
    if (b->len / 4 < count || ((uintptr_t)b->buf & 3)) {
        PyBuffer_Release(b);
        PyErr_Format(PyExc_ValueError, "address_events: rows.%s is shorter than rows.count", name);
        return -1;
    }
    return 0;
}

static PyObject *make_view(PyObject *rows, const struct msg *m, PyObject *fam, PyObject *text,
                           PyObject *plen, PyObject *link)
{
    PyObject *row, *v;
    char *base;

    row = PyLong_FromUnsignedLong(m->row);
    if (!row)
        return NULL;
    v = view_alloc(view_type, 0);
    if (!v) {
        Py_DECREF(row);
        return NULL;
    }
    base = (char *)v;
#define SET(i, x) do { PyObject *x_ = (x); Py_INCREF(x_); *(PyObject **)(base + slot_off[i]) = x_; } while (0)
    SET(S_ROWS, rows);
    *(PyObject **)(base + slot_off[S_M]) = row;
    SET(S_H, Py_None);
    SET(S_C, Py_None);
    SET(S_B, i0);
    SET(S_FAMILY, fam);
    SET(S_ADDRESS, text);
    SET(S_PREFIXLEN, plen);
    SET(S_LINK, link);
#undef SET
    PyObject_GC_UnTrack(v);                          /* acyclic: see view_setattro */
    return v;
}

/* Event(kind, action, view, previous, key, netns, origin); steals view, prev, key */
static PyObject *make_event(PyObject *action, PyObject *view, PyObject *prev, PyObject *key, PyObject *netns)
{
    PyObject *e = event_alloc(event_type, 7);

    if (!e) {
        Py_DECREF(view);
        Py_DECREF(prev);
        Py_DECREF(key);
        return NULL;
    }
    Py_INCREF(s_kind);
    PyTuple_SetItem(e, 0, s_kind);
    Py_INCREF(action);
    PyTuple_SetItem(e, 1, action);
    PyTuple_SetItem(e, 2, view);
    PyTuple_SetItem(e, 3, prev);
    PyTuple_SetItem(e, 4, key);
    Py_INCREF(netns);
    PyTuple_SetItem(e, 5, netns);
    Py_INCREF(s_origin);
    PyTuple_SetItem(e, 6, s_origin);
    if (prev == Py_None || Py_TYPE(prev) == view_type)
        PyObject_GC_UnTrack(e);                      /* immutable, of acyclic objects */
    return e;
}

/* one message's event (appended to out), the state updated; -1 on error */
static int apply(PyObject *rows, const uint8_t *buf, const struct msg *m, PyObject *state, PyObject *netns,
                 PyObject *out)
{
    char tmp[INET6_ADDRSTRLEN];
    size_t tlen;
    PyObject *text, *link, *plen, *key, *view, *prev, *ev, *fam = m->family == AF_INET ? i4 : i6;
    int rc;

    if (m->family == AF_INET) {
        tlen = ipv4_text(buf + m->aoff, tmp);
    } else {
        if (!inet_ntop(AF_INET6, buf + m->aoff, tmp, sizeof(tmp))) {
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        tlen = strnlen(tmp, sizeof(tmp));
    }
    text = PyUnicode_DecodeASCII(tmp, (Py_ssize_t)tlen, NULL);
    link = text ? PyLong_FromLong(m->ifindex) : NULL;
    plen = link ? PyLong_FromLong(m->plen) : NULL;
    key = plen ? PyTuple_Pack(4, fam, link, text, plen) : NULL;
    view = key ? make_view(rows, m, fam, text, plen, link) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(link);
    Py_XDECREF(plen);
    if (!view) {
        Py_XDECREF(key);
        return -1;
    }
    PyObject_GC_UnTrack(key);                        /* ints and a str: no cycle through it */
    prev = PyDict_GetItemWithError(state, key);
    if (!prev && PyErr_Occurred())
        goto fail;
    Py_XINCREF(prev);
    if (m->gone) {
        if (!prev) {                                 /* the deletion of an unknown object */
            Py_DECREF(view);
            Py_DECREF(key);
            return 0;
        }
        if (PyDict_DelItem(state, key) < 0) {
            Py_DECREF(prev);
            goto fail;
        }
        ev = make_event(s_deleted, view, prev, key, netns);
    } else {
        if (PyDict_SetItem(state, key, view) < 0) {
            Py_XDECREF(prev);
            goto fail;
        }
        if (prev) {
            ev = make_event(s_changed, view, prev, key, netns);
        } else {
            Py_INCREF(Py_None);
            ev = make_event(s_new, view, Py_None, key, netns);
        }
    }
    if (!ev)
        return -1;
    rc = PyList_Append(out, ev);
    Py_DECREF(ev);
    return rc;
fail:
    Py_DECREF(view);
    Py_DECREF(key);
    return -1;
}

static PyObject *address_events(PyObject *mod, PyObject *args)
{
    PyObject *rows, *state, *netns, *out, *data = NULL, *cnt = NULL, *ret = NULL;
    Py_buffer bd = {0}, boff = {0}, blen = {0}, btf = {0}, bend = {0};
    int have[5] = {0};
    Py_ssize_t count, n_ok = 0;
    struct msg *msgs = NULL;
    const uint32_t *off, *len, *tf, *end;

    if (!PyArg_ParseTuple(args, "OO!OO!:address_events", &rows, &PyDict_Type, &state, &netns, &PyList_Type, &out))
        return NULL;
    if (!view_type) {
        PyErr_SetString(PyExc_RuntimeError, "address_events: setup() was not called");
        return NULL;
    }
    if (netns != Py_None && !PyUnicode_CheckExact(netns)) {
        PyErr_SetString(PyExc_TypeError, "address_events: netns must be a str or None");
        return NULL;
    }
    cnt = PyObject_GetAttrString(rows, "count");
    count = cnt ? PyLong_AsSsize_t(cnt) : -1;
    Py_XDECREF(cnt);
    if (count < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "address_events: rows.count < 0");
        return NULL;
    }
    if (count == 0 || count > 0x7fffffff)
        Py_RETURN_FALSE;
    data = PyObject_GetAttrString(rows, "data");
    if (!data || PyObject_GetBuffer(data, &bd, PyBUF_SIMPLE) < 0)
        goto done;
    have[0] = 1;
    if (column(rows, "off", count, &boff) < 0)
        goto done;
    have[1] = 1;
    if (column(rows, "len", count, &blen) < 0)
        goto done;
    have[2] = 1;
    if (column(rows, "tf", count, &btf) < 0)
        goto done;
    have[3] = 1;
    if (column(rows, "end", count, &bend) < 0)
        goto done;
    have[4] = 1;
    off = boff.buf;
    len = blen.buf;
    tf = btf.buf;
    end = bend.buf;
    msgs = PyMem_Malloc(sizeof(*msgs) * (size_t)count);
    if (!msgs) {
        PyErr_NoMemory();
        goto done;
    }
    /* pass 1: every message understood, or nothing done */
    for (uint32_t r = 0; r < (uint32_t)count;) {
        uint32_t next = end[r];

        if (next <= r || next > (uint32_t)count
            || !check_msg(bd.buf, (size_t)bd.len, r, tf[r] & 0xffff, off[r], len[r], &msgs[n_ok])) {
            ret = Py_False;
            goto done;
        }
        n_ok++;
        r = next;
    }
    /* pass 2: the events, in the buffer's order */
    for (Py_ssize_t i = 0; i < n_ok; i++)
        if (apply(rows, bd.buf, &msgs[i], state, netns, out) < 0)
            goto done;
    ret = Py_True;
done:
    PyMem_Free(msgs);
    if (have[4])
        PyBuffer_Release(&bend);
    if (have[3])
        PyBuffer_Release(&btf);
    if (have[2])
        PyBuffer_Release(&blen);
    if (have[1])
        PyBuffer_Release(&boff);
    if (have[0])
        PyBuffer_Release(&bd);
    Py_XDECREF(data);
    Py_XINCREF(ret);
    return ret;
}

static PyMethodDef methods[] = {
    {"setup", setup, METH_VARARGS,
     "setup(base_view, event, kind, new, changed, deleted, origin) -> the view type: makes the "
     "AddressView subtype of events and records the Event type and its constant fields."},
    {"address_events", address_events, METH_VARARGS,
     "address_events(rows, state, netns, out) -> bool: the events of a buffer of RTM_NEWADDR / "
     "RTM_DELADDR notifications appended to out and applied to state (False: not understood, "
     "nothing done)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pynetlink.events._engine",
                                    "The event stream's hot path in C.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__engine(void)
{
    i4 = PyLong_FromLong(4);
    i6 = PyLong_FromLong(6);
    i0 = PyLong_FromLong(0);
    if (!i4 || !i6 || !i0)
        return NULL;
    return PyModule_Create(&module);
}
