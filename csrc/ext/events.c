/* pynetlink.events._engine: the event stream's hot path in C (CPython's limited API, abi3).
 *
 * A receive buffer that holds only notifications of addresses, links, routes and
 * neighbours (no dump in flight) becomes its events in one call: per message, the key, one
 * view, the state lookup and update, the action and one Event tuple, in the order of the
 * buffer (so a key seen twice in a buffer sees its first change). The views are of
 * subtypes of rtnl's views made here (one per view class: AddressView, RouteView,
 * NeighbourView and each link kind's view), whose key fields are plain slots set at
 * creation (reading them calls no Python code): an address's family, address, prefixlen
 * and link; a link's index and name; a route's family, dst, table and metric; a
 * neighbour's family, link and ip. Every other field is the inherited property, read from
 * the buffer's row table (the codec's decode, once per buffer, shared by its views):
 * ``_rows`` and ``_m`` (and a link's ``_info`` and ``_data``) are computed attributes here.
 * The buffer is decoded when a view first needs it; one with attributes the decoder descends
 * into (a link's IFLA_LINKINFO, a route's RTA_METRICS, ...) is checked by the codec first
 * (a decode that keeps no table), as the Python engine's decode would check it.
 *
 * Nothing is changed unless the whole buffer is understood: a first pass frames the
 * messages as pnl_decode does and checks every message and top-level attribute length
 * against the buffer (and declines, returning None, on anything else: other message
 * types, a key attribute flagged, repeated or of an unexpected length, a link name or kind
 * that is not plain ASCII, a buffer the codec does not decode, ...); the Python engine then
 * takes the buffer, with its own checks and errors. Messages the Python engine leaves out
 * are left out alike (links of another family than AF_UNSPEC, cached routes, proxy
 * neighbours, families other than IPv4 and IPv6, kinds not watched). */
#include "pyext.h"
#include <stdio.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

enum { K_ADDR, K_LINK, K_ROUTE, K_NEIGH, N_KINDS };
/* every view type's own slots: these four, then its kind's fields; then the message's
 * ordinal in its buffer and (links) its ifi_flags, two C uint32. ``_source`` is the
 * buffer's [data, row table or None, message rows or None], shared by its views. */
enum { S_SRC, S_H, S_C, S_B, S_F0, MAX_SLOTS = 8 };
static const char *const COMMON[S_F0] = {"_source", "_h", "_c", "_b"};
static const char *const FIELDS[N_KINDS][4] = {
    {"family", "address", "prefixlen", "link"}, {"index", "name", "kind", NULL},
    {"family", "dst", "table", "metric"}, {"family", "link", "ip", NULL}};
static const int N_FIELDS[N_KINDS] = {4, 3, 4, 3};

struct vt {                   /* one view type made here */
    PyTypeObject *type;
    allocfunc alloc;
    freefunc free;
    Py_ssize_t off0;          /* its first slot */
    int nslots, kind;
    PyMemberDef members[MAX_SLOTS + 1];
    char name[96];
    PyObject *free_list;      /* views freed, kept for reuse (linked through their first slot) */
    int n_free;
};
/* Views and events freed are kept (up to FREE_MAX each) and made again from there: no
 * allocation, no zeroing, and no count towards the cyclic collector's threshold (CPython
 * keeps free lists of its own small objects the same way). They keep their type's
 * reference while kept. */
#define FREE_MAX 4096
#define MAX_VTS 64
static struct vt vts[MAX_VTS];
static struct vt *kind_vt[N_KINDS];       /* the view type of each kind but links */
static int n_vts;

static PyTypeObject *event_type;
static allocfunc event_alloc;
static PyObject *decode_fn;                      /* data -> Rows (the codec's decode) */
static PyObject *check_fn;                       /* data -> True when the codec decodes it (no table kept) */
static PyObject *descends[N_KINDS];              /* bytes: 1 at the attribute types the decoder descends into */
static const uint8_t *desc_bytes[N_KINDS];
static size_t desc_len[N_KINDS];
static PyObject *link_view_fn;                   /* IFLA_INFO_KIND text -> its view type */
/* the Event's constant fields, and constants of keys and views */
static PyObject *s_kinds[N_KINDS], *s_new, *s_changed, *s_deleted, *s_origin, *i4, *i6, *i0;
static PyObject *s_inet, *s_inet6, *s_default, *s_empty, *no_resyncs;

static struct vt *vt_of(PyTypeObject *t)
{
    static struct vt *last;

    if (last && last->type == t)
        return last;
    for (int i = 0; i < n_vts; i++)
        if (vts[i].type == t)
            return last = &vts[i];
    return NULL;
}

#define SLOT(v, vt, i) (*(PyObject **)((char *)(v) + (vt)->off0 + (Py_ssize_t)(i) * (Py_ssize_t)sizeof(PyObject *)))
#define ORDINAL(v, vt) (*(uint32_t *)((char *)(v) + (vt)->off0 + (Py_ssize_t)(vt)->nslots * (Py_ssize_t)sizeof(PyObject *)))
#define IFFLAGS(v, vt) (*(uint32_t *)((char *)(v) + (vt)->off0 + (Py_ssize_t)(vt)->nslots * (Py_ssize_t)sizeof(PyObject *) + 4))

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
        PyObject *tn = PyType_GetName(Py_TYPE(self));
        PyErr_Format(PyExc_AttributeError, "%S.%S is read-only", tn ? tn : Py_None, name);
        Py_XDECREF(tn);
        return -1;
    }
    return PyObject_GenericSetAttr(self, name, value);
}

