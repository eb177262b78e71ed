/* pynetlink.codec._cview: dump views whose rows stay in C until a field is read (CPython's
 * limited API, abi3).
 *
 * Three types:
 *  - Table: a dump's plucked columns (one flat u64 array, ``width`` words per message: its row,
 *    then the columns of a Pluck spec) over the received bytes. Indexed as the list a
 *    ``columns.table`` is (column j made on first use as ``flat[j::width]``, then the text slots,
 *    then (data, flat, width)), so Python code written for that list reads it unchanged; C
 *    reads the flat array through the buffer pointers it holds.
 *  - View: the base of every message view (rtnl's MessageView): ``_rows``, ``_h``, ``_c`` in
 *    one reference (a dump's view: its Table), ``_m`` and ``_b`` as C integers (a view costs
 *    one 32-byte object, no ints; compact() makes the final subtypes of a dump's views).
 *  - Field: a descriptor reading one field of a view from its Table in C (one of a few
 *    operations: an integer, a name from a dict, an address or string as text...); where the
 *    view has no Table, or the value is absent in a way the Python reader handles (a short
 *    message, a malformed address), it calls that reader, the property it was made from.
 *
 * ``views()`` makes every view of a Table in one call. Every span is checked against the
 * buffer and every index against the table; what does not check out goes to the Python
 * reader, which raises DecodeError on malformed content. */
#include "pyext.h"

#define NONE UINT64_MAX                     /* a plucked column's "absent" (PNL_P_NONE) */

static PyTypeObject *table_type, *view_type, *field_type;
static PyTypeObject *compact_rows;           /* what a compact view's _rows may be */

/* -- Table ----------------------------------------------------------------------------------- */
typedef struct {
    PyObject_HEAD
    PyObject *items;        /* list: columns (None until made), text slots, (data, flat, width) */
    PyObject *rows;         /* the decoded buffer (codec.rows.Rows) the views share */
    Py_buffer bdata, bflat;
    const uint8_t *buf;
    Py_ssize_t buflen, n, width;
    const uint64_t *cols;
} Table;

static PyObject *table_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PyObject *data, *flat, *rows, *last = NULL;
    Py_ssize_t width, texts;
    Table *t;

    if (kw && PyDict_Size(kw)) {
        PyErr_SetString(PyExc_TypeError, "Table() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OOOnn:Table", &rows, &data, &flat, &width, &texts))
        return NULL;
    if (width < 1 || width > 0xffff || texts < 0 || texts > 0xffff) {
        PyErr_SetString(PyExc_ValueError, "Table: width or texts out of range");
        return NULL;
    }
    t = (Table *)((allocfunc)PyType_GetSlot(tp, Py_tp_alloc))(tp, 0);
    if (!t)
        return NULL;
    if (PyObject_GetBuffer(data, &t->bdata, PyBUF_SIMPLE) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    t->buf = t->bdata.buf;
    t->buflen = t->bdata.len;
    if (PyObject_GetBuffer(flat, &t->bflat, PyBUF_SIMPLE) < 0) {   /* (bflat.obj left NULL) */
        Py_DECREF(t);
        return NULL;
    }
    if (t->bflat.len % (8 * width) || (t->bflat.len && ((uintptr_t)t->bflat.buf & 7))) {
        PyErr_SetString(PyExc_ValueError, "Table: flat is not an aligned array of width u64 rows");
        Py_DECREF(t);
        return NULL;
    }
    t->cols = t->bflat.buf;
    t->n = t->bflat.len / (8 * width);
    t->width = width;
    t->items = PyList_New(width + texts + 1);
    if (!t->items) {
        Py_DECREF(t);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < width + texts; i++) {
        Py_INCREF(Py_None);
        PyList_SetItem(t->items, i, Py_None);
    }
    last = Py_BuildValue("(OOn)", data, flat, width);
    if (!last || PyList_SetItem(t->items, width + texts, last) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    Py_INCREF(rows);
    t->rows = rows;
    return (PyObject *)t;
}

static int table_traverse(PyObject *self, visitproc visit, void *arg)
{
    Table *t = (Table *)self;

    Py_VISIT(t->items);
    Py_VISIT(t->rows);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int table_clear(PyObject *self)
{
    Table *t = (Table *)self;

    Py_CLEAR(t->items);
    Py_CLEAR(t->rows);
    return 0;
}

static void table_dealloc(PyObject *self)
{
    Table *t = (Table *)self;
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    table_clear(self);
    if (t->bflat.obj)
        PyBuffer_Release(&t->bflat);
    if (t->bdata.obj)
        PyBuffer_Release(&t->bdata);
    ((freefunc)PyType_GetSlot(tp, Py_tp_free))(self);
    Py_DECREF(tp);
}

static Py_ssize_t table_len(PyObject *self)
{
    Table *t = (Table *)self;

    return t->items ? PyList_Size(t->items) : 0;
}

/* column j of the flat array, made now (flat[j::width]) and kept */
static PyObject *table_column(Table *t, Py_ssize_t j)
{
    PyObject *flat = PyTuple_GetItem(PyList_GetItem(t->items, PyList_Size(t->items) - 1), 1);
    PyObject *start, *step, *sl, *col;

    if (!flat)
        return NULL;
    start = PyLong_FromSsize_t(j);
    step = PyLong_FromSsize_t(t->width);
    sl = start && step ? PySlice_New(start, Py_None, step) : NULL;
    Py_XDECREF(start);
    Py_XDECREF(step);
    col = sl ? PyObject_GetItem(flat, sl) : NULL;
    Py_XDECREF(sl);
    if (col && PyList_SetItem(t->items, j, col) < 0)
        return NULL;
    return col;                                 /* borrowed from items */
}

static PyObject *table_getitem(PyObject *self, PyObject *key)
{
    Table *t = (Table *)self;
    Py_ssize_t i, n;
    PyObject *x;

    if (!t->items) {
        PyErr_SetString(PyExc_RuntimeError, "Table: cleared");
        return NULL;
    }
    if (!PyLong_Check(key))
        return PyObject_GetItem(t->items, key);
    i = PyLong_AsSsize_t(key);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    n = PyList_Size(t->items);
    if (i < 0)
        i += n;
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "Table index out of range");
        return NULL;
    }
    x = PyList_GetItem(t->items, i);
    if (x == Py_None && i < t->width)
        x = table_column(t, i);
    Py_XINCREF(x);
    return x;
}

/* Only a text slot is written (by columns.text and the views' own text columns): a list of
 * str or None, kept as a tuple. So the items keep their shape, and nothing a Table holds
 * refers to a view (views() leaves its views out of the collector: a cycle through one of
 * them would never be freed). */
