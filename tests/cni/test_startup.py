"""A plugin process's start-up (cni/startup.py): ``array`` loads without the ``collections``
package, registered with the same ``MutableSequence`` a later ``import collections.abc``
gives, and that later import is the real package."""
from __future__ import annotations

import subprocess
import sys

from pynetlink.cni.install import search_paths

PROBE = """
import sys
sys.path[:0] = %r
from pynetlink.cni.startup import prepare
prepare()
assert "array" in sys.modules, "array not loaded"
assert "collections" not in sys.modules and "collections.abc" not in sys.modules, sorted(sys.modules)
import array, collections, collections.abc, _collections_abc
assert isinstance(array.array("b"), collections.abc.MutableSequence)
assert issubclass(array.array, collections.abc.Sequence)
assert collections.abc.MutableSequence is _collections_abc.MutableSequence
assert hasattr(collections, "OrderedDict") and collections.abc is sys.modules["collections.abc"]
assert collections.abc.__name__ == "collections.abc" and hasattr(collections.abc, "_CallableGenericAlias")
print("ok")
"""


def test_array_without_collections_then_the_real_package() -> None:
    p = subprocess.run([sys.executable, "-IS", "-c", PROBE % (search_paths(),)], capture_output=True, text=True,
                       timeout=60, cwd="/")
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]