/* the row table of a view's buffer, decoded on first use (borrowed), and its message rows */
static PyObject *source_rows(PyObject *src, PyObject **map)
{
    PyObject *rows, *end = NULL, *cnt = NULL, *m;
    Py_buffer b;
    Py_ssize_t count;
    uint32_t *out;
    size_t n = 0;

    if (!src || !PyList_CheckExact(src) || PyList_Size(src) != 3) {
        PyErr_SetString(PyExc_AttributeError, "view: no buffer (not made by the engine)");
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
    struct vt *vt = vt_of(Py_TYPE(self));
    PyObject *map, *rows = vt ? source_rows(SLOT(self, vt, S_SRC), &map) : NULL;

    Py_XINCREF(rows);
    return rows;
}

/* the message's row (-1 with an exception set) */
static long message_row(PyObject *self, PyObject **rows)
{
    struct vt *vt = vt_of(Py_TYPE(self));
    PyObject *map = NULL;
    uint32_t k, row;

    if (!vt || !(*rows = source_rows(SLOT(self, vt, S_SRC), &map)) || !map)
        return -1;
    k = ORDINAL(self, vt);
    if ((Py_ssize_t)k >= PyBytes_Size(map) / 4) {
        PyErr_Format(PyExc_RuntimeError, "message %u is not in the decoded buffer", k);
        return -1;
    }
    memcpy(&row, PyBytes_AsString(map) + (size_t)k * 4, 4);
    return (long)row;
}

static PyObject *get_m(PyObject *self, void *closure)
{
    PyObject *rows;
    long row = message_row(self, &rows);

    return row < 0 ? NULL : PyLong_FromLong(row);
}

/* a link's IFLA_LINKINFO row and its IFLA_INFO_DATA row (-1: none), as LinkView sets them */
static PyObject *get_info(PyObject *self, void *closure)
{
    PyObject *rows, *info;
    long row = message_row(self, &rows);

    if (row < 0)
        return NULL;
    info = PyObject_CallMethod(rows, "find", "li", row, (int)IFLA_LINKINFO);
    if (info && closure && PyLong_Check(info) && PyLong_AsLong(info) >= 0) {
        PyObject *data = PyObject_CallMethod(rows, "find", "Oi", info, (int)IFLA_INFO_DATA);
        Py_DECREF(info);
        return data;
    }
    if (info && closure) {
        Py_DECREF(info);
        return PyLong_FromLong(-1);
    }
    return info;
}

static PyGetSetDef view_getset[] = {
    {"_rows", get_rows, NULL, "The buffer's row table (decoded when first read).", NULL},
    {"_m", get_m, NULL, "The message's row in it.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyGetSetDef link_getset[] = {
    {"_rows", get_rows, NULL, "The buffer's row table.", NULL},
    {"_m", get_m, NULL, "The message's row in it.", NULL},
    {"_info", get_info, NULL, "The IFLA_LINKINFO row (-1: none).", NULL},
    {"_data", get_info, NULL, "The IFLA_INFO_DATA row (-1: none).", (void *)1},
    {NULL, NULL, NULL, NULL, NULL},
};

/* subtype_dealloc's work for these types only: they are final (no subclass, no finalizer,
 * no weak references), and their bases' slots are never set (their own shadow them) */
static void view_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    struct vt *vt = vt_of(tp);

    PyObject_GC_UnTrack(self);
    for (int i = 0; i < vt->nslots; i++) {
        PyObject *x = SLOT(self, vt, i);
        SLOT(self, vt, i) = NULL;
        Py_XDECREF(x);
    }
    if (vt->n_free < FREE_MAX) {
        SLOT(self, vt, 0) = vt->free_list;
        vt->free_list = self;
        vt->n_free++;
        return;
    }
    vt->free(self);
    Py_DECREF(tp);
}

/* a view of vt's type: from its free list, or allocated (untracked either way) */
static PyObject *view_new(struct vt *vt)
{
    PyObject *v = vt->free_list;

    if (v) {
        vt->free_list = SLOT(v, vt, 0);
        vt->n_free--;
        SLOT(v, vt, 0) = NULL;
        Py_SET_REFCNT(v, 1);
        return v;
    }
    v = vt->alloc(vt->type, 0);
    if (v)
        PyObject_GC_UnTrack(v);
    return v;
}

/* The events' type: a final subtype of the Event named tuple whose dealloc is the
 * tuple's work only (its items follow its basic size, as for every variable-size object) */
static Py_ssize_t event_items;
static freefunc event_free;
static PyObject *event_free_list;         /* events of 7 items freed, linked through item 0 */
static int n_event_free;

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
    if (n == 7 && tp == event_type && n_event_free < FREE_MAX) {
        items[0] = event_free_list;
        event_free_list = self;
        n_event_free++;
        return;
    }
    event_free(self);
    Py_DECREF(tp);
}

static char event_names[7][16];
static PyMemberDef event_members[8];