static int table_setitem(PyObject *self, PyObject *key, PyObject *value)
{
    Table *t = (Table *)self;
    Py_ssize_t i, n;
    PyObject *tup;

    if (!t->items || !value) {
        PyErr_SetString(PyExc_TypeError, "Table: items cannot be deleted");
        return -1;
    }
    if (!PyLong_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "Table: only a text slot (an int index) can be set");
        return -1;
    }
    i = PyLong_AsSsize_t(key);
    n = PyList_Size(t->items);
    if (i == -1 && PyErr_Occurred())
        return -1;
    if (i < 0)
        i += n;
    if (i < t->width || i >= n - 1) {
        PyErr_SetString(PyExc_TypeError, "Table: only the text slots can be set (the plucked columns and "
                                         "the source are read-only)");
        return -1;
    }
    if (!PyList_CheckExact(value) && !PyTuple_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, "Table: a text slot takes a list of str or None");
        return -1;
    }
    tup = PySequence_Tuple(value);
    for (Py_ssize_t k = 0; tup && k < PyTuple_Size(tup); k++) {
        PyObject *x = PyTuple_GetItem(tup, k);
        if (x != Py_None && !PyUnicode_CheckExact(x)) {
            PyErr_SetString(PyExc_TypeError, "Table: a text slot takes a list of str or None");
            Py_CLEAR(tup);
        }
    }
    return tup ? PyList_SetItem(t->items, i, tup) : -1;
}

static PyObject *table_get_rows(PyObject *self, void *closure)
{
    Table *t = (Table *)self;
    PyObject *r = t->rows ? t->rows : Py_None;

    Py_INCREF(r);
    return r;
}

static PyObject *table_get_n(PyObject *self, void *closure)
{
    return PyLong_FromSsize_t(((Table *)self)->n);
}

static PyGetSetDef table_getset[] = {
    {"rows", table_get_rows, NULL, "The decoded buffer the table was plucked from.", NULL},
    {"n", table_get_n, NULL, "How many messages it holds.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot table_slots[] = {
    {Py_tp_new, (void *)table_new},
    {Py_tp_dealloc, (void *)table_dealloc},
    {Py_tp_traverse, (void *)table_traverse},
    {Py_tp_clear, (void *)table_clear},
    {Py_mp_length, (void *)table_len},
    {Py_mp_subscript, (void *)table_getitem},
    {Py_mp_ass_subscript, (void *)table_setitem},
    {Py_sq_length, (void *)table_len},
    {Py_tp_getset, table_getset},
    {Py_tp_doc, (void *)"Table(rows, data, flat, width, texts): a dump's plucked columns, "
                        "indexed as columns.table's list (columns made on first use)."},
    {0, NULL},
};

static PyType_Spec table_spec = {"pynetlink.codec._cview.Table", sizeof(Table), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, table_slots};

/* -- View ------------------------------------------------------------------------------------ */
/* Field starts with three object references (then plain C fields): its traverse, clear and
 * dealloc */
typedef struct {
    PyObject_HEAD
    PyObject *ref[3];
} Refs;

static int refs_traverse(PyObject *self, visitproc visit, void *arg)
{
    for (int i = 0; i < 3; i++)
        Py_VISIT(((Refs *)self)->ref[i]);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int refs_clear(PyObject *self)
{
    for (int i = 0; i < 3; i++)
        Py_CLEAR(((Refs *)self)->ref[i]);
    return 0;
}

static void refs_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    refs_clear(self);
    ((freefunc)PyType_GetSlot(tp, Py_tp_free))(self);
    Py_DECREF(tp);
}

/* A view is 32 bytes: one reference and two C integers. ``c`` is the dump's Table (a
 * dump's view: its rows are the table's, its header cache None) or, once anything else is
 * set (a view made alone, a copy, a header cached), a tuple (rows, h, c) of the three; NULL
 * until then (the three unset). */
typedef struct {
    PyObject_HEAD
    PyObject *c;
    unsigned int m, b;
} View;

static int view_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((View *)self)->c);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int view_clear(PyObject *self)
{
    Py_CLEAR(((View *)self)->c);
    return 0;
}

static void view_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    view_clear(self);
    ((freefunc)PyType_GetSlot(tp, Py_tp_free))(self);
    Py_DECREF(tp);
}

/* slot i (0 _rows, 1 _h, 2 _c) of a view as a borrowed reference; NULL: unset */
static PyObject *view_ref(const View *v, int i)
{
    PyObject *c = v->c;

    if (!c)
        return NULL;
    if (Py_TYPE(c) == table_type)
        return i == 0 ? ((Table *)c)->rows : i == 1 ? Py_None : c;
    return PyTuple_GetItem(c, i);              /* (always a 3-tuple: view_set makes it) */
}

static PyObject *view_get(PyObject *self, void *closure)
{
    PyObject *x = view_ref((View *)self, (int)(intptr_t)closure);

    if (!x) {
        PyErr_SetString(PyExc_AttributeError, "view: unset (made without rows)");
        return NULL;
    }
    Py_INCREF(x);
    return x;
}

/* _rows, _h, _c: set from Python (MessageView.__init__, its header cache, copy.copy)
 * through view_setattro, checked (_h None or a tuple of ints, _c None, a Table or
 * columns.table's list; none deleted). views() leaves its views out of the collector (they
 * refer to their table only); a view given another _rows or _c is tracked again, so a cycle
 * made through it is collected. */
static int view_set(PyObject *self, PyObject *value, intptr_t i)
{
    View *v = (View *)self;
    PyObject *three[3], *t;
    int ok = value == Py_None;

    if (!value) {
        PyErr_SetString(PyExc_TypeError, "view: _rows, _h and _c cannot be deleted");
        return -1;
    }
    if (i == 0 || ok) {
        ok = 1;
    } else if (i == 1 && PyTuple_CheckExact(value)) {
        ok = 1;
        for (Py_ssize_t k = 0; ok && k < PyTuple_Size(value); k++)
            ok = PyLong_CheckExact(PyTuple_GetItem(value, k));
    } else if (i == 2) {
        ok = Py_TYPE(value) == table_type || PyList_CheckExact(value);
    }
    if (!ok) {
        PyErr_SetString(PyExc_TypeError, i == 1 ? "view._h takes None or a tuple of ints"
                                                : "view._c takes None, a Table or a list (columns.table)");
        return -1;
    }
    if (!(PyType_GetFlags(Py_TYPE(self)) & Py_TPFLAGS_HAVE_GC)) {
        /* a compact view (not collected): only what cannot refer back to it */
        if ((i == 0 && value != Py_None && !(compact_rows && PyObject_TypeCheck(value, compact_rows)))
            || (i == 2 && value != Py_None && Py_TYPE(value) != table_type)) {
            PyErr_SetString(PyExc_TypeError, i == 0 ? "a dump's view: _rows takes None or a Rows"
                                                    : "a dump's view: _c takes None or a Table");
            return -1;
        }
    } else if (i != 1 && !PyObject_GC_IsTracked(self)) {
        PyObject_GC_Track(self);
    }
    for (int k = 0; k < 3; k++) {
        three[k] = view_ref(v, k);
        if (!three[k])
            three[k] = Py_None;
    }
    three[i] = value;
    if (Py_TYPE(three[2]) == table_type && three[0] == ((Table *)three[2])->rows && three[1] == Py_None) {
        t = three[2];                          /* a dump's view again: the table alone */
        Py_INCREF(t);
    } else {
        t = PyTuple_Pack(3, three[0], three[1], three[2]);
        if (!t)
            return -1;
    }
    Py_XSETREF(v->c, t);
    return 0;
}

static int view_setattro(PyObject *self, PyObject *name, PyObject *value)
{
    static const char *const names[3] = {"_rows", "_h", "_c"};

    for (intptr_t i = 0; i < 3 && PyUnicode_Check(name); i++)
        if (PyUnicode_CompareWithASCIIString(name, names[i]) == 0)
            return view_set(self, value, i);
    return PyObject_GenericSetAttr(self, name, value);
}

