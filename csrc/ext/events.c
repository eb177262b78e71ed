/* pynetlink.events._engine: the event stream's hot path in C (CPython's limited API, abi3).
 *
 * A receive buffer that holds only RTM_NEWADDR / RTM_DELADDR notifications (no dump in
 * flight) becomes its events in one call: per message, the key (4 or 6, ifindex, address
 * text, prefix length), one view, the state lookup and update, the action and one Event
 * tuple, in the order of the buffer (so a key seen twice in a buffer sees its first change).
 * The views are of a subtype of rtnl's AddressView made here, whose family, address,
 * prefixlen and link are plain slots set at creation (reading them calls no Python code);
 * every other field is the inherited property, read from the buffer's row table, which is
 * decoded (by the codec, once per buffer, shared by its views) when a view first needs it:
 * ``_rows`` and ``_m`` are computed attributes here.
 *
 * Nothing is changed unless the whole buffer is understood: a first pass frames the
 * messages as pnl_decode does and checks every message and attribute length against the
 * buffer (and declines, returning False, on anything else: other message types, flagged or
 * duplicate attributes, an address that is not 4 bytes for AF_INET or 16 for AF_INET6,
 * ...); the Python engine then takes the buffer, with its own checks and errors. */
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
#include "../ipv4_text.h"

/* the view's own slots, in this order, after its base's; then the message's ordinal in its
 * buffer (a C uint32). ``_source`` is the buffer's [data, row table or None, message rows
 * or None], shared by its views. */
static const char *const VIEW_SLOTS[] = {"_source", "_h", "_c", "_b", "family", "address",
                                         "prefixlen", "link"};
enum { S_SRC, S_H, S_C, S_B, S_FAMILY, S_ADDRESS, S_PREFIXLEN, S_LINK, N_SLOTS };

static PyMemberDef view_members[N_SLOTS + 1];
static PyTypeObject *view_type, *event_type;
static allocfunc view_alloc, event_alloc;
static Py_ssize_t slot_off[N_SLOTS], ordinal_off;
static PyObject *decode_fn;                      /* data -> Rows (the codec's decode) */
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

#define SLOT(v, i) (*(PyObject **)((char *)(v) + slot_off[i]))
#define ORDINAL(v) (*(uint32_t *)((char *)(v) + ordinal_off))

/* the row table of a view's buffer, decoded on first use (borrowed), and its message rows */
static PyObject *source_rows(PyObject *src, PyObject **map)
{
    PyObject *rows, *end = NULL, *cnt = NULL, *m;
    Py_buffer b;
    Py_ssize_t count;
    uint32_t *out;
    size_t n = 0;

    if (!src || !PyList_CheckExact(src) || PyList_Size(src) != 3) {
        PyErr_SetString(PyExc_AttributeError, "AddressView: no buffer (not made by the engine)");
        return NULL;
    }
    rows = PyList_GetItem(src, 1);
    if (!rows)
        return NULL;
    if (rows == Py_None) {
        rows = PyObject_CallFunctionObjArgs(decode_fn, PyList_GetItem(src, 0), NULL);
        if (!rows)
            return NULL;
        cnt = PyObject_GetAttrString(rows, "count");
        count = cnt ? PyLong_AsSsize_t(cnt) : -1;
        Py_XDECREF(cnt);
        if (count < 0 && !PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "rows.count < 0");
        end = count >= 0 ? PyObject_GetAttrString(rows, "end") : NULL;
        if (!end || PyObject_GetBuffer(end, &b, PyBUF_SIMPLE) < 0) {
            Py_XDECREF(end);
            Py_DECREF(rows);
            return NULL;
        }
        Py_DECREF(end);
        m = NULL;
        if (b.len / 4 >= count && !((uintptr_t)b.buf & 3)) {
            const uint32_t *e = b.buf;
            for (uint32_t r = 0; r < (uint32_t)count && e[r] > r; r = e[r])
                n++;
            m = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n * 4);
            out = m ? (uint32_t *)PyBytes_AsString(m) : NULL;
            n = 0;
            for (uint32_t r = 0; out && r < (uint32_t)count && e[r] > r; r = e[r])
                out[n++] = r;
        } else {
            PyErr_SetString(PyExc_ValueError, "rows.end is shorter than rows.count");
        }
        PyBuffer_Release(&b);
        if (!m) {
            Py_DECREF(rows);
            return NULL;
        }
        if (PyList_SetItem(src, 2, m) < 0 || PyList_SetItem(src, 1, rows) < 0)
            return NULL;
    }
    *map = PyList_GetItem(src, 2);
    return rows;
}