static int make_event_type(PyObject *ev)
{
    PyObject *fields;
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
    /* its fields as member descriptors reading the items (the named tuple's are its own
     * getters: the interpreter reads a member descriptor's slot without a call) */
    fields = PyObject_GetAttrString(ev, "_fields");
    if (!fields || !PyTuple_Check(fields) || PyTuple_Size(fields) != 7) {
        Py_XDECREF(fields);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "setup: the event type has not 7 fields");
        return -1;
    }
    for (int i = 0; i < 7; i++) {
        const char *u = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(fields, i), NULL);
        if (!u || strlen(u) >= sizeof(event_names[i])) {
            Py_DECREF(fields);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "setup: an event field's name is too long");
            return -1;
        }
        strcpy(event_names[i], u);
        event_members[i] = (PyMemberDef){event_names[i], T_OBJECT_EX,
                                         basicsize + i * (Py_ssize_t)sizeof(PyObject *), READONLY, NULL};
    }
    Py_DECREF(fields);
    event_members[7] = (PyMemberDef){NULL, 0, 0, 0, NULL};
    PyType_Slot slots[] = {
        {Py_tp_dealloc, (void *)event_dealloc},
        {Py_tp_members, event_members},
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

/* view_type(base, kind) -> a final subtype of ``base`` (a view class with __slots__ only)
 * for events of ``kind`` (0 address, 1 link, 2 route, 3 neighbour); one per base. */
static PyObject *view_type(PyObject *mod, PyObject *args)
{
    PyObject *base, *bases, *t, *qn;
    PyTypeObject *bt;
    Py_ssize_t basicsize;
    long doff, woff;
    int kind;
    struct vt *vt;

    if (!PyArg_ParseTuple(args, "O!i:view_type", &PyType_Type, &base, &kind))
        return NULL;
    if (kind < 0 || kind >= N_KINDS) {
        PyErr_SetString(PyExc_ValueError, "view_type: kind out of range");
        return NULL;
    }
    bt = (PyTypeObject *)base;
    if (n_vts >= MAX_VTS) {
        PyErr_SetString(PyExc_RuntimeError, "view_type: too many view types");
        return NULL;
    }
    if (pnl_type_layout(base, &basicsize, &doff, &woff) < 0)
        return NULL;
    if (basicsize < (Py_ssize_t)sizeof(PyObject) || doff != 0 || woff != 0
        || !(PyType_GetFlags(bt) & Py_TPFLAGS_HAVE_GC) || (PyType_GetFlags(bt) & Py_TPFLAGS_IS_ABSTRACT)) {
        PyErr_SetString(PyExc_TypeError, "view_type: the base view must be a class with __slots__ only");
        return NULL;
    }
    vt = &vts[n_vts];
    memset(vt, 0, sizeof(*vt));
    vt->kind = kind;
    vt->nslots = S_F0 + N_FIELDS[kind];
    vt->off0 = (basicsize + (Py_ssize_t)sizeof(PyObject *) - 1) & ~((Py_ssize_t)sizeof(PyObject *) - 1);
    for (int i = 0; i < vt->nslots; i++) {
        const char *n = i < S_F0 ? COMMON[i] : FIELDS[kind][i - S_F0];
        vt->members[i] = (PyMemberDef){(char *)n, T_OBJECT_EX,
                                       vt->off0 + i * (Py_ssize_t)sizeof(PyObject *), 0, NULL};
    }
    vt->members[vt->nslots] = (PyMemberDef){NULL, 0, 0, 0, NULL};
    qn = PyType_GetName(bt);
    if (!qn)
        return NULL;
    {
        const char *u = PyUnicode_AsUTF8AndSize(qn, NULL);
        snprintf(vt->name, sizeof(vt->name), "pynetlink.events._engine.%s", u ? u : "View");
    }
    Py_DECREF(qn);
    PyErr_Clear();
    PyType_Slot slots[] = {
        {Py_tp_members, vt->members},
        {Py_tp_getset, kind == K_LINK ? link_getset : view_getset},
        {Py_tp_dealloc, (void *)view_dealloc},
        {Py_tp_setattro, (void *)view_setattro},
        {Py_tp_doc, (void *)"An event's view: its base view class whose key fields are slots set when "
                            "the event was made."},
        {0, NULL},
    };
    PyType_Spec spec = {vt->name, (int)(vt->off0 + vt->nslots * (Py_ssize_t)sizeof(PyObject *) + 8), 0,
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
        PyErr_SetString(PyExc_TypeError, "view_type: the view type did not inherit garbage collection");
        return NULL;
    }
    vt->type = (PyTypeObject *)t;                  /* kept for the life of the process */
    vt->alloc = (allocfunc)PyType_GetSlot(vt->type, Py_tp_alloc);
    vt->free = (freefunc)PyType_GetSlot(vt->type, Py_tp_free);
    if (!vt->alloc || !vt->free)
        return NULL;
    n_vts++;
    if (kind != K_LINK)
        kind_vt[kind] = vt;
    Py_INCREF(t);
    return t;
}

/* Every argument is checked (and the event type made) before anything is kept: a failed
 * call changes nothing; a second call replaces (and releases) what the first kept. */
static PyObject *setup(PyObject *mod, PyObject *args)
{
    PyObject *ev, *kinds, *new_, *changed, *deleted, *origin, *dec, *chk, *lv, *desc;

    if (!PyArg_ParseTuple(args, "O!O!UUUUOOOO!:setup", &PyType_Type, &ev, &PyTuple_Type, &kinds, &new_,
                          &changed, &deleted, &origin, &dec, &chk, &lv, &PyTuple_Type, &desc))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)ev, &PyTuple_Type) || PyTuple_Size(kinds) != N_KINDS
        || PyTuple_Size(desc) != N_KINDS) {
        PyErr_SetString(PyExc_TypeError, "setup: the event type must be a tuple subclass, and 4 kind names "
                                         "and 4 descends tables given");
        return NULL;
    }
    for (int i = 0; i < N_KINDS; i++)
        if (!PyUnicode_CheckExact(PyTuple_GetItem(kinds, i)) || !PyBytes_CheckExact(PyTuple_GetItem(desc, i))) {
            PyErr_SetString(PyExc_TypeError, "setup: a kind name is not a str, or a descends table not bytes");
            return NULL;
        }
    if (!PyCallable_Check(dec) || !PyCallable_Check(chk) || !PyCallable_Check(lv)) {
        PyErr_SetString(PyExc_TypeError, "setup: decode, lean and link_view must be callable");
        return NULL;
    }
    if (make_event_type(ev) < 0)
        return NULL;
    for (int i = 0; i < N_KINDS; i++) {
        PyObject *d = PyTuple_GetItem(desc, i);
        Py_INCREF(d);
        Py_XSETREF(descends[i], d);
        desc_bytes[i] = (const uint8_t *)PyBytes_AsString(d);
        desc_len[i] = (size_t)PyBytes_Size(d);
        Py_INCREF(PyTuple_GetItem(kinds, i));
        Py_XSETREF(s_kinds[i], PyTuple_GetItem(kinds, i));
    }
#define KEEP(g, x) do { Py_INCREF(x); Py_XSETREF(g, x); } while (0)
    KEEP(s_new, new_);
    KEEP(s_changed, changed);
    KEEP(s_deleted, deleted);
    KEEP(s_origin, origin);
    KEEP(decode_fn, dec);
    KEEP(check_fn, chk);
    KEEP(link_view_fn, lv);
#undef KEEP
    Py_RETURN_NONE;
}

/* one understood message */
struct msg {
    uint32_t ordinal;         /* its place in the buffer */
    uint32_t aoff;            /* the address (address, route dst, neighbour ip) in the buffer */
    uint32_t noff, nlen;      /* a link's name */
    uint32_t table, metric, ifflags, ifchange;
    uint32_t kh;              /* the key cache's place of its key (KEYS: none) */
    int32_t ifindex;
    uint16_t iftype;
    uint8_t kind, gone, skip, family, plen, tos, rtype, alen, has_metric, link0, veth, flat;
    struct vt *vt;
    PyObject *kstr;           /* a link's kind (borrowed: the cache's), or None */
};

