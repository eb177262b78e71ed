"""The plugin bundle's code objects, made smaller to unmarshal (``pynetlink cni install`` only;
a plugin process never imports this).

Unmarshalling is the largest single cost of a plugin's imports (~3 ms for the ~1.1 MB a
bridge ADD loads), so the bundle holds each module compiled

- without docstrings (removed from the syntax tree; ``assert`` statements stay, unlike
  ``optimize=2``), and
- without column positions: each code object's location table rewritten with line numbers
  only (the form ``python -X no_debug_ranges`` compiles to: tracebacks name the same lines,
  without the ``^^^`` markers). Done only where the table format is known (CPython 3.11 to
  3.13) and kept only if the new table gives every instruction the same line as the old one.
"""
from __future__ import annotations

import ast
import sys
import types

_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_LINES_ONLY, _NO_LOCATION = 13, 15          # location table entry codes (Objects/locations.md)


def compile_slim(source: bytes, origin: str) -> types.CodeType:
    """``source`` compiled as a module without docstrings or column positions."""
    tree = ast.parse(source, origin)
    for node in ast.walk(tree):
        if isinstance(node, _DOCUMENTED) and node.body and _is_docstring(node.body[0]):
            first = node.body.pop(0)
            if not node.body:
                node.body.append(ast.copy_location(ast.Pass(), first))
    code = compile(tree, origin, "exec", dont_inherit=True)
    return lines_only(code) if (3, 11) <= sys.version_info[:2] <= (3, 13) else code


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def lines_only(code: types.CodeType) -> types.CodeType:
    """``code`` (and the code objects among its constants) with a location table of line
    numbers only; ``code`` itself where the rewritten table would differ in any line."""
    consts = tuple(lines_only(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    lines = [p[0] for p in code.co_positions()]
    if len(lines) != len(code.co_code) // 2:
        return code.replace(co_consts=consts)
    table = bytearray()
    prev, i = code.co_firstlineno, 0
    while i < len(lines):
        line, n = lines[i], 1
        while n < 8 and i + n < len(lines) and lines[i + n] == line:
            n += 1
        if line is None:
            table.append(0x80 | _NO_LOCATION << 3 | (n - 1))
        else:
            table.append(0x80 | _LINES_ONLY << 3 | (n - 1))
            delta = line - prev
            _varint(table, (-delta << 1) | 1 if delta < 0 else delta << 1)
            prev = line
        i += n
    new = code.replace(co_consts=consts, co_linetable=bytes(table))
    if [p[0] for p in new.co_positions()] != lines or _merged(new) != _merged(code):
        return code.replace(co_consts=consts)
    return new


def _merged(code: types.CodeType) -> list[list[int | None]]:
    """``co_lines()`` with adjacent ranges of one line joined (what tracing and tracebacks see)."""
    out: list[list[int | None]] = []
    for start, end, line in code.co_lines():
        if out and out[-1][2] == line and out[-1][1] == start:
            out[-1][1] = end
        else:
            out.append([start, end, line])
    return out


def _varint(out: bytearray, value: int) -> None:
    while value >= 0x40:
        out.append(0x40 | (value & 0x3F))
        value >>= 6
    out.append(value)
