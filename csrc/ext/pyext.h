/* What the C extensions of csrc/ext (events.c, views.c) share: CPython's limited API
 * (abi3, 3.11 and later), the headers both use, and Py_XSETREF where the limited API
 * lacks it. */
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
#endif