struct attr {
    uint32_t off, len;        /* the payload; off 0: absent */
};

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The attributes of [p, end): the first one of each type in ``want`` (types < 32) in at[];
 * 0 when malformed, when one of them is flagged or repeated, or (``strict``) any is flagged. */
static inline __attribute__((always_inline)) int walk(const uint8_t *buf, size_t p, size_t end, uint32_t want,
                                                       int strict, struct attr *at, int kind, uint8_t *flat)
{
    const uint8_t *d = kind >= 0 ? desc_bytes[kind] : NULL;
    size_t nd = kind >= 0 ? desc_len[kind] : 0;

    for (uint32_t w = want; w; w &= w - 1)
        at[__builtin_ctz(w)] = (struct attr){0, 0};
    while (p < end) {
        size_t alen, step;
        uint16_t t, type;

        if (end - p < 4)
            return 0;
        alen = rd16(buf + p);
        t = rd16(buf + p + 2);
        type = t & NLA_TYPE_MASK;
        if (alen < 4 || alen > end - p || (strict && (t & ~NLA_TYPE_MASK)))
            return 0;
        if (type < nd && d[type])
            *flat = 0;                           /* the decoder checks what is inside */
        if (type < 32 && (want >> type & 1)) {
            if ((t & ~NLA_TYPE_MASK) || at[type].off)
                return 0;
            at[type].off = (uint32_t)(p + 4);
            at[type].len = (uint32_t)(alen - 4);
        }
        step = NLA_ALIGN(alen);
        p = step > end - p ? end : p + step;
    }
    return 1;
}

/* a string attribute up to its first NUL: 1 when printable ASCII (*len set), else 0 */
static int ascii(const uint8_t *buf, const struct attr *a, uint32_t *len)
{
    uint32_t n = 0;

    while (n < a->len && buf[a->off + n])
        n++;
    for (uint32_t i = 0; i < n; i++)
        if (buf[a->off + i] < 0x20 || buf[a->off + i] > 0x7e)
            return 0;
    *len = n;
    return 1;
}

static const size_t HDR[N_KINDS] = {sizeof(struct ifaddrmsg), sizeof(struct ifinfomsg),
                                    sizeof(struct rtmsg), sizeof(struct ndmsg)};

/* link view types by IFLA_INFO_KIND text */
#define LINK_VTS 256
static struct {
    uint8_t len;
    char text[32];
    struct vt *vt;
    PyObject *kind;           /* the text as a str */
} link_vts[LINK_VTS];
static int n_link_vts;

/* the view type and kind str of a link of IFLA_INFO_KIND ``text``; 0: too many kinds seen
 * (declined), -1: error */
static int link_vt(const uint8_t *text, uint32_t len, struct msg *m)
{
    PyObject *s, *t;
    struct vt *vt;

    for (int i = 0; i < n_link_vts; i++)
        if (link_vts[i].len == len && memcmp(link_vts[i].text, text, len) == 0) {
            m->vt = link_vts[i].vt;
            m->kstr = link_vts[i].kind;
            return 1;
        }
    if (n_link_vts >= LINK_VTS)
        return 0;
    s = PyUnicode_DecodeASCII((const char *)text, len, NULL);
    t = s ? PyObject_CallFunctionObjArgs(link_view_fn, s, NULL) : NULL;
    if (!t) {
        Py_XDECREF(s);
        return -1;
    }
    vt = PyType_Check(t) ? vt_of((PyTypeObject *)t) : NULL;
    Py_DECREF(t);
    if (!vt || vt->kind != K_LINK) {
        Py_DECREF(s);
        PyErr_SetString(PyExc_TypeError, "link view: not a link view type made by view_type()");
        return -1;
    }
    link_vts[n_link_vts].len = (uint8_t)len;
    memcpy(link_vts[n_link_vts].text, text, len);
    link_vts[n_link_vts].vt = vt;
    link_vts[n_link_vts].kind = s;               /* kept for the life of the process */
    n_link_vts++;
    m->vt = vt;
    m->kstr = s;
    return 1;
}

/* Check message ``ordinal`` (at ``o``, ``len`` bytes, in a buffer of ``n``); 1 and *m
 * filled when understood, 0 otherwise, -1 on error. */