static PyObject *get_rows(PyObject *self, void *closure)
{
    PyObject *map, *rows = source_rows(SLOT(self, S_SRC), &map);

    Py_XINCREF(rows);
    return rows;
}

static PyObject *get_m(PyObject *self, void *closure)
{
    PyObject *map = NULL;
    uint32_t k = ORDINAL(self), row;

    if (!source_rows(SLOT(self, S_SRC), &map) || !map)
        return NULL;
    if ((Py_ssize_t)k >= PyBytes_Size(map) / 4) {
        PyErr_Format(PyExc_RuntimeError, "message %u is not in the decoded buffer", k);
        return NULL;
    }
    memcpy(&row, PyBytes_AsString(map) + (size_t)k * 4, 4);
    return PyLong_FromUnsignedLong(row);
}

static PyGetSetDef view_getset[] = {
    {"_rows", get_rows, NULL, "The buffer's row table (decoded when first read).", NULL},
    {"_m", get_m, NULL, "The message's row in it.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* subtype_dealloc's work for this type only: it is final (no subclass, no finalizer, no
 * weak references), and its base's slots are never set (its own shadow them) */
static freefunc view_free;

static void view_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    for (int i = 0; i < N_SLOTS; i++) {
        PyObject *x = SLOT(self, i);
        SLOT(self, i) = NULL;
        Py_XDECREF(x);
    }
    view_free(self);
    Py_DECREF(tp);
}

/* The events' type: a final subtype of the Event named tuple whose dealloc is the
 * tuple's work only (its items follow its basic size, as for every variable-size object) */
static Py_ssize_t event_items;
static freefunc event_free;

static void event_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject **items = (PyObject **)((char *)self + event_items);
    Py_ssize_t n = PyTuple_Size(self);          /* 7 when made here; any, by tuple.__new__ */

    PyObject_GC_UnTrack(self);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = items[i];
        items[i] = NULL;
        Py_XDECREF(x);
    }
    event_free(self);
    Py_DECREF(tp);
}

static int make_event_type(PyObject *ev)
{
    PyObject *bs = PyObject_GetAttrString(ev, "__basicsize__"), *is, *bases, *t;
    Py_ssize_t basicsize = bs ? PyLong_AsSsize_t(bs) : -1, itemsize;

    Py_XDECREF(bs);
    is = PyObject_GetAttrString(ev, "__itemsize__");
    itemsize = is ? PyLong_AsSsize_t(is) : -1;
    Py_XDECREF(is);
    if (PyErr_Occurred())
        return -1;
    if (itemsize != (Py_ssize_t)sizeof(PyObject *) || basicsize < (Py_ssize_t)sizeof(PyObject)) {
        PyErr_SetString(PyExc_TypeError, "setup: the event type is not a tuple of objects");
        return -1;
    }
    /* the items where they are expected: a tuple's first item right after its basic size */
    bs = PyObject_GetAttrString((PyObject *)&PyTuple_Type, "__basicsize__");
    is = bs ? PyTuple_Pack(1, bs) : NULL;
    if (!is || PyLong_AsSsize_t(bs) != basicsize || *(PyObject **)((char *)is + basicsize) != bs) {
        Py_XDECREF(is);
        Py_XDECREF(bs);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "setup: the event type's items are not where a tuple's are");
        return -1;
    }
    Py_DECREF(is);
    Py_DECREF(bs);
    PyType_Slot slots[] = {
        {Py_tp_dealloc, (void *)event_dealloc},
        {Py_tp_doc, (void *)"An Event made by the C engine (a final Event subtype)."},
        {0, NULL},
    };
    PyType_Spec spec = {"pynetlink.events._engine.Event", (int)basicsize, (int)itemsize,
                        Py_TPFLAGS_DEFAULT, slots};
    bases = PyTuple_Pack(1, ev);
    if (!bases)
        return -1;
    t = PyType_FromSpecWithBases(&spec, bases);
    Py_DECREF(bases);
    if (!t)
        return -1;
    if (!(PyType_GetFlags((PyTypeObject *)t) & Py_TPFLAGS_HAVE_GC)) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_TypeError, "setup: the event type did not inherit garbage collection");
        return -1;
    }
    Py_XDECREF((PyObject *)event_type);
    event_type = (PyTypeObject *)t;
    event_items = basicsize;
    event_alloc = (allocfunc)PyType_GetSlot(event_type, Py_tp_alloc);
    event_free = (freefunc)PyType_GetSlot(event_type, Py_tp_free);
    return event_alloc && event_free ? 0 : -1;
}

