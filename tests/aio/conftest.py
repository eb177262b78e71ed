"""Fixtures for the asyncio API: namespaces the tests make, `ip -j` as the oracle."""
from __future__ import annotations

import subprocess
from typing import Any


def ip(ns: Any, *args: str) -> None:
    """`ip -n NS ...` (only ever inside the test's own namespace)."""
    subprocess.run(["ip", "-n", ns.name, *args], check=True, capture_output=True, text=True)


def addresses(ns: Any, dev: str, family: str = "-4") -> set[str]:
    """The addresses of ``dev`` as `ip -j addr` lists them ("a.b.c.d/len")."""
    from ..conftest import ip_json
    out = ip_json(ns.name, family, "addr", "show", "dev", dev)
    assert isinstance(out, list)
    return {f"{a['local']}/{a['prefixlen']}" for x in out for a in x["addr_info"]}