static PyGetSetDef view_getset[] = {
    {"_rows", view_get, NULL, "The decoded buffer (codec.rows.Rows).", (void *)0},
    {"_h", view_get, NULL, "The unpacked fixed header, or None until read.", (void *)1},
    {"_c", view_get, NULL, "The dump's Table (or columns.table list), or None.", (void *)2},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef view_members[] = {
    {"_m", T_UINT, offsetof(View, m), 0, "The message's row in _rows."},
    {"_b", T_UINT, offsetof(View, b), 0, "The message's index in _c."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot view_slots[] = {
    {Py_tp_dealloc, (void *)view_dealloc},
    {Py_tp_traverse, (void *)view_traverse},
    {Py_tp_clear, (void *)view_clear},
    {Py_tp_members, view_members},
    {Py_tp_getset, view_getset},
    {Py_tp_setattro, (void *)view_setattro},
    {Py_tp_doc, (void *)"The base of message views: one message of a decoded buffer."},
    {0, NULL},
};

static PyType_Spec view_spec = {"pynetlink.codec._cview.View", sizeof(View), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
                                view_slots};

/* -- Field ----------------------------------------------------------------------------------- */
enum {
    F_UINT = 1,         /* the value; absent: Python */
    F_SINT,             /* as a signed 64-bit value; absent: Python */
    F_OPT,              /* the value, None when absent */
    F_NONZERO,          /* the value, None when absent or 0 */
    F_FAMILY,           /* 4 when AF_INET, else 6; absent: Python */
    F_NAMED,            /* arg.get(value) or str(value); absent: Python */
    F_IP,               /* span col (col2 when absent) as an address text; both absent: arg */
    F_STR,              /* span col as UTF-8 up to its first NUL; absent: arg */
    F_HEX,              /* span col as hex pairs joined by ':'; absent or empty: None */
    F_DST,              /* route dst: span col, prefix length col2 */
    F_TABLE,            /* col2 when present, else col; col absent: Python */
    F_CACHED,           /* arg[value] when there, else Python */
    F_BIT,              /* bool(value & mask); absent: Python */
    F_INDEX,            /* arg[value] when value < len(arg), else dflt */
    F_ROW,              /* the value, -1 when absent */
    F_LAST = F_ROW
};

typedef struct {
    PyObject_HEAD
    PyObject *fallback, *arg, *dflt;        /* (as Refs) */
    descrgetfunc fget;
    descrsetfunc fset;
    int op, byte;
    Py_ssize_t col, col2;
    unsigned long long mask;
} Field;

static PyObject *field_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    static char *names[] = {"fallback", "op", "col", "col2", "arg", "default", "mask", "byte", NULL};
    PyObject *fallback, *arg = Py_None, *dflt = Py_None;
    Py_ssize_t col = 0, col2 = -1;
    unsigned long long mask = 0;
    int op, byte = -1;
    Field *f;
    descrgetfunc get;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "Oi|nnOOKi:Field", names, &fallback, &op, &col, &col2,
                                     &arg, &dflt, &mask, &byte))
        return NULL;
    if (byte < -1 || byte > 7 || (byte >= 0 && (op == F_IP || op == F_STR || op == F_HEX))) {
        PyErr_SetString(PyExc_ValueError, "Field: byte out of range, or of a span");
        return NULL;
    }
    if (op < F_UINT || op > F_LAST || col < 0 || col > 0xffff || col2 < -1 || col2 > 0xffff) {
        PyErr_SetString(PyExc_ValueError, "Field: op or column out of range");
        return NULL;
    }
    if ((op == F_NAMED || op == F_CACHED) && !PyDict_CheckExact(arg)) {
        PyErr_SetString(PyExc_TypeError, "Field: arg must be a dict");
        return NULL;
    }
    if (op == F_INDEX && !PyTuple_CheckExact(arg)) {
        PyErr_SetString(PyExc_TypeError, "Field: arg must be a tuple");
        return NULL;
    }
    if ((op == F_DST || op == F_TABLE) && col2 < 0) {
        PyErr_SetString(PyExc_ValueError, "Field: this op needs col2");
        return NULL;
    }
    get = (descrgetfunc)PyType_GetSlot(Py_TYPE(fallback), Py_tp_descr_get);
    if (!get) {
        PyErr_SetString(PyExc_TypeError, "Field: the fallback must be a descriptor (a property)");
        return NULL;
    }
    f = (Field *)((allocfunc)PyType_GetSlot(tp, Py_tp_alloc))(tp, 0);
    if (!f)
        return NULL;
    Py_INCREF(fallback);
    Py_INCREF(arg);
    Py_INCREF(dflt);
    f->fallback = fallback;
    f->arg = arg;
    f->dflt = dflt;
    f->fget = get;
    f->fset = (descrsetfunc)PyType_GetSlot(Py_TYPE(fallback), Py_tp_descr_set);
    f->op = op;
    f->col = col;
    f->col2 = col2;
    f->mask = mask;
    f->byte = byte;
    return (PyObject *)f;
}

/* an address span as text into tmp (room for INET6_ADDRSTRLEN): its length, or 0 when the
 * span lies outside the buffer or is neither 4 nor 16 bytes long */
static size_t ip_chars(const Table *t, uint64_t span, char *tmp)
{
    uint64_t off = span >> 32, len = span & 0xffffffff;

    if (off > (uint64_t)t->buflen || len > (uint64_t)t->buflen - off)
        return 0;
    return pnl_addr_text(t->buf + off, (size_t)len, tmp);
}

/* an address span as text (new reference); NULL without an error set: not an address here */
static PyObject *ip_text(const Table *t, uint64_t span)
{
    char tmp[INET6_ADDRSTRLEN];
    size_t n = ip_chars(t, span, tmp);

    return n ? PyUnicode_DecodeASCII(tmp, (Py_ssize_t)n, NULL) : NULL;
}

/* a span's bytes, checked against the buffer (0 when it lies outside) */
static int span_ok(const Table *t, uint64_t span, const uint8_t **p, size_t *len)
{
    uint64_t off = span >> 32, n = span & 0xffffffff;

    if (off > (uint64_t)t->buflen || n > (uint64_t)t->buflen - off)
        return 0;
    *p = t->buf + off;
    *len = (size_t)n;
    return 1;
}

#define FALLBACK ((PyObject *)1)             /* "ask the Python reader" */

static PyObject *new_ref(PyObject *x)
{
    Py_INCREF(x);
    return x;
}

/* byte k of a packed header column (k < 0: the value as it is), absent kept absent */
static uint64_t header_byte(uint64_t v, int k)
{
    return v == NONE || k < 0 ? v : (v >> (8 * k)) & 0xff;
}

/* the field from the table's row; FALLBACK to ask the Python reader. With ``byte``, the
 * value read is that byte of col (F_DST: of col2, the prefix length). */