static PyObject *setup(PyObject *mod, PyObject *args)
{
    PyObject *base, *ev, *bs, *dict_off, *weak_off, *bases, *t;
    PyTypeObject *bt;
    Py_ssize_t basicsize;
    long doff, woff;

    if (!PyArg_ParseTuple(args, "O!O!UUUUUO:setup", &PyType_Type, &base, &PyType_Type, &ev, &s_kind,
                          &s_new, &s_changed, &s_deleted, &s_origin, &decode_fn))
        return NULL;
    Py_INCREF(decode_fn);
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
    ordinal_off = basicsize + N_SLOTS * (Py_ssize_t)sizeof(PyObject *);
    PyType_Slot slots[] = {
        {Py_tp_members, view_members},
        {Py_tp_getset, view_getset},
        {Py_tp_dealloc, (void *)view_dealloc},
        {Py_tp_setattro, (void *)view_setattro},
        {Py_tp_doc, (void *)"An address event's view: AddressView whose family, address, prefixlen "
                            "and link are slots set when the event was made."},
        {0, NULL},
    };
    PyType_Spec spec = {"pynetlink.events._engine.AddressView",
                        (int)(ordinal_off + (Py_ssize_t)sizeof(PyObject *)), 0,
                        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, slots};
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
    view_free = (freefunc)PyType_GetSlot(view_type, Py_tp_free);
    if (make_event_type(ev) < 0)
        return NULL;
    Py_INCREF(s_kind);
    Py_INCREF(s_new);
    Py_INCREF(s_changed);
    Py_INCREF(s_deleted);
    Py_INCREF(s_origin);
    if (!view_alloc || !view_free || !event_alloc)
        return NULL;
    Py_INCREF(t);
    return t;
}