static int check_msg(const uint8_t *buf, size_t n, uint32_t ordinal, uint32_t type, uint32_t o, uint32_t len,
                     PyObject *const *states, struct msg *m)
{
    struct attr at[32];
    size_t end, p;
    int kind;

    memset(m, 0, sizeof(*m));
    m->flat = 0;
    switch (type) {
    case RTM_NEWADDR: case RTM_DELADDR: kind = K_ADDR; break;
    case RTM_NEWLINK: case RTM_DELLINK: kind = K_LINK; break;
    case RTM_NEWROUTE: case RTM_DELROUTE: kind = K_ROUTE; break;
    case RTM_NEWNEIGH: case RTM_DELNEIGH: kind = K_NEIGH; break;
    default: return 0;
    }
    m->kind = (uint8_t)kind;
    m->ordinal = ordinal;
    m->gone = type == RTM_DELADDR || type == RTM_DELLINK || type == RTM_DELROUTE || type == RTM_DELNEIGH;
    if (states[kind] == Py_None) {
        m->skip = 1;                             /* a kind not watched */
        return 1;
    }
    if (o > n || len > n - o || len < 16 + HDR[kind])
        return 0;
    m->flat = 1;
    end = (size_t)o + len;
    p = (size_t)o + 16 + HDR[kind];
    if (kind == K_ADDR) {
        struct ifaddrmsg ifa;
        struct attr *a;

        memcpy(&ifa, buf + o + 16, sizeof(ifa));
        if ((ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6) || (int32_t)ifa.ifa_index < 0)
            return 0;
        if (!walk(buf, p, end, 1u << IFA_LOCAL | 1u << IFA_ADDRESS | 1u << IFA_LABEL, 1, at, kind, &m->flat))
            return 0;
        a = at[IFA_LOCAL].off ? &at[IFA_LOCAL] : &at[IFA_ADDRESS];
        if (!a->off || a->len != (ifa.ifa_family == AF_INET ? 4u : 16u))
            return 0;
        m->aoff = a->off;
        m->alen = (uint8_t)a->len;
        m->ifindex = (int32_t)ifa.ifa_index;
        m->family = ifa.ifa_family;
        m->plen = ifa.ifa_prefixlen;
    } else if (kind == K_LINK) {
        struct ifinfomsg ifi;
        struct attr ki[32];
        uint32_t klen = 0;
        int got;

        memcpy(&ifi, buf + o + 16, sizeof(ifi));
        if (ifi.ifi_family != AF_UNSPEC) {
            m->skip = 1;                         /* AF_BRIDGE ones describe bridge ports */
            m->flat = 0;
            return 1;
        }
        if (ifi.ifi_index < 0 || !walk(buf, p, end, 1u << IFLA_IFNAME | 1u << IFLA_LINK | 1u << IFLA_LINKINFO, 0, at,
                                       kind, &m->flat))
            return 0;
        if (at[IFLA_IFNAME].off && !ascii(buf, &at[IFLA_IFNAME], &m->nlen))
            return 0;
        m->noff = at[IFLA_IFNAME].off;
        if (at[IFLA_LINK].off) {
            if (at[IFLA_LINK].len != 4)
                return 0;
            m->link0 = rd32(buf + at[IFLA_LINK].off) == 0;
        }
        ki[IFLA_INFO_KIND] = (struct attr){0, 0};
        if (at[IFLA_LINKINFO].off) {
            if (!walk(buf, at[IFLA_LINKINFO].off, (size_t)at[IFLA_LINKINFO].off + at[IFLA_LINKINFO].len,
                      1u << IFLA_INFO_KIND, 0, ki, -1, NULL))
                return 0;
            if (ki[IFLA_INFO_KIND].off && (!ascii(buf, &ki[IFLA_INFO_KIND], &klen) || klen > 31))
                return 0;
        }
        m->veth = klen == 4 && memcmp(buf + ki[IFLA_INFO_KIND].off, "veth", 4) == 0;
        got = link_vt(buf + ki[IFLA_INFO_KIND].off, klen, m);
        if (got <= 0)
            return got;
        if (!ki[IFLA_INFO_KIND].off)
            m->kstr = Py_None;                   /* no kind (lo, a NIC) */
        m->ifindex = ifi.ifi_index;
        m->ifflags = ifi.ifi_flags;
        m->ifchange = ifi.ifi_change;
        m->iftype = ifi.ifi_type;
    } else if (kind == K_ROUTE) {
        struct rtmsg rtm;

        memcpy(&rtm, buf + o + 16, sizeof(rtm));
        if ((rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6) || (rtm.rtm_flags & RTM_F_CLONED)) {
            m->skip = 1;                         /* as RouteKind.parse */
            m->flat = 0;
            return 1;
        }
        if (!walk(buf, p, end, 1u << RTA_DST | 1u << RTA_PRIORITY | 1u << RTA_TABLE, 0, at, kind, &m->flat))
            return 0;
        if ((at[RTA_DST].off && at[RTA_DST].len != (rtm.rtm_family == AF_INET ? 4u : 16u))
            || (at[RTA_TABLE].off && at[RTA_TABLE].len != 4) || (at[RTA_PRIORITY].off && at[RTA_PRIORITY].len != 4))
            return 0;
        m->family = rtm.rtm_family;
        m->plen = rtm.rtm_dst_len;
        m->tos = rtm.rtm_tos;
        m->rtype = rtm.rtm_type;
        m->table = at[RTA_TABLE].off ? rd32(buf + at[RTA_TABLE].off) : rtm.rtm_table;
        m->has_metric = at[RTA_PRIORITY].off != 0;
        m->metric = m->has_metric ? rd32(buf + at[RTA_PRIORITY].off) : 0;
        m->aoff = at[RTA_DST].off;
        m->alen = (uint8_t)at[RTA_DST].len;
    } else {
        struct ndmsg nd;

        memcpy(&nd, buf + o + 16, sizeof(nd));
        if ((nd.ndm_family != AF_INET && nd.ndm_family != AF_INET6) || (nd.ndm_flags & NTF_PROXY)) {
            m->skip = 1;                         /* as NeighbourKind.parse */
            m->flat = 0;
            return 1;
        }
        if (!walk(buf, p, end, 1u << NDA_DST, 0, at, kind, &m->flat))
            return 0;
        if (at[NDA_DST].off && at[NDA_DST].len != (nd.ndm_family == AF_INET ? 4u : 16u))
            return 0;
        m->family = nd.ndm_family;
        m->ifindex = nd.ndm_ifindex;
        m->aoff = at[NDA_DST].off;
        m->alen = (uint8_t)at[NDA_DST].len;
    }
    if (kind != K_LINK)
        m->vt = kind_vt[kind];
    return m->vt ? 1 : 0;
}

/* Keys made lately, by their bytes (the kind and what the key is made of): a key is a
 * function of them, so a key found here is the one to make (a deletion or change then
 * reuses its add's key: no text formatted, no tuple made, the state's lookup finds the
 * same object). Direct-mapped, a newer key replacing an older one in its place. */
#define KEYS (1u << 15)               /* in pairs: a pair is one 64-byte line, its newer key first */
#define KEYMAT 23                 /* an entry is 32 bytes */
struct cached {
    uint8_t len;
    uint8_t mat[KEYMAT];
    PyObject *key;
};
static struct cached *keys;

static size_t put(uint8_t *mat, size_t k, const void *p, size_t n)
{
    memcpy(mat + k, p, n);
    return k + n;
}