static PyObject *read_field(const Field *f, const Table *t, const uint64_t *row)
{
    uint64_t v = header_byte(row[f->col], f->op == F_DST ? -1 : f->byte), w;
    const uint8_t *p;
    size_t len;

    switch (f->op) {
    case F_UINT:
        return v == NONE ? FALLBACK : PyLong_FromUnsignedLongLong(v);
    case F_SINT:
        return v == NONE ? FALLBACK : PyLong_FromLongLong((long long)v);
    case F_OPT:
        return v == NONE ? new_ref(Py_None) : PyLong_FromUnsignedLongLong(v);
    case F_NONZERO:
        return v == NONE || v == 0 ? new_ref(Py_None) : PyLong_FromUnsignedLongLong(v);
    case F_FAMILY:
        return v == NONE ? FALLBACK : PyLong_FromLong(v == AF_INET ? 4 : 6);
    case F_ROW:
        return v == NONE ? PyLong_FromLong(-1) : PyLong_FromUnsignedLongLong(v);
    case F_BIT:
        return v == NONE ? FALLBACK : PyBool_FromLong((v & f->mask) != 0);
    case F_INDEX:
        if (v < (uint64_t)PyTuple_Size(f->arg))
            return new_ref(PyTuple_GetItem(f->arg, (Py_ssize_t)v));
        return new_ref(f->dflt);
    case F_TABLE:
        if (v == NONE)
            return FALLBACK;
        w = row[f->col2];
        return PyLong_FromUnsignedLongLong(w == NONE ? v : w);
    case F_NAMED:
    case F_CACHED: {
        PyObject *key, *x;
        if (v == NONE)
            return FALLBACK;
        key = PyLong_FromUnsignedLongLong(v);
        if (!key)
            return NULL;
        x = PyDict_GetItemWithError(f->arg, key);       /* borrowed */
        if (!x && PyErr_Occurred()) {
            Py_DECREF(key);
            return NULL;
        }
        if (f->op == F_CACHED) {
            Py_DECREF(key);
            return x ? new_ref(x) : FALLBACK;
        }
        if (x) {                                /* held: __bool__ may change the dict */
            int truth;
            Py_INCREF(x);
            truth = PyObject_IsTrue(x);
            if (truth) {
                Py_DECREF(key);
                if (truth < 0)
                    Py_CLEAR(x);
                return x;
            }
            Py_DECREF(x);
        }
        x = PyObject_Str(key);
        Py_DECREF(key);
        return x;
    }
    case F_IP: {
        PyObject *s;
        if (v == NONE && f->col2 >= 0)
            v = row[f->col2];
        if (v == NONE)
            return new_ref(f->arg);
        s = ip_text(t, v);
        return s || PyErr_Occurred() ? s : FALLBACK;
    }
    case F_DST: {
        char tmp[INET6_ADDRSTRLEN + 24];
        size_t n;
        w = header_byte(row[f->col2], f->byte);   /* the prefix length */
        if (w == NONE)
            return FALLBACK;
        if (v == NONE) {
            if (w == 0)
                return PyUnicode_FromString("default");
            memcpy(tmp, "None", 4);
            n = 4;
        } else if (!(n = ip_chars(t, v, tmp))) {
            return FALLBACK;
        }
        n += pnl_plen_text(w, tmp + n);
        return PyUnicode_DecodeASCII(tmp, (Py_ssize_t)n, NULL);
    }
    case F_STR: {
        const uint8_t *z;
        if (v == NONE)
            return new_ref(f->arg);
        if (!span_ok(t, v, &p, &len))
            return FALLBACK;
        z = len ? memchr(p, 0, len) : NULL;
        return PyUnicode_DecodeUTF8((const char *)p, z ? (Py_ssize_t)(z - p) : (Py_ssize_t)len, "replace");
    }
    case F_HEX: {
        static const char digits[] = "0123456789abcdef";
        char small[3 * 32];
        PyObject *s;
        char *out;
        if (v == NONE)
            return new_ref(Py_None);
        if (!span_ok(t, v, &p, &len))
            return FALLBACK;
        if (!len)
            return new_ref(Py_None);
        if (len > 0x7fffffff / 3) {
            PyErr_SetString(PyExc_OverflowError, "hex text too long");
            return NULL;
        }
        /* (a MAC address or other short one: written on the stack, no allocation) */
        out = len <= sizeof(small) / 3 ? small : PyMem_Malloc(3 * len);
        if (!out)
            return PyErr_NoMemory();
        for (size_t i = 0; i < len; i++) {
            out[3 * i] = digits[p[i] >> 4];
            out[3 * i + 1] = digits[p[i] & 15];
            out[3 * i + 2] = ':';
        }
        s = PyUnicode_DecodeASCII(out, (Py_ssize_t)(3 * len - 1), NULL);
        if (out != small)
            PyMem_Free(out);
        return s;
    }
    }
    return FALLBACK;
}

static PyObject *field_get(PyObject *self, PyObject *obj, PyObject *type)
{
    Field *f = (Field *)self;
    const Table *t;
    const View *v;
    PyObject *x, *c;

    if (!f->fallback) {
        PyErr_SetString(PyExc_AttributeError, "Field: cleared");
        return NULL;
    }
    if (!obj || obj == Py_None)
        return new_ref(f->fallback);
    if (!PyObject_TypeCheck(obj, view_type))
        return f->fget(f->fallback, obj, type);
    v = (const View *)obj;
    c = view_ref(v, 2);                         /* (its Table, also once a header is cached) */
    if (!c || Py_TYPE(c) != table_type)
        return f->fget(f->fallback, obj, type);
    t = (const Table *)c;
    if ((Py_ssize_t)v->b >= t->n || f->col >= t->width || f->col2 >= t->width)
        return f->fget(f->fallback, obj, type);
    x = read_field(f, t, t->cols + (size_t)v->b * (size_t)t->width);
    return x == FALLBACK ? f->fget(f->fallback, obj, type) : x;
}

static int field_set(PyObject *self, PyObject *obj, PyObject *value)
{
    Field *f = (Field *)self;

    if (!f->fset || !f->fallback) {
        PyErr_SetString(PyExc_AttributeError, "read-only attribute");
        return -1;
    }
    return f->fset(f->fallback, obj, value);
}

static PyObject *field_get_doc(PyObject *self, void *closure)
{
    PyObject *fb = ((Field *)self)->fallback;

    return fb ? PyObject_GetAttrString(fb, "__doc__") : new_ref(Py_None);
}

static PyObject *field_get_fallback(PyObject *self, void *closure)
{
    PyObject *fb = ((Field *)self)->fallback;

    return new_ref(fb ? fb : Py_None);
}

