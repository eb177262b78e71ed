/* Port publications read in C straight from the caller's tuples (pynetlink.nft._ports):
 * ``(host_port, to, to_port[, proto])`` checked and split into the columns nft/bulk.py packs
 * (pnl_port_rows), with the duplicate check, in one pass and without a Python object made per
 * tuple. Anything not plainly one of those tuples gives None: the caller then takes its
 * per-object way, whose checks and errors (naming the tuple) are the reference. */
#include "pyext.h"

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

/* an exact str holding a strict dotted quad (inet_pton: no leading zeros), into a[4]; 0 / -1 */
static int ipv4_of(PyObject *o, uint8_t a[4])
{
    Py_ssize_t len;
    const char *s;
    char one[16];

    if (!PyUnicode_CheckExact(o))
        return -1;
    s = PyUnicode_AsUTF8AndSize(o, &len);
    if (!s) {
        PyErr_Clear();
        return -1;
    }
    if (len < 7 || len >= (Py_ssize_t)sizeof(one) || memchr(s, 0, (size_t)len))
        return -1;
    memcpy(one, s, (size_t)len);
    one[len] = 0;
    return inet_pton(AF_INET, one, a) == 1 ? 0 : -1;
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

static PyObject *columns(PyObject *self, PyObject *args)
{
    PyObject *seq, *out = NULL, *host = NULL, *to = NULL, *to_port = NULL, *proto = NULL;
    Py_ssize_t n, width = -1;
    int is_list;
    uint16_t *hp, *tp;
    uint8_t *ap, *pp, (*seen)[8192];
    int unique = 1;

    if (!PyArg_ParseTuple(args, "O:columns", &seq))
        return NULL;
    is_list = PyList_CheckExact(seq);
    if (!is_list && !PyTuple_CheckExact(seq))
        Py_RETURN_NONE;
    n = is_list ? PyList_Size(seq) : PyTuple_Size(seq);
    if (n <= 0 || (size_t)n > MAX_PORTS)
        Py_RETURN_NONE;
    host = PyBytes_FromStringAndSize(NULL, n * 2);
    to = PyBytes_FromStringAndSize(NULL, n * 4);
    to_port = PyBytes_FromStringAndSize(NULL, n * 2);
    proto = PyBytes_FromStringAndSize(NULL, n);
    seen = PyMem_Calloc(2, sizeof(*seen));            /* (protocol, host port) seen: 2 x 65536 bits */
    if (!host || !to || !to_port || !proto || !seen) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    hp = (uint16_t *)PyBytes_AsString(host);
    ap = (uint8_t *)PyBytes_AsString(to);
    tp = (uint16_t *)PyBytes_AsString(to_port);
    pp = (uint8_t *)PyBytes_AsString(proto);
    if (!hp || !ap || !tp || !pp)
        goto done;
    for (Py_ssize_t k = 0; k < n; k++) {
        /* (no Python code runs in this loop: exact types only, so the list cannot change) */
        PyObject *t = is_list ? PyList_GetItem(seq, k) : PyTuple_GetItem(seq, k);
        PyObject *tpo;
        long h, p;
        int pr = 6;

        if (!t || !PyTuple_CheckExact(t))
            goto none;
        if (width < 0)
            width = PyTuple_Size(t);
        if (PyTuple_Size(t) != width || (width != 3 && width != 4))
            goto none;
        h = port_of(PyTuple_GetItem(t, 0));
        tpo = PyTuple_GetItem(t, 2);
        p = tpo == Py_None ? h : port_of(tpo);
        if (h < 0 || p < 0 || ipv4_of(PyTuple_GetItem(t, 1), ap + 4 * k) < 0)
            goto none;
        if (width == 4 && (pr = proto_of(PyTuple_GetItem(t, 3))) < 0)
            goto none;
        hp[k] = (uint16_t)h;
        tp[k] = (uint16_t)p;
        pp[k] = (uint8_t)pr;
        {
            uint8_t *bits = seen[pr == 17];
            uint8_t bit = (uint8_t)(1u << (h & 7));

            if (bits[h >> 3] & bit)
                unique = 0;
            bits[h >> 3] |= bit;
        }
    }
    out = Py_BuildValue("(OOOOO)", host, to, to_port, proto, unique ? Py_True : Py_False);
    goto done;
none:
    PyErr_Clear();
    out = Py_None;
    Py_INCREF(out);
done:
    PyMem_Free(seen);
    Py_XDECREF(host);
    Py_XDECREF(to);
    Py_XDECREF(to_port);
    Py_XDECREF(proto);
    return out;
}

static PyMethodDef methods[] = {
    {"columns", columns, METH_VARARGS,
     "columns(mappings) -> (host, to, to_port, proto, unique) | None: the tuples "
     "(host_port, to, to_port[, proto]) as columns (host and target ports native u16, "
     "targets 4 bytes each, protocol numbers), and whether no (protocol, host port) repeats; "
     "None when one is not plainly such a tuple (IPv4 target in its usual spelling)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pynetlink.nft._ports",
                                    "Port publications read from the caller's tuples in C.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ports(void)
{
    return PyModule_Create(&module);
}
