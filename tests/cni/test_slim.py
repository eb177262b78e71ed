"""The bundle's slim code (cni/slim.py): no docstrings, asserts kept, the same line numbers."""
from __future__ import annotations

import marshal
import sys
import traceback
import types
from typing import Any

import pytest

from pynetlink.cni.slim import compile_slim

SOURCE = b'''"""module doc"""
from __future__ import annotations


class C:
    """class doc"""

    def f(self, x):
        """method doc"""
        assert x > 0, "x must be positive"
        y = [i * 2 for i in range(x)]
        return (y[0] +
                1 / (x - 1))


def only_doc():
    """nothing else"""
'''


def _run(code: types.CodeType) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "slimtest"}
    exec(code, ns)
    return ns


def test_docstrings_are_gone_and_asserts_stay() -> None:
    ns = _run(compile_slim(SOURCE, "slimtest.py"))
    cls = ns["C"]
    assert ns.get("__doc__") is None and cls.__doc__ is None and cls.f.__doc__ is None
    assert ns["only_doc"]() is None
    with pytest.raises(AssertionError, match="x must be positive"):
        cls().f(0)
    assert cls().f(3) == 0.5


def test_tracebacks_name_the_same_lines_and_the_code_is_smaller() -> None:
    plain, slim = compile(SOURCE, "slimtest.py", "exec", dont_inherit=True), compile_slim(SOURCE, "slimtest.py")
    lines = []
    for code in (plain, slim):
        try:
            _run(code)["C"]().f(1)
        except ZeroDivisionError as e:
            lines.append([(f.lineno, f.name) for f in traceback.extract_tb(e.__traceback__)][1:])
    assert lines[0] == lines[1] == [(13, "f")], lines
    assert len(marshal.dumps(slim)) < len(marshal.dumps(plain))
    if (3, 11) <= sys.version_info[:2] <= (3, 13):      # column positions dropped where the format is known
        f = next(c for c in next(c for c in slim.co_consts if isinstance(c, types.CodeType)).co_consts
                 if isinstance(c, types.CodeType))
        assert all(p[2] is None for p in f.co_positions())