static PyGetSetDef field_getset[] = {
    {"__doc__", field_get_doc, NULL, NULL, NULL},
    {"fallback", field_get_fallback, NULL, "The Python reader (a property).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot field_slots[] = {
    {Py_tp_new, (void *)field_new},
    {Py_tp_dealloc, (void *)refs_dealloc},
    {Py_tp_traverse, (void *)refs_traverse},
    {Py_tp_clear, (void *)refs_clear},
    {Py_tp_descr_get, (void *)field_get},
    {Py_tp_descr_set, (void *)field_set},
    {Py_tp_getset, field_getset},
    {0, NULL},
};

static PyType_Spec field_spec = {"pynetlink.codec._cview.Field", sizeof(Field), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, field_slots};

/* Eager types: a compact type with one object slot per hot field (a Field of the class),
 * filled by views() from the table, so a read is a plain slot (CPython specializes it). */
#define EAGER_MAX_TYPES 32
#define EAGER_MAX_FIELDS 16
struct eager {
    PyTypeObject *type, *lazy;              /* lazy: the compact type for a view whose fields
                                               need the Python reader (kept: never freed) */
    int k;
    Field *fields[EAGER_MAX_FIELDS];
    PyMemberDef members[EAGER_MAX_FIELDS + 1];
    char *names[EAGER_MAX_FIELDS];
};
static struct eager eagers[EAGER_MAX_TYPES];
static int n_eagers;

#define EAGER_SLOT(v, i) (((PyObject **)((char *)(v) + sizeof(View)))[i])

static struct eager *eager_of(PyTypeObject *tp)
{
    static struct eager *hit;               /* the last one found (entries never move or go:
                                               a dump's views are freed one class after another
                                               and the link kinds make dozens of these) */
    if (hit && hit->type == tp)
        return hit;
    for (int i = 0; i < n_eagers; i++)
        if (eagers[i].type == tp)
            return hit = &eagers[i];
    return NULL;
}

static void eager_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    struct eager *e = eager_of(tp);

    view_clear(self);
    for (int i = 0; e && i < e->k; i++)     /* (no one sees the view now: nothing to clear) */
        Py_XDECREF(EAGER_SLOT(self, i));
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* The last value views() read for one eager field, and what it was read from: a view whose
 * field reads the same input (the same column values; for an address or a string the same
 * bytes) gets the same object. Nothing runs Python code between two reads (int keys, dicts of
 * str), so the result is what read_field would make again. */
struct last {
    PyObject *x;                            /* NULL: none yet */
    uint64_t a, c;
    size_t n;
    uint64_t bytes[2];                      /* the input's bytes, zero-padded */
};

/* the key of field f's input in row into *k (0: not cacheable) */
static int input_key(const Field *f, const Table *t, const uint64_t *row, struct last *k)
{
    const uint8_t *p;
    uint64_t v;

    k->a = row[f->col];
    k->c = f->col2 >= 0 ? row[f->col2] : 0;
    k->n = 0;
    k->bytes[0] = k->bytes[1] = 0;
    switch (f->op) {
    case F_DST:
    case F_HEX:
        return 0;
    case F_IP:
        v = k->a == NONE && f->col2 >= 0 ? k->c : k->a;
        break;
    case F_STR:
        v = k->a;
        break;
    default:
        return 1;
    }
    if (v == NONE)
        return 1;                           /* (a, c) say it: absent */
    if (!span_ok(t, v, &p, &k->n) || k->n > sizeof(k->bytes))
        return 0;
    if (k->n == 4) {                        /* an IPv4 address: one load, one whole store */
        uint32_t w;
        memcpy(&w, p, 4);
        k->bytes[0] = w;
    } else if (k->n >= 8) {                 /* two fixed copies that overlap (no call to memcpy) */
        memcpy(k->bytes, p, 8);
        memcpy((uint8_t *)k->bytes + k->n - 8, p + k->n - 8, 8);
    } else if (k->n > 4) {
        memcpy(k->bytes, p, 4);
        memcpy((uint8_t *)k->bytes + k->n - 4, p + k->n - 4, 4);
    } else {
        for (size_t i = 0; i < k->n; i++)
            ((uint8_t *)k->bytes)[i] = p[i];
    }
    k->a = k->c = 0;                        /* the bytes, wherever they are */
    return 1;
}

static void forget(struct last *last)
{
    for (int k = 0; k < EAGER_MAX_FIELDS; k++)
        Py_CLEAR(last[k].x);
}

static int same_key(const struct last *x, const struct last *k)
{
    return x->x && x->a == k->a && x->c == k->c && x->n == k->n && x->bytes[0] == k->bytes[0]
           && x->bytes[1] == k->bytes[1];
}

/* -- the texts of IPv4 addresses and route destinations, kept across dumps ------------------ */
/* A dump made again (the same routes, polled) makes the same texts: views() keeps the last
 * TEXT_CACHE of them with their input (the 4 address bytes, and for a destination its prefix
 * length), in the slot of the field and the view's index in its dump (so a dump reads them
 * in order, as it made them: a line of memory holds four), the new one replacing the old
 * where the input differs. What a slot holds is what read_field makes of that input (an
 * immutable str): a view gets the same value either way. Only views() reads and writes it
 * (the GIL held, no Python code run meanwhile). */
#define TEXT_CACHE 4096
static struct {
    uint64_t key;                           /* 0: empty */
    PyObject *s;
} texts[TEXT_CACHE];

/* the key of field f's text in row (an IPv4 address or destination whose bytes lie in the
 * buffer), or 0: not kept */
static uint64_t text_key(const Field *f, const Table *t, const uint64_t *row, size_t b, size_t *slot)
{
    uint64_t v = row[f->col], w = 0, key;
    const uint8_t *p;
    size_t len;
    uint32_t a;

    if (f->op == F_DST) {
        w = header_byte(row[f->col2], f->byte);
        if (w == NONE || w > 0xff)
            return 0;
    } else if (f->op == F_IP) {
        if (v == NONE && f->col2 >= 0)
            v = row[f->col2];
    } else {
        return 0;
    }
    if (v == NONE || !span_ok(t, v, &p, &len) || len != 4)
        return 0;
    memcpy(&a, p, 4);
    a = ntohl(a);
    key = (f->op == F_DST ? 3ULL : 1ULL) << 40 | w << 32 | a;
    *slot = (b + (((uintptr_t)f >> 4) * 0x9e5)) & (TEXT_CACHE - 1);      /* (a field's own run of slots) */
    return key;
}

/* -- views() --------------------------------------------------------------------------------- */
/* The class a chooser (views()' ``(col, dict)``) gives the row: the dict's value for the
 * text of span column col (up to its first NUL, UTF-8 with malformed bytes replaced; "" when
 * absent), as columns.text reads it; the last one's bytes (*last_p, *last_n) reused while the
 * rows repeat them. NULL without an error set: a text the dict does not hold, or a span
 * outside the buffer (the caller's Python path then decides). */
static __attribute__((noinline)) PyTypeObject *choose(const Table *t, const uint64_t *row, Py_ssize_t col, PyObject *by,
                            PyTypeObject *last, const uint8_t **last_p, size_t *last_n)
{
    const uint8_t *p = (const uint8_t *)"", *z;
    size_t n = 0;
    PyObject *key, *tp;

    if (row[col] != NONE) {
        if (!span_ok(t, row[col], &p, &n))
            return NULL;
        if ((z = memchr(p, 0, n)))
            n = (size_t)(z - p);
    }
    if (last && n == *last_n && memcmp(p, *last_p, n) == 0)
        return last;
    key = PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, "replace");
    if (!key)
        return NULL;
    tp = PyDict_GetItemWithError(by, key);       /* (borrowed: the dict keeps it) */
    Py_DECREF(key);
    *last_p = p;
    *last_n = n;
    return (PyTypeObject *)tp;
}

