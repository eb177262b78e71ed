"""Fixtures of the CNI tests: the installed plugins, a throwaway host namespace, containers."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from .bridgeenv import Env
from .invoke import installed


@pytest.fixture(scope="session")
def cni_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin directory holding pynetlink's plugins (``pynetlink cni install``)."""
    return installed(tmp_path_factory.mktemp("cnibin"))


@pytest.fixture
def host(make_netns: Callable[..., Any]) -> str:
    """A throwaway namespace playing the node's root namespace; its name."""
    ns = make_netns("host")
    return str(ns.name)


@pytest.fixture
def container(make_netns: Callable[..., Any]) -> Callable[[], str]:
    """Factory: a new container namespace; returns its /run/netns path."""
    def make() -> str:
        return str(make_netns("ctr").path)
    return make


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """host-local's dataDir for this test."""
    d = tmp_path / "ipam"
    d.mkdir()
    yield d


@pytest.fixture
def env(cni_bin: Path, host: str, data_dir: Path) -> Env:
    """pynetlink-bridge bound to ``host``, ``cni_bin`` and ``data_dir``."""
    return Env(cni_bin, host, data_dir)