/* the bytes a key is made of (up to 31) */
static size_t material(const uint8_t *buf, const struct msg *m, uint8_t *mat)
{
    size_t k = 0;

    mat[k++] = (uint8_t)(m->kind << 5 | m->alen);     /* alen <= 16 */
    mat[k++] = m->family;
    if (m->kind == K_ADDR) {
        mat[k++] = m->plen;
        k = put(mat, k, &m->ifindex, 4);
    } else if (m->kind == K_ROUTE) {
        mat[k++] = m->plen;
        mat[k++] = m->tos;
        mat[k++] = m->rtype;
        mat[k++] = m->has_metric;
        k = put(mat, k, &m->table, 4);
        k = put(mat, k, &m->metric, 4);
    } else {
        k = put(mat, k, &m->ifindex, 4);
    }
    return put(mat, k, buf + m->aoff, m->alen);
}

/* the place of a cache entry's 24 bytes (length, material zero-padded to 23) */
static uint32_t mat_hash(const uint8_t *e)
{
    uint64_t w[3], h;

    memcpy(w, e, 24);
    h = (w[0] * 0x9E3779B97F4A7C15u) ^ (w[1] * 0xC2B2AE3D27D4EB4Fu) ^ (w[2] * 0x165667B19E3779F9u);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9u;
    return (uint32_t)(h >> 40) & (KEYS - 2);
}

/* an address as text (4 or 16 bytes), with "/plen" when ``with_plen``; NULL with an
 * exception set */
static PyObject *ip_text(const uint8_t *a, size_t alen, int with_plen, unsigned plen)
{
    char tmp[INET6_ADDRSTRLEN + 24];
    size_t tlen = pnl_addr_text(a, alen, tmp);

    if (!tlen) {
        PyErr_SetString(PyExc_ValueError, "events: an address of neither 4 nor 16 bytes");
        return NULL;
    }
    if (with_plen)
        tlen += pnl_plen_text(plen, tmp + tlen);
    return PyUnicode_DecodeASCII(tmp, (Py_ssize_t)tlen, NULL);
}