static PyObject *views(PyObject *mod, PyObject *args)
{
    PyObject *cls, *tobj, *msgs, *out, *by = NULL;
    Py_ssize_t n, by_col = 0;
    const uint8_t *by_p = NULL;
    size_t by_n = 0;
    Table *t;

    if (!PyArg_ParseTuple(args, "OO!O:views", &cls, table_type, &tobj, &msgs))
        return NULL;
    t = (Table *)tobj;
    if (!t->rows || !t->items) {
        PyErr_SetString(PyExc_RuntimeError, "views: the table was cleared");
        return NULL;
    }
    if (PyTuple_CheckExact(cls)) {             /* (col, {text: type}): chosen by a string column */
        if (PyTuple_Size(cls) != 2 || !PyLong_Check(PyTuple_GetItem(cls, 0))
            || !PyDict_CheckExact(PyTuple_GetItem(cls, 1))) {
            PyErr_SetString(PyExc_TypeError, "views: a chooser is (column, dict)");
            return NULL;
        }
        by_col = PyLong_AsSsize_t(PyTuple_GetItem(cls, 0));
        if (by_col == -1 && PyErr_Occurred())
            return NULL;
        if (by_col < 1 || by_col >= t->width) {
            PyErr_SetString(PyExc_ValueError, "views: the chooser's column is not in the table");
            return NULL;
        }
        by = PyTuple_GetItem(cls, 1);
    } else if (!PyList_CheckExact(cls) && !PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "views: cls must be a type, a list of types or a chooser");
        return NULL;
    }
    if (!PyList_Check(msgs)) {                 /* a u32 array (LeanRows.data_messages) */
        Py_buffer bm;
        int same;
        if (PyObject_GetBuffer(msgs, &bm, PyBUF_FORMAT) < 0)
            return NULL;
        n = bm.len / 4;
        same = bm.itemsize == 4 && bm.format && (strcmp(bm.format, "I") == 0 || strcmp(bm.format, "=I") == 0)
               && n == t->n && bm.len % 4 == 0;
        for (Py_ssize_t b = 0; same && b < n; b++) {
            uint32_t row;
            memcpy(&row, (const char *)bm.buf + 4 * b, 4);
            same = row == t->cols[(size_t)b * (size_t)t->width];
        }
        PyBuffer_Release(&bm);
        if (!same)
            Py_RETURN_NONE;
        goto make;
    }
    n = PyList_Size(msgs);
    if (n != t->n)
        Py_RETURN_NONE;                        /* the table holds other messages */
    for (Py_ssize_t b = 0; b < n; b++) {
        PyObject *m = PyList_GetItem(msgs, b);
        unsigned long long row;
        if (!PyLong_Check(m))
            Py_RETURN_NONE;
        row = PyLong_AsUnsignedLongLong(m);
        if (row == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        if (row != t->cols[(size_t)b * (size_t)t->width] || row > UINT32_MAX || b > UINT32_MAX)
            Py_RETURN_NONE;
    }
make:
    if (PyList_CheckExact(cls) && PyList_Size(cls) != n) {
        PyErr_SetString(PyExc_ValueError, "views: one class per message");
        return NULL;
    }
    out = PyList_New(n);
    if (!out)
        return NULL;
    PyTypeObject *last_tp = NULL;
    struct eager *e = NULL;
    struct last last[EAGER_MAX_FIELDS];
    struct { Py_ssize_t col, col2; int plain; } spec[EAGER_MAX_FIELDS];
    Py_ssize_t pcols[2 * EAGER_MAX_FIELDS];  /* the columns the plain fields read */
    const uint64_t *prev = NULL;            /* the row of the last view made whole */
    int eager_ok = 0, untrack = 1, n_pcols = 0;
    memset(last, 0, sizeof(last));
    for (Py_ssize_t b = 0; b < n; b++) {
        /* (the list read again for every view: an allocation may run a finalizer) */
        const uint64_t *row = t->cols + (size_t)b * (size_t)t->width;
        PyTypeObject *tp;
        allocfunc alloc;
        View *v;

        if (by) {
            tp = choose(t, row, by_col, by, last_tp, &by_p, &by_n);
            if (!tp) {                          /* the caller's Python path decides */
                forget(last);
                Py_DECREF(out);
                if (PyErr_Occurred())
                    return NULL;
                Py_RETURN_NONE;
            }
        } else {
            tp = (PyTypeObject *)(PyList_CheckExact(cls) ? PyList_GetItem(cls, b) : cls);
        }

        if (tp != last_tp) {                    /* (one check per run of one class) */
            if (!tp || !PyType_Check((PyObject *)tp) || !PyType_IsSubtype(tp, view_type)) {
                PyErr_SetString(PyExc_TypeError, "views: not a subclass of View");
                goto fail;
            }
            last_tp = tp;
            e = eager_of(tp);
            forget(last);
            prev = NULL;
            n_pcols = 0;
            /* the class's fields read from this table, once: a field without a Python reader
             * or outside the table makes every view of the class a lazy one */
            eager_ok = e != NULL;
            for (int k = 0; e && k < e->k; k++) {
                const Field *f = e->fields[k];
                if (!f->fallback || f->col >= t->width || f->col2 >= t->width) {
                    eager_ok = 0;
                    break;
                }
                spec[k].col = f->col;
                spec[k].col2 = f->col2;
                spec[k].plain = f->op != F_DST && f->op != F_HEX && f->op != F_IP && f->op != F_STR;
                for (int j = 0; spec[k].plain && j < 2; j++) {
                    Py_ssize_t c = j ? f->col2 : f->col, i = 0;
                    while (c >= 0 && i < n_pcols && pcols[i] != c)
                        i++;
                    if (c >= 0 && i == n_pcols)
                        pcols[n_pcols++] = c;
                }
            }
            untrack = (PyType_GetFlags(eager_ok ? tp : e ? e->lazy : tp) & Py_TPFLAGS_HAVE_GC) != 0;
        }
        if (e && eager_ok) {                    /* the hot fields read now, or a lazy view */
            /* the view allocated first and its slots written in place (values gathered in a
             * local array, then copied, compiled to a rep movs per view: ~13 ns each); not
             * initialised (no type reference) until every field was read */
            PyObject **vals;
            int k = 0, same = prev != NULL;
            /* the plain fields' columns as the last view's: their values are last[]'s (each
             * was read from that row, or found equal to it) */
            for (int i = 0; same && i < n_pcols; i++)
                same = row[pcols[i]] == prev[pcols[i]];
            v = (View *)PyObject_Malloc(sizeof(View) + (size_t)e->k * sizeof(PyObject *));
            if (!v) {
                PyErr_NoMemory();
                goto fail;
            }
            vals = &EAGER_SLOT(v, 0);
            for (; k < e->k; k++) {
                const Field *f = e->fields[k];
                struct last key;
                int keyed;
                uint64_t tkey = 0;
                size_t tslot = 0;
                if (spec[k].plain && same && last[k].x) {
                    vals[k] = new_ref(last[k].x);
                    continue;
                }
                if (spec[k].plain) {            /* its input: the column values (input_key's) */
                    key.a = row[spec[k].col];
                    key.c = spec[k].col2 >= 0 ? row[spec[k].col2] : 0;
                    if (last[k].x && last[k].a == key.a && last[k].c == key.c) {
                        vals[k] = new_ref(last[k].x);
                        continue;
                    }
                    key.n = 0;
                    key.bytes[0] = key.bytes[1] = 0;
                    keyed = 1;
                } else {
                    keyed = input_key(f, t, row, &key);
                    if (keyed && same_key(&last[k], &key)) {
                        vals[k] = new_ref(last[k].x);
                        continue;
                    }
                    if ((tkey = text_key(f, t, row, (size_t)b, &tslot))) {
                        if (texts[tslot].key == tkey) {
                            vals[k] = new_ref(texts[tslot].s);
                            goto read;
                        }
                    }
                }
                vals[k] = read_field(f, t, row);
                if (tkey && vals[k] && vals[k] != FALLBACK && PyUnicode_CheckExact(vals[k])) {
                    PyObject *old = texts[tslot].s;
                    texts[tslot].s = new_ref(vals[k]);
                    texts[tslot].key = tkey;
                    Py_XDECREF(old);        /* (a str: frees nothing that runs code) */
                }
read:
                if (vals[k] == FALLBACK)
                    break;
                if (!vals[k]) {
                    while (k--)
                        Py_DECREF(vals[k]);
                    PyObject_Free(v);
                    goto fail;
                }
                if (keyed) {
                    Py_XDECREF(last[k].x);
                    key.x = new_ref(vals[k]);
                    last[k] = key;
                }
            }
            if (k == e->k) {
                PyObject_Init((PyObject *)v, tp);          /* (a reference to the heap type) */
                prev = row;
                goto fill;
            }
            prev = NULL;
            while (k--)
                Py_DECREF(vals[k]);
            PyObject_Free(v);
            tp = e->lazy;
        } else if (e) {
            tp = e->lazy;
        }
        alloc = (allocfunc)PyType_GetSlot(tp, Py_tp_alloc);
        v = alloc ? (View *)alloc(tp, 0) : NULL;
        if (!v)
            goto fail;
fill:
        PyList_SetItem(out, b, (PyObject *)v);
        Py_INCREF(tobj);
        v->c = tobj;
        v->m = (unsigned int)row[0];
        v->b = (unsigned int)b;
        /* a view refers to its buffer, table and header only (never to another view): no
         * cycle runs through it, so the collector need not traverse it (a compact view's
         * type is not collected at all) */
        if (untrack && (PyType_GetFlags(tp) & Py_TPFLAGS_HAVE_GC))
            PyObject_GC_UnTrack((PyObject *)v);
    }
    forget(last);
    return out;
fail:
    forget(last);
    Py_DECREF(out);
    return NULL;
}