/* one understood message */
struct msg {
    uint32_t ordinal;    /* its place in the buffer */
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

/* Check message ``ordinal`` (``o``, ``len`` in a buffer of ``n`` bytes); 1 and *m filled when
 * understood, 0 otherwise. */
static int check_msg(const uint8_t *buf, size_t n, uint32_t ordinal, uint32_t type, uint32_t o, uint32_t len,
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
    m->ordinal = ordinal;
    m->aoff = (uint32_t)local;
    m->ifindex = (int32_t)ifa.ifa_index;
    m->family = ifa.ifa_family;
    m->plen = ifa.ifa_prefixlen;
    m->gone = type == RTM_DELADDR;
    return 1;
}

static PyObject *make_view(PyObject *src, const struct msg *m, PyObject *fam, PyObject *text,
                           PyObject *plen, PyObject *link)
{
    PyObject *v = view_alloc(view_type, 0);

    if (!v)
        return NULL;
#define SET(i, x) do { PyObject *x_ = (x); Py_INCREF(x_); SLOT(v, i) = x_; } while (0)
    SET(S_SRC, src);
    SET(S_H, Py_None);
    SET(S_C, Py_None);
    SET(S_B, i0);
    SET(S_FAMILY, fam);
    SET(S_ADDRESS, text);
    SET(S_PREFIXLEN, plen);
    SET(S_LINK, link);
#undef SET
    ORDINAL(v) = m->ordinal;
    PyObject_GC_UnTrack(v);                          /* acyclic: see view_setattro */
    return v;
}

/* Event(kind, action, view, previous, key, netns, origin); steals view, prev, key */
static PyObject *make_event(PyObject *action, PyObject *view, PyObject *prev, PyObject *key, PyObject *netns)
{
    PyObject *e = event_alloc(event_type, 7), **items;

    if (!e) {
        Py_DECREF(view);
        Py_DECREF(prev);
        Py_DECREF(key);
        return NULL;
    }
    items = (PyObject **)((char *)e + event_items);
    Py_INCREF(s_kind);
    items[0] = s_kind;
    Py_INCREF(action);
    items[1] = action;
    items[2] = view;
    items[3] = prev;
    items[4] = key;
    Py_INCREF(netns);
    items[5] = netns;
    Py_INCREF(s_origin);
    items[6] = s_origin;
    if (prev == Py_None || Py_TYPE(prev) == view_type)
        PyObject_GC_UnTrack(e);                      /* immutable, of acyclic objects */
    return e;
}

/* Keys made lately, by their bytes (family, prefix length, ifindex, address): a key is a
 * function of them, so a key found here is the one to make (a deletion or change then
 * reuses its add's key: no text formatted, no tuple made, the state's lookup finds the
 * same object). Direct-mapped, a newer key replacing an older one in its place. */
#define KEYS (1u << 14)
struct cached {
    uint8_t family, plen;
    int32_t ifindex;
    uint8_t addr[16];
    PyObject *key;
};
static struct cached *keys;

static uint32_t key_hash(const struct msg *m, const uint8_t *a, size_t alen)
{
    uint32_t h = 2166136261u ^ m->family ^ ((uint32_t)m->plen << 8) ^ ((uint32_t)m->ifindex << 16);

    for (size_t i = 0; i < alen; i++)
        h = (h ^ a[i]) * 16777619u;
    return (h ^ (h >> 15)) & (KEYS - 1);
}

/* (4 or 6, ifindex, address text, prefix length), new reference; untracked by the GC */
static PyObject *key_of(const uint8_t *buf, const struct msg *m)
{
    const uint8_t *a = buf + m->aoff;
    size_t alen = m->family == AF_INET ? 4 : 16, tlen;
    struct cached *c = NULL;
    char tmp[INET6_ADDRSTRLEN];
    PyObject *text, *link, *plen, *key;

    if (!keys)
        keys = PyMem_Calloc(KEYS, sizeof(*keys));
    if (keys) {
        c = &keys[key_hash(m, a, alen)];
        if (c->key && c->family == m->family && c->plen == m->plen && c->ifindex == m->ifindex
            && memcmp(c->addr, a, alen) == 0) {
            Py_INCREF(c->key);
            return c->key;
        }
    }
    if (m->family == AF_INET) {
        tlen = pnl_ipv4_text(a, tmp);
    } else {
        if (!inet_ntop(AF_INET6, a, tmp, sizeof(tmp))) {
            PyErr_SetFromErrno(PyExc_OSError);
            return NULL;
        }
        tlen = strnlen(tmp, sizeof(tmp));
    }
    text = PyUnicode_DecodeASCII(tmp, (Py_ssize_t)tlen, NULL);
    link = text ? PyLong_FromLong(m->ifindex) : NULL;
    plen = link ? PyLong_FromLong(m->plen) : NULL;
    key = plen ? PyTuple_Pack(4, m->family == AF_INET ? i4 : i6, link, text, plen) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(link);
    Py_XDECREF(plen);
    if (!key)
        return NULL;
    PyObject_GC_UnTrack(key);                        /* ints and a str: no cycle through it */
    if (c) {
        Py_XDECREF(c->key);
        c->family = m->family;
        c->plen = m->plen;
        c->ifindex = m->ifindex;
        memset(c->addr, 0, sizeof(c->addr));
        memcpy(c->addr, a, alen);
        Py_INCREF(key);
        c->key = key;
    }
    return key;
}

/* one message's event (appended to out), the state updated; -1 on error */
static int apply(PyObject *src, const uint8_t *buf, const struct msg *m, PyObject *state, PyObject *netns,
                 PyObject *out)
{
    PyObject *key, *view, *prev, *ev;
    int rc;

    key = key_of(buf, m);
    view = key ? make_view(src, m, PyTuple_GetItem(key, 0), PyTuple_GetItem(key, 2),
                           PyTuple_GetItem(key, 3), PyTuple_GetItem(key, 1)) : NULL;
    if (!view) {
        Py_XDECREF(key);
        return -1;
    }
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

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static PyObject *address_events(PyObject *mod, PyObject *args)
{
    PyObject *data, *state, *netns, *out, *src = NULL, *ret = NULL;
    Py_buffer bd;
    size_t n, p = 0, n_msgs = 0, n_ok = 0;
    int was_enabled, rc = 0;
    struct msg *msgs = NULL;
    const uint8_t *buf;

    if (!PyArg_ParseTuple(args, "OO!OO!:address_events", &data, &PyDict_Type, &state, &netns, &PyList_Type, &out))
        return NULL;
    if (!view_type) {
        PyErr_SetString(PyExc_RuntimeError, "address_events: setup() was not called");
        return NULL;
    }
    if (netns != Py_None && !PyUnicode_CheckExact(netns))
        Py_RETURN_FALSE;                             /* (events of it could not be left untracked) */
    if (PyObject_GetBuffer(data, &bd, PyBUF_SIMPLE) < 0)
        return NULL;
    buf = bd.buf;
    n = (size_t)bd.len;
    if (n > 0xffffffffu)
        goto declined;
    /* framed as pnl_decode frames it: messages up to trailing zero padding */
    while (p < n && !all_zero(buf + p, n - p)) {
        uint32_t len;

        if (n - p < 16)
            goto declined;
        memcpy(&len, buf + p, 4);
        if (len < 16 || len > n - p)
            goto declined;
        n_msgs++;
        p += NLMSG_ALIGN((size_t)len) < n - p ? NLMSG_ALIGN((size_t)len) : n - p;
    }
    if (!n_msgs || n_msgs > 0xffffffffu)
        goto declined;
    msgs = PyMem_Malloc(sizeof(*msgs) * n_msgs);
    if (!msgs) {
        PyErr_NoMemory();
        goto done;
    }
    /* pass 1: every message understood, or nothing done */
    p = 0;
    for (uint32_t k = 0; k < n_msgs; k++) {
        uint32_t len;
        uint16_t type;

        memcpy(&len, buf + p, 4);
        memcpy(&type, buf + p + 4, 2);
        if (!check_msg(buf, n, k, type, (uint32_t)p, len, &msgs[n_ok]))
            goto declined;
        n_ok++;
        p += NLMSG_ALIGN((size_t)len) < n - p ? NLMSG_ALIGN((size_t)len) : n - p;
    }
    src = PyList_New(3);
    if (!src)
        goto done;
    Py_INCREF(data);
    PyList_SetItem(src, 0, data);
    Py_INCREF(Py_None);
    PyList_SetItem(src, 1, Py_None);
    Py_INCREF(Py_None);
    PyList_SetItem(src, 2, Py_None);
    PyObject_GC_UnTrack(src);                        /* reachable from its views only */
    /* pass 2: the events, in the buffer's order. Views, events and keys are allocated as
     * collectable objects (and untracked): each allocation counts towards the collector's
     * threshold, which would run it every few hundred events, each run traversing what
     * the stream holds; it runs once after the buffer instead (when it was enabled). */
    was_enabled = PyGC_Disable();
    for (size_t i = 0; i < n_ok && rc == 0; i++)
        rc = apply(src, buf, &msgs[i], state, netns, out);
    if (was_enabled)
        PyGC_Enable();
    if (rc < 0)
        goto done;
    ret = Py_True;
    goto done;
declined:
    ret = Py_False;
done:
    PyMem_Free(msgs);
    Py_XDECREF(src);
    PyBuffer_Release(&bd);
    Py_XINCREF(ret);
    return ret;
}

static PyMethodDef methods[] = {
    {"setup", setup, METH_VARARGS,
     "setup(base_view, event, kind, new, changed, deleted, origin, decode) -> the view type: "
     "makes the AddressView subtype of events and records the Event type, its constant "
     "fields and the decoder of a buffer (data -> Rows)."},
    {"address_events", address_events, METH_VARARGS,
     "address_events(data, state, netns, out) -> bool: the events of a buffer of RTM_NEWADDR / "
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
