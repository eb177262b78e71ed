"""A host namespace with its state directory, and containers, all made (and deleted) here."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from pynetlink.networks import Networks
from pynetlink.transport import NetNS

from ..conftest import ip_json
from ..networks.conftest import quiet


@dataclass
class Host:
    ns: NetNS
    state: Path
    nets: Networks
    container: Callable[[], NetNS]


@pytest.fixture
def host(make_netns: Callable[[str], NetNS], tmp_path: Path) -> Iterator[Host]:
    ns = quiet(make_netns("H"))
    state = tmp_path / "state"
    nets = Networks(ns, state_dir=state)
    yield Host(ns, state, nets, lambda: quiet(make_netns("c")))
    nets.close()                     # the host Handle it keeps


def ipj(ns: NetNS, *args: str) -> list[dict[str, Any]]:
    """``ip -j -n NS ARGS`` (an independent oracle), typed."""
    out: list[dict[str, Any]] = ip_json(str(ns.name), *args)  # type: ignore[assignment]
    return out


def state_files(state: Path) -> list[str]:
    """Every file under a state directory, but the host lock (kept for good, see design.md)."""
    return sorted(str(p.relative_to(state)) for p in state.rglob("*")
                  if p.is_file() and p.name != "networks.lock")