/* -- compact(): a dump's views without the collector's 16-byte header ------------------------ */
static void compact_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    view_clear(self);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* compact(base, rows_type) -> a final subtype of ``base`` (a View subclass adding no slots,
 * no __dict__, no weak references) whose instances the collector does not track: 32 bytes a
 * view instead of 48. Safe because such a view refers to nothing that can refer back to it:
 * view_set lets its _rows be None or a ``rows_type`` only and its _c None or a Table (_h is
 * None or a tuple of ints). Its Py_tp_traverse keeps it from inheriting the base's GC flag. */
static PyObject *compact(PyObject *mod, PyObject *args)
{
    PyObject *base, *rows, *mname, *qname, *bases, *t = NULL;
    Py_ssize_t basicsize;
    long d, w;
    char *name;
    const char *mu, *qu;

    PyObject *fields = NULL, *lazy = NULL;
    Py_ssize_t k = 0;
    struct eager *e = NULL;

    if (!PyArg_ParseTuple(args, "O!O!|O!O!:compact", &PyType_Type, &base, &PyType_Type, &rows,
                          &PyTuple_Type, &fields, &PyType_Type, &lazy))
        return NULL;
    if (fields) {
        k = PyTuple_Size(fields);
        if (!lazy || k < 1 || k > EAGER_MAX_FIELDS || n_eagers >= EAGER_MAX_TYPES
            || !PyType_IsSubtype((PyTypeObject *)lazy, (PyTypeObject *)base)
            || eager_of((PyTypeObject *)lazy) || (PyType_GetFlags((PyTypeObject *)lazy) & Py_TPFLAGS_HAVE_GC)) {
            PyErr_SetString(PyExc_ValueError, "compact: 1..16 fields and a compact subtype of base, or too many eager types");
            return NULL;
        }
        e = &eagers[n_eagers];
        memset(e, 0, sizeof(*e));
        for (Py_ssize_t i = 0; i < k; i++) {
            PyObject *pair = PyTuple_GetItem(fields, i), *nm, *f;
            const char *u;
            size_t ul;
            if (!pair || !PyTuple_Check(pair) || PyTuple_Size(pair) != 2
                || !PyUnicode_Check(nm = PyTuple_GetItem(pair, 0))
                || Py_TYPE(f = PyTuple_GetItem(pair, 1)) != field_type) {
                PyErr_SetString(PyExc_TypeError, "compact: fields are (name, Field) pairs");
                return NULL;
            }
            u = PyUnicode_AsUTF8AndSize(nm, NULL);
            if (!u)
                return NULL;
            ul = strlen(u);
            e->names[i] = PyMem_Malloc(ul + 1);       /* kept with the type, for ever */
            if (!e->names[i])
                return PyErr_NoMemory();
            memcpy(e->names[i], u, ul + 1);
            Py_INCREF(f);
            e->fields[i] = (Field *)f;
            e->members[i] = (PyMemberDef){e->names[i], T_OBJECT_EX, (Py_ssize_t)sizeof(View) + i * (Py_ssize_t)sizeof(PyObject *),
                                          READONLY, NULL};
        }
        e->members[k] = (PyMemberDef){NULL, 0, 0, 0, NULL};
        e->k = (int)k;
    }
    if (!PyType_IsSubtype((PyTypeObject *)base, view_type)) {
        PyErr_SetString(PyExc_TypeError, "compact: base must be a View subclass");
        return NULL;
    }
    if (compact_rows && compact_rows != (PyTypeObject *)rows) {
        PyErr_SetString(PyExc_TypeError, "compact: one rows type for every compact view");
        return NULL;
    }
    if (pnl_type_layout(base, &basicsize, &d, &w) < 0)
        return NULL;
    if (basicsize != (Py_ssize_t)sizeof(View) || d != 0 || w != 0) {
        PyErr_SetString(PyExc_TypeError, "compact: the base must add no slot, __dict__ or __weakref__ to View");
        return NULL;
    }
    mname = PyObject_GetAttrString(base, "__module__");
    qname = PyObject_GetAttrString(base, "__qualname__");
    mu = mname && PyUnicode_Check(mname) ? PyUnicode_AsUTF8AndSize(mname, NULL) : NULL;
    qu = qname && PyUnicode_Check(qname) ? PyUnicode_AsUTF8AndSize(qname, NULL) : NULL;
    if (!mu || !qu) {
        Py_XDECREF(mname);
        Py_XDECREF(qname);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "compact: the base has no __module__ or __qualname__");
        return NULL;
    }
    /* the spec's name is kept by the type (tp_name points into it): never freed, as the
     * type lives as long as the process (one per view class, cached by the caller) */
    {
        size_t ml = strlen(mu), ql = strlen(qu);
        name = PyMem_Malloc(ml + ql + 2);
        if (!name) {
            Py_DECREF(mname);
            Py_DECREF(qname);
            return PyErr_NoMemory();
        }
        memcpy(name, mu, ml);
        name[ml] = '.';
        memcpy(name + ml + 1, qu, ql + 1);
    }
    Py_DECREF(mname);
    Py_DECREF(qname);
    {
        PyType_Slot slots[] = {
            {Py_tp_dealloc, (void *)(e ? eager_dealloc : compact_dealloc)},
            {Py_tp_traverse, (void *)view_traverse},     /* (never called: not collected) */
            {Py_tp_free, (void *)PyObject_Free},
            {Py_tp_doc, (void *)(e ? "A dump's view whose hot fields were read when it was made."
                                   : "A dump's view: its class, without the garbage collector's header.")},
            {e ? Py_tp_members : 0, e ? (void *)e->members : NULL},
            {0, NULL},
        };
        PyType_Spec spec = {name, (int)(sizeof(View) + (size_t)k * sizeof(PyObject *)), 0, Py_TPFLAGS_DEFAULT, slots};
        bases = PyTuple_Pack(1, base);
        if (bases)
            t = PyType_FromSpecWithBases(&spec, bases);
        Py_XDECREF(bases);
    }
    if (!t)
        return NULL;                           /* (name kept: a failed type may still use it) */
    if (PyType_GetFlags((PyTypeObject *)t) & Py_TPFLAGS_HAVE_GC) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_TypeError, "compact: the type inherited garbage collection");
        return NULL;
    }
    if (!compact_rows) {
        Py_INCREF(rows);
        compact_rows = (PyTypeObject *)rows;
    }
    if (e) {
        Py_INCREF(lazy);
        e->lazy = (PyTypeObject *)lazy;
        Py_INCREF(t);                          /* registered: kept for the process */
        e->type = (PyTypeObject *)t;
        n_eagers++;
    }
    return t;
}