static PyObject *make_key(const uint8_t *buf, const struct msg *m)
{
    PyObject *fam = m->family == AF_INET ? i4 : i6, *a = NULL, *b = NULL, *c = NULL, *d = NULL, *key = NULL;
    const uint8_t *addr = buf + m->aoff;

    if (m->kind == K_ADDR) {
        a = ip_text(addr, m->alen, 0, 0);
        b = a ? PyLong_FromLong(m->ifindex) : NULL;
        c = b ? PyLong_FromLong(m->plen) : NULL;
        key = c ? PyTuple_Pack(4, fam, b, a, c) : NULL;
    } else if (m->kind == K_ROUTE) {
        if (m->alen) {
            a = ip_text(addr, m->alen, 1, m->plen);
        } else if (m->plen == 0) {
            a = s_default;
            Py_INCREF(a);
        } else {
            a = PyUnicode_FromFormat("None/%u", (unsigned)m->plen);
        }
        b = a ? PyLong_FromUnsignedLong(m->table) : NULL;
        c = b ? PyLong_FromLong(m->rtype) : NULL;
        d = c ? PyLong_FromLong(m->tos) : NULL;
        if (d) {
            PyObject *metric = m->has_metric ? PyLong_FromUnsignedLong(m->metric) : Py_None;
            if (metric == Py_None)
                Py_INCREF(metric);
            key = metric ? PyTuple_Pack(6, fam, b, c, d, a, metric) : NULL;
            Py_XDECREF(metric);
        }
    } else {
        if (m->alen) {
            a = ip_text(addr, m->alen, 0, 0);
        } else {
            a = Py_None;
            Py_INCREF(a);
        }
        b = a ? PyLong_FromLong(m->ifindex) : NULL;
        key = b ? PyTuple_Pack(3, m->family == AF_INET ? s_inet : s_inet6, b, a) : NULL;
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
    Py_XDECREF(d);
    if (key)
        PyObject_GC_UnTrack(key);                    /* ints, str and None: no cycle through it */
    return key;
}

/* the message's key, new reference: a link's ifindex, else a tuple (untracked by the GC) */
static PyObject *key_of(const uint8_t *buf, const struct msg *m)
{
    uint8_t e[40] = {0}, *mat = e + 1;           /* an entry's first 24 bytes: length, material */
    size_t n;
    struct cached *c = NULL;
    PyObject *key;

    if (m->kind == K_LINK)
        return PyLong_FromLong(m->ifindex);
    n = material(buf, m, mat);
    e[0] = (uint8_t)n;
    if (keys && m->kh < KEYS) {
        c = &keys[m->kh];
        for (int i = 0; i < 2; i++)
            if (c[i].key && memcmp(&c[i], e, 24) == 0) {
                Py_INCREF(c[i].key);
                return c[i].key;
            }
    }
    key = make_key(buf, m);
    if (key && c) {                              /* the older of the pair goes */
        Py_XDECREF(c[1].key);
        c[1] = c[0];
        memcpy(&c[0], e, 24);
        Py_INCREF(key);
        c[0].key = key;
    }
    return key;
}

/* pass 1: where the message's key is cached (an IPv6 route's key is not kept), fetched into
 * the CPU's cache while the other messages are checked */
static void key_place(const uint8_t *buf, struct msg *m)
{
    uint8_t e[40] = {0};
    size_t n;

    m->kh = KEYS;
    if (!keys) {
        char *raw = PyMem_Calloc(KEYS + 2, sizeof(*keys));     /* never freed */
        keys = raw ? (struct cached *)(((uintptr_t)raw + 63) & ~(uintptr_t)63) : NULL;
    }
    if (!keys || m->kind == K_LINK || m->skip)
        return;
    n = material(buf, m, e + 1);
    e[0] = (uint8_t)n;
    if (n <= KEYMAT) {
        m->kh = mat_hash(e);
        __builtin_prefetch(&keys[m->kh]);
    }
}

static PyObject *make_view(PyObject *src, const uint8_t *buf, const struct msg *m, PyObject *key)
{
    struct vt *vt = m->vt;
    PyObject *v, *f[4] = {NULL, NULL, NULL, NULL}, *name = NULL, *h = NULL;
    int nf = N_FIELDS[m->kind];

    if (m->kind == K_ADDR) {
        f[0] = PyTuple_GetItem(key, 0);
        f[1] = PyTuple_GetItem(key, 2);
        f[2] = PyTuple_GetItem(key, 3);
        f[3] = PyTuple_GetItem(key, 1);
    } else if (m->kind == K_LINK) {
        if (m->nlen) {
            name = PyUnicode_DecodeASCII((const char *)buf + m->noff, m->nlen, NULL);
            if (!name)
                return NULL;
        } else {
            name = s_empty;
            Py_INCREF(name);
        }
        f[0] = key;
        f[1] = name;
        f[2] = m->kstr;
        h = Py_BuildValue("(iiiII)", 0, (int)m->iftype, (int)m->ifindex, (unsigned)m->ifflags,
                          (unsigned)m->ifchange);
        if (!h) {
            Py_DECREF(name);
            return NULL;
        }
        PyObject_GC_UnTrack(h);                  /* ints only */
    } else if (m->kind == K_ROUTE) {
        f[0] = PyTuple_GetItem(key, 0);
        f[1] = PyTuple_GetItem(key, 4);
        f[2] = PyTuple_GetItem(key, 1);
        f[3] = PyTuple_GetItem(key, 5);
    } else {
        f[0] = PyTuple_GetItem(key, 0);
        f[1] = PyTuple_GetItem(key, 1);
        f[2] = PyTuple_GetItem(key, 2);
    }
    v = view_new(vt);
    if (!v) {
        Py_XDECREF(name);
        Py_XDECREF(h);
        return NULL;
    }
#define SET(i, x) do { PyObject *x_ = (x); Py_INCREF(x_); SLOT(v, vt, i) = x_; } while (0)
    SET(S_SRC, src);
    SET(S_H, h ? h : Py_None);
    SET(S_C, Py_None);
    SET(S_B, i0);
    for (int i = 0; i < nf; i++)
        SET(S_F0 + i, f[i]);
#undef SET
    Py_XDECREF(name);
    Py_XDECREF(h);
    ORDINAL(v, vt) = m->ordinal;
    IFFLAGS(v, vt) = m->ifflags;
    return v;                                    /* untracked: acyclic, see view_setattro */
}

/* Event(kind, action, view, previous, key, netns, origin); steals view, prev, key */
static PyObject *make_event(PyObject *kind, PyObject *action, PyObject *view, PyObject *prev, PyObject *key,
                            PyObject *netns)
{
    PyObject *e = event_free_list, **items;

    if (e) {                                     /* untracked, 7 items */
        event_free_list = ((PyObject **)((char *)e + event_items))[0];
        n_event_free--;
        Py_SET_REFCNT(e, 1);
    } else if ((e = event_alloc(event_type, 7))) {
        PyObject_GC_UnTrack(e);
    }
    if (!e) {
        Py_DECREF(view);
        Py_DECREF(prev);
        Py_DECREF(key);
        return NULL;
    }
    items = (PyObject **)((char *)e + event_items);
    Py_INCREF(kind);
    items[0] = kind;
    Py_INCREF(action);
    items[1] = action;
    items[2] = view;
    items[3] = prev;
    items[4] = key;
    Py_INCREF(netns);
    items[5] = netns;
    Py_INCREF(s_origin);
    items[6] = s_origin;
    if (prev != Py_None && !vt_of(Py_TYPE(prev)))
        PyObject_GC_Track(e);                    /* else immutable, of acyclic objects: untracked */
    return e;
}

/* the kinds to dump again after a link's change, as LinkKind.resyncs says */
static PyObject *s_route, *s_neighbour, *s_nexthop, *s_iprule, *s_link;
#define UP_MASK (0x1u | 0x10000u)                 /* IFF_UP | IFF_LOWER_UP */

static int add_names(PyObject **list, PyObject *const *names, int n)
{
    if (!*list && !(*list = PyList_New(0)))
        return -1;
    for (int i = 0; i < n; i++) {
        int has = PySequence_Contains(*list, names[i]);
        if (has < 0 || (!has && PyList_Append(*list, names[i]) < 0))
            return -1;
    }
    return 0;
}

static int link_resyncs(const struct msg *m, PyObject *prev, PyObject *view, PyObject **list)
{
    struct vt *pvt;
    uint32_t pflags;
    PyObject *pname, *names[4];
    int differs;

    if (m->gone) {
        names[0] = s_route, names[1] = s_neighbour, names[2] = s_nexthop, names[3] = s_iprule;
        return add_names(list, names, 4);
    }
    if (!prev) {
        names[0] = s_link, names[1] = s_iprule;
        return m->link0 && m->veth ? add_names(list, names, 2) : add_names(list, names + 1, 1);
    }
    pvt = vt_of(Py_TYPE(prev));
    if (pvt && pvt->kind == K_LINK) {
        pflags = IFFLAGS(prev, pvt);
        pname = SLOT(prev, pvt, S_F0 + 1);
        Py_INCREF(pname);
    } else {                                     /* a view from a dump */
        PyObject *h = PyObject_GetAttrString(prev, "_header"), *f;
        f = h ? PySequence_GetItem(h, 3) : NULL;
        Py_XDECREF(h);
        if (!f)
            return -1;
        pflags = (uint32_t)PyLong_AsUnsignedLongMask(f);
        Py_DECREF(f);
        if (PyErr_Occurred())
            return -1;
        pname = NULL;
    }
    if ((pflags & UP_MASK) != (m->ifflags & UP_MASK)) {
        Py_XDECREF(pname);
        names[0] = s_route, names[1] = s_nexthop;
        return add_names(list, names, 2);
    }
    if (!pname && !(pname = PyObject_GetAttrString(prev, "name")))
        return -1;
    {
        struct vt *vt = m->vt;
        differs = PyObject_RichCompareBool(pname, SLOT(view, vt, S_F0 + 1), Py_NE);
    }
    Py_DECREF(pname);
    if (differs < 0)
        return -1;
    names[0] = s_iprule;
    return differs ? add_names(list, names, 1) : 0;
}

/* one message's event (appended to out), the state updated; -1 on error */
static int apply(PyObject *src, const uint8_t *buf, const struct msg *m, PyObject *state, PyObject *netns,
                 PyObject *out, PyObject **resyncs)
{
    PyObject *key, *view, *prev, *ev, *kind = s_kinds[m->kind];
    int rc;

    key = key_of(buf, m);
    view = key ? make_view(src, buf, m, key) : NULL;
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
        ev = make_event(kind, s_deleted, view, prev, key, netns);
    } else {
        if (PyDict_SetItem(state, key, view) < 0) {
            Py_XDECREF(prev);
            goto fail;
        }
        if (prev) {
            ev = make_event(kind, s_changed, view, prev, key, netns);
        } else {
            Py_INCREF(Py_None);
            ev = make_event(kind, s_new, view, Py_None, key, netns);
        }
    }
    if (!ev)
        return -1;
    rc = PyList_Append(out, ev);
    if (rc == 0 && m->kind == K_LINK) {
        PyObject *p = PyTuple_GetItem(ev, 3), *v = PyTuple_GetItem(ev, 2);
        rc = link_resyncs(m, p == Py_None ? NULL : p, v, resyncs);
    }
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

static PyObject *events(PyObject *mod, PyObject *args)
{
    PyObject *data, *states, *netns, *out, *src = NULL, *ret = NULL, *resyncs = NULL, *st[N_KINDS];
    Py_buffer bd;
    size_t n, p = 0, n_msgs = 0;
    int was_enabled, rc = 0, eager = 0;
    struct msg *msgs = NULL;
    const uint8_t *buf;

    if (!PyArg_ParseTuple(args, "OO!OO!:events", &data, &PyTuple_Type, &states, &netns, &PyList_Type, &out))
        return NULL;
    if (!event_type || PyTuple_Size(states) != N_KINDS) {
        PyErr_SetString(PyExc_RuntimeError, "events: setup() not called, or not 4 states");
        return NULL;
    }
    for (int i = 0; i < N_KINDS; i++) {
        st[i] = PyTuple_GetItem(states, i);
        if (st[i] != Py_None && !PyDict_CheckExact(st[i])) {
            PyErr_SetString(PyExc_TypeError, "events: a state is neither a dict nor None");
            return NULL;
        }
    }
    if (netns != Py_None && !PyUnicode_CheckExact(netns))
        Py_RETURN_NONE;                              /* (events of it could not be left untracked) */
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
    if (!n_msgs)                                 /* (n <= 0xffffffff: n_msgs <= n / 16 fits a uint32) */
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
        int ok;

        memcpy(&len, buf + p, 4);
        memcpy(&type, buf + p + 4, 2);
        ok = check_msg(buf, n, k, type, (uint32_t)p, len, st, &msgs[k]);
        if (ok < 0)
            goto done;
        if (!ok)
            goto declined;
        eager |= !msgs[k].flat;
        key_place(buf, &msgs[k]);
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
    if (eager) {                                 /* nested attributes: the codec checks them */
        PyObject *ok = PyObject_CallFunctionObjArgs(check_fn, data, NULL);
        if (!ok)
            goto done;
        Py_DECREF(ok);
        if (ok != Py_True)
            goto declined;                       /* the Python engine raises its error */
    }
    /* pass 2: the events, in the buffer's order. Views, events and keys are allocated as
     * collectable objects (and untracked): each allocation counts towards the collector's
     * threshold, which would run it every few hundred events, each run traversing what
     * the stream holds; it runs once after the buffer instead (when it was enabled). */
    was_enabled = PyGC_Disable();
    for (size_t i = 0; i < n_msgs && rc == 0; i++)
        if (!msgs[i].skip)
            rc = apply(src, buf, &msgs[i], st[msgs[i].kind], netns, out, &resyncs);
    if (was_enabled)
        PyGC_Enable();
    if (rc < 0)
        goto done;
    if (resyncs)
        ret = PyList_AsTuple(resyncs);
    else {
        ret = no_resyncs;
        Py_INCREF(ret);
    }
    goto done;
declined:
    ret = Py_None;
    Py_INCREF(ret);
done:
    PyMem_Free(msgs);
    Py_XDECREF(src);
    Py_XDECREF(resyncs);
    PyBuffer_Release(&bd);
    return ret;
}

static PyMethodDef methods[] = {
    {"setup", setup, METH_VARARGS,
     "setup(event, kinds, new, changed, deleted, origin, decode, lean, link_view, descends): "
     "records the Event type, its constant fields (kinds: the names of address, link, route, "
     "neighbour), the decoder of a buffer (data -> Rows), its check (data -> True when it "
     "decodes, no table kept), link_view (IFLA_INFO_KIND text -> a link view type made by view_type) "
     "and per kind the attribute types the decoder descends into (bytes, 1 at each)."},
    {"view_type", view_type, METH_VARARGS,
     "view_type(base, kind) -> a final subtype of the view class base for events of kind "
     "(0 address, 1 link, 2 route, 3 neighbour) whose key fields are slots."},
    {"events", events, METH_VARARGS,
     "events(data, states, netns, out) -> tuple or None: the events of a buffer of address, "
     "link, route and neighbour notifications appended to out and applied to states (a dict "
     "per kind, None: not watched); the kinds to dump again (a link's changes); None: not "
     "understood, nothing done."},
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
    s_inet = PyUnicode_InternFromString("inet");
    s_inet6 = PyUnicode_InternFromString("inet6");
    s_default = PyUnicode_InternFromString("default");
    s_empty = PyUnicode_FromStringAndSize("", 0);
    s_route = PyUnicode_InternFromString("route");
    s_neighbour = PyUnicode_InternFromString("neighbour");
    s_nexthop = PyUnicode_InternFromString("nexthop");
    s_iprule = PyUnicode_InternFromString("iprule");
    s_link = PyUnicode_InternFromString("link");
    no_resyncs = PyTuple_New(0);
    if (!i4 || !i6 || !i0 || !s_inet || !s_inet6 || !s_default || !s_empty || !s_route || !s_neighbour
        || !s_nexthop || !s_iprule || !s_link || !no_resyncs)
        return NULL;
    return PyModule_Create(&module);
}
