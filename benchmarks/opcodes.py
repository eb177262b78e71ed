"""Python opcodes executed per container in W1, by function: a load-independent measure of
the Python an implementation runs (wall and CPU times on a shared machine move by tens of
percent between runs; the opcode count of the same code does not).

    python3 -m benchmarks.opcodes            # pynetlink (the API) and pynetlink codec, N=128
    python3 -m benchmarks.opcodes 64 40      # N, how many functions to list

Counts the opcodes of the thread that runs the workload (``sys.settrace`` with opcode
events; namespaces are made on a helper thread, whose Python is not counted). Runs inside
namespaces of its own (pnlb-<pid>-...), always removed. Needs root.
"""
from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from .common import PREFIX, cleanup
from .impl.base import Case, Ctx, Impl
from .impl.pynetlink_api import PynetlinkApi
from .impl.pynetlink_impl import Pynetlink
from .run import run_setup


def count(impl: Impl, n: int) -> collections.Counter[tuple[str, int, str]]:
    """Opcodes of one W1 run of ``impl`` with ``n`` containers, by (file, line, function)."""
    case = Case("W1", n)
    ctx = Ctx(host=run_setup(case, "opc"), ctr_prefix=f"{PREFIX}opc-c", tmp=Path(tempfile.mkdtemp()), bins={})
    impl.setup(case, ctx)
    import pynetlink
    (pynetlink.Bridge, pynetlink.NetNS, pynetlink.Veth)     # imported before counting
    c: collections.Counter[tuple[str, int, str]] = collections.Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            c[(code.co_filename.split("/pynetlink/")[-1], code.co_firstlineno, code.co_name)] += 1
        return trace

    try:
        sys.settrace(trace)
        try:
            impl.run(case, ctx)
        finally:
            sys.settrace(None)
        impl.teardown(case, ctx)
    finally:
        impl.close(ctx)
        cleanup()
    return c


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    for impl in (PynetlinkApi(), Pynetlink()):
        c = count(impl, n)
        print(f"{impl.name}: {sum(c.values()) / n:.0f} opcodes per container (N={n})")
        for (path, line, fn), k in c.most_common(top):
            print(f"  {k / n:8.1f}  {path}:{line} {fn}")


if __name__ == "__main__":
    main()