/* msg_rows[i] for every i with msg_tf[i]'s type >= NLMSG_MIN_TYPE (16), packed as u32 in a
 * bytes object: a LeanRows' data messages (no int object per message) */
static PyObject *data_rows(PyObject *mod, PyObject *args)
{
    PyObject *ro, *to, *out = NULL;
    Py_buffer br, bt;
    Py_ssize_t n, k = 0;

    if (!PyArg_ParseTuple(args, "OO:data_rows", &ro, &to))
        return NULL;
    if (PyObject_GetBuffer(ro, &br, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(to, &bt, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&br);
        return NULL;
    }
    n = br.len / 4;
    if (br.len % 4 || bt.len != br.len) {
        PyErr_SetString(PyExc_ValueError, "data_rows: two u32 arrays of one length");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t t;
        memcpy(&t, (const char *)bt.buf + 4 * i, 4);
        k += (t & 0xffff) >= 16;
    }
    out = PyBytes_FromStringAndSize(NULL, 4 * k);
    if (out) {
        char *o = PyBytes_AsString(out);
        for (Py_ssize_t i = 0, j = 0; o && i < n; i++) {
            uint32_t t;
            memcpy(&t, (const char *)bt.buf + 4 * i, 4);
            if ((t & 0xffff) >= 16)
                memcpy(o + 4 * j++, (const char *)br.buf + 4 * i, 4);
        }
    }
done:
    PyBuffer_Release(&bt);
    PyBuffer_Release(&br);
    return out;
}

/* -- a large dump's replies received straight into the bytes the dump keeps (no copy) ------ */
/* rx_bytes(n): a new bytes object of n bytes, not initialised: a receive area that nothing
 * else sees until rx_shrink cut it to the bytes written into it */
static PyObject *rx_bytes(PyObject *mod, PyObject *arg)
{
    Py_ssize_t n = PyLong_AsSsize_t(arg);

    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "rx_bytes: negative size");
        return NULL;
    }
    return PyBytes_FromStringAndSize(NULL, n);
}

/* rx_shrink(b, n): the rx_bytes object b cut to its first n bytes, in place (its size set, a
 * NUL after it, as every bytes object has; its block is not reallocated: the pages past n
 * that the receive never reached were never touched). Only for an object that nobody else
 * has seen (not hashed, not shared): what rx_bytes made. */
static PyObject *rx_shrink(PyObject *mod, PyObject *args)
{
    PyObject *b;
    Py_ssize_t n;
    char *s;

    if (!PyArg_ParseTuple(args, "On:rx_shrink", &b, &n))
        return NULL;
    if (!PyBytes_CheckExact(b) || n < 0 || n > PyBytes_Size(b)) {
        PyErr_SetString(PyExc_ValueError, "rx_shrink: a bytes object and a size within it");
        return NULL;
    }
    s = PyBytes_AsString(b);
    if (!s)
        return NULL;
    s[n] = 0;
    Py_SET_SIZE((PyVarObject *)b, n);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"data_rows", data_rows, METH_VARARGS,
     "data_rows(msg_rows, msg_tf) -> bytes: the rows of the data messages (type >= 16) of "
     "two u32 arrays (a LeanRows' message columns), as u32."},
    {"compact", compact, METH_VARARGS,
     "compact(base, rows_type) -> type: a final subtype of the View subclass base whose "
     "instances the garbage collector does not track (no cycle can run through them: their "
     "_rows takes None or a rows_type only, their _c None or a Table)."},
    {"views", views, METH_VARARGS,
     "views(cls, table, msgs) -> list | None: one view per message of the Table (cls: a View "
     "subclass, or a list of one per message), sharing it; None when msgs (a list, or an "
     "array of u32) are not the table's message rows."},
    {"rx_bytes", rx_bytes, METH_O,
     "rx_bytes(n) -> bytes: n bytes, not initialised (a receive area; rx_shrink makes it the replies)."},
    {"rx_shrink", rx_shrink, METH_VARARGS,
     "rx_shrink(b, n): the rx_bytes object b cut to its first n bytes in place (not shared yet)."},
    {NULL, NULL, 0, NULL},
};

static int add_type(PyObject *m, PyType_Spec *spec, PyObject *base, PyTypeObject **out)
{
    PyObject *t = base ? PyType_FromSpecWithBases(spec, base) : PyType_FromSpec(spec);
    const char *dot;

    if (!t)
        return -1;
    *out = (PyTypeObject *)t;
    dot = strrchr(spec->name, '.');
    Py_INCREF(t);
    if (PyModule_AddObject(m, dot ? dot + 1 : spec->name, t) < 0) {
        Py_DECREF(t);
        return -1;
    }
    return 0;
}

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pynetlink.codec._cview",
                                    "Dump views read in C: Table, View, Field, views().", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__cview(void)
{
    PyObject *m = PyModule_Create(&module);

    if (!m)
        return NULL;
    if (add_type(m, &table_spec, NULL, &table_type) < 0 || add_type(m, &view_spec, NULL, &view_type) < 0
        || add_type(m, &field_spec, NULL, &field_type) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#define OP(name) if (PyModule_AddIntConstant(m, #name, name) < 0) { Py_DECREF(m); return NULL; }
    OP(F_UINT) OP(F_SINT) OP(F_OPT) OP(F_NONZERO) OP(F_FAMILY) OP(F_NAMED) OP(F_IP) OP(F_STR)
    OP(F_HEX) OP(F_DST) OP(F_TABLE) OP(F_CACHED) OP(F_BIT) OP(F_INDEX) OP(F_ROW)
#undef OP
    return m;
}
