"""Shared fixtures: namespaces the tests make themselves, and kernel-feature markers.

Rules (DEVELOPERS.md, ground rule 1): a live test changes only namespaces it created
(`netns` fixture: unique names, always deleted, also on failure). Nothing touches the
machine's root namespace.

``@pytest.mark.kernel("ipvlan", ...)`` says which kernel features a test needs. Features are
probed once per session in a throwaway namespace (pynetlink.check). Where one is missing the
test is skipped with the reason; inside the VM tier (PYNETLINK_VM_TIER=1) it fails instead,
since that kernel must have everything. Tests needing a feature this machine's kernel lacks
are also marked ``vm`` so the VM run can select them with ``-m vm``.
"""
from __future__ import annotations

import os
import subprocess

import pytest

from pynetlink.testing import PREFIX, unique_name  # noqa: F401  (re-exported for tests)

IN_VM = os.environ.get("PYNETLINK_VM_TIER") == "1"
IS_ROOT = os.geteuid() == 0
# features the development kernel lacks: their tests run in the VM tier
VM_FEATURES = {"ipvlan", "vlan", "vlan_8021ad", "dummy", "bridge_vlan_filtering"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kernel(*features): needs these kernel features")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for mark in item.iter_markers("kernel"):
            if VM_FEATURES.intersection(mark.args):
                item.add_marker(pytest.mark.vm)
        if item.get_closest_marker("kernel") or item.get_closest_marker("vm"):
            item.add_marker(pytest.mark.root)


_features: dict[str, str] | None = None


def kernel_features() -> dict[str, str]:
    """feature -> '' when available, else the reason (probed once per session)."""
    global _features
    if _features is None:
        from pynetlink.check import probe_features
        _features = {name: res.reason for name, res in probe_features().items()}
    return _features


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("root") and not IS_ROOT:
        pytest.skip("needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create namespaces")
    for mark in item.iter_markers("kernel"):
        feats = kernel_features()
        for feature in mark.args:
            reason = feats.get(feature, f"unknown feature {feature!r}")
            if reason:
                msg = f"kernel lacks {feature}: {reason}"
                if IN_VM:
                    pytest.fail(f"VM tier: {msg}")
                pytest.skip(msg + (" (runs in the VM tier: tools/vm-tier)" if feature in VM_FEATURES else ""))


# make_netns, netns (and make_network, root_netns_guard) come from pynetlink's pytest plugin,
# pynetlink.testing, registered as an entry point; the root namespace guard is on for every
# test here (pyproject.toml: pynetlink_guard = true).


def ip_json(netns_name: str, *args: str) -> object:
    """`ip -j -n NS ...` as an independent oracle (never used to change anything)."""
    import json
    out = subprocess.run(["ip", "-j", "-n", netns_name, *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


_vm_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if IN_VM and report.skipped:
        _vm_skipped.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: "object", exitstatus: int, config: pytest.Config) -> None:
    if IN_VM:
        stats = terminalreporter.stats  # type: ignore[attr-defined]
        passed, failed = len(stats.get("passed", [])), len(stats.get("failed", []))
        errors = len(stats.get("error", []))
        terminalreporter.write_line(  # type: ignore[attr-defined]
            f"VM tier: {passed + failed + errors} tests ran inside the VM ({passed} passed, {failed} failed, "
            f"{errors} errors), {len(_vm_skipped)} skipped")
        for nodeid in _vm_skipped:
            terminalreporter.write_line(f"VM tier: SKIPPED (not allowed here): {nodeid}")  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_VM and _vm_skipped and session.exitstatus == 0:
        session.exitstatus = 1      # everything selected for the VM must run there
