/* What the C extensions of csrc/ext (events.c, views.c) share: CPython's limited API
 * (abi3, 3.11 and later), the headers both use, and Py_XSETREF where the limited API
 * lacks it; a type's layout. */
#ifndef PNL_PYEXT_H
#define PNL_PYEXT_H
#ifndef Py_LIMITED_API
#define Py_LIMITED_API 0x030B0000
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>
#include "../ipv4_text.h"

#ifndef Py_XSETREF                  /* (not in the limited API before 3.12) */
#define Py_XSETREF(dst, src) do { PyObject *old_ = (PyObject *)(dst); (dst) = (src); Py_XDECREF(old_); } while (0)
#endif

/* A class's __basicsize__, __dictoffset__ and __weakrefoffset__ (what the limited API lets a
 * module read of a type's layout): 0, or -1 with an error set. */
static inline int pnl_type_layout(PyObject *type, Py_ssize_t *basicsize, long *doff, long *woff)
{
    PyObject *bs = PyObject_GetAttrString(type, "__basicsize__");
    PyObject *d = PyObject_GetAttrString(type, "__dictoffset__");
    PyObject *w = PyObject_GetAttrString(type, "__weakrefoffset__");

    *basicsize = bs ? PyLong_AsSsize_t(bs) : -1;
    *doff = d ? PyLong_AsLong(d) : -1;
    *woff = w ? PyLong_AsLong(w) : -1;
    Py_XDECREF(bs);
    Py_XDECREF(d);
    Py_XDECREF(w);
    return PyErr_Occurred() ? -1 : 0;
}
#endif
