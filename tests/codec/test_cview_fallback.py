"""Without the C views (a build lacking pynetlink.codec._cview) the views read the list tables
in Python, as before the extension: the same comparison as test_dump_views.py (dump views
against views made alone, every field of every link, address and route of the real
replies), in a fresh interpreter where the extension cannot be imported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_fuzz import CORPUS

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import sys
sys.modules["pynetlink.codec._cview"] = None          # import fails: the Python path
from pynetlink.codec import columns
from pynetlink.rtnl.view import MessageView
assert columns._cview is None and MessageView.__mro__[1].__module__ == "pynetlink.rtnl.view"
from tests.codec.test_dump_views import compare
from tests.codec.test_fuzz import CORPUS
from pynetlink.rtnl import routes
from pynetlink.codec.rows import decode
from pynetlink.codec.specs.rtnl import RTNL
n = sum(compare(data, fam) for data, fam in CORPUS)
assert n > 20, n
rows = [decode(d, f) for d, f in CORPUS if f is RTNL]
lean = [decode(d, RTNL, routes._PLUCK) for d, f in CORPUS if f is RTNL]
assert all(type(l.data_messages()) is list and l.data_messages() == r.data_messages() for l, r in zip(lean, rows))
print(n)
"""


@pytest.mark.skipif(not CORPUS, reason="no test vectors")
def test_views_read_alike_without_the_extension() -> None:
    p = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert int(p.stdout.split()[-1]) > 20
