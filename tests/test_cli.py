"""The command line: Docker's option language and its mistakes, the inspection commands
against ``ip -j`` / ``nft -j``, exit codes, and ``pynetlink demo`` (also when interrupted)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from pynetlink.cli import main
from pynetlink.transport import NetNS

from .conftest import ip_json as _ip_json
from .conftest import unique_name

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., tuple[int, str, str]]


def ip_json(ns: str, *args: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = _ip_json(ns, *args)  # type: ignore[assignment]
    return out


def flat(data: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted((x["ifname"], a["local"], a["prefixlen"]) for x in data for a in x["addr_info"])


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return go


def test_help_and_usage_errors(run: Run) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["network", "create"])                      # no name: argparse usage error
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0


def test_check_still_works(run: Run) -> None:
    code, out, _ = run("check", "-j")
    assert code == 0 and json.loads(out)["kernel"] == os.uname().release



def test_check_says_what_a_missing_feature_needs(run: Run) -> None:
    """Each missing feature names its module or build option, which docs/errors.md explains."""
    code, out, _ = run("check", "-j")
    features = json.loads(out)["features"]
    doc = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text()
    assert all(f["needs"] and f"`{f['needs'].split(',')[0]}`" in doc for f in features)
    code, text, _ = run("check")
    missing = [f for f in features if not f["ok"]]
    for f in missing:
        assert any(f["what"] in line and f"needs {f['needs']}" in line for line in text.splitlines())
    if missing:
        assert "docs/errors.md, 'Kernel features'" in text


SEED = ["network", "create", "-d", "macvlan", "-o", "parent=eth0", "--subnet", "172.16.0.0/24",
        "--gateway", "172.16.0.254", "--ip-range", "172.16.0.0/24",
        "--aux-address", "host1=172.16.0.1", "--aux-address", "host2=172.16.0.2", "net01"]


def _with(argv: list[str], flag: str, value: str) -> list[str]:
    i = argv.index(flag)
    return argv[:i + 1] + [value] + argv[i + 2:]


@pytest.mark.parametrize("argv,message", [
    (_with(SEED, "--gateway", "172.16.0.254/24"),
     "--gateway: '172.16.0.254/24' has a prefix length; give the address alone (--gateway 172.16.0.254)"),
    (_with(SEED, "-o", "ipvla_mode=l2"), "-o ipvla_mode: unknown option for driver macvlan"),
    (SEED[:-1] + ["-o", "macvlan_mode=bridge", "--aux-address", "host3=172.16.0.2", "net01"],
     "host3=172.16.0.2 and host2=172.16.0.2 are the same address"),
    (_with(SEED, "--gateway", "172.16.9.254"), "gateway 172.16.9.254 is outside the subnet (172.16.0.0/24)"),
    (_with(SEED, "--ip-range", "172.16.0.0/16"), "ip-range 172.16.0.0/16 is outside the subnet"),
    (_with(SEED, "-d", "ipvlan") + ["-o", "ipvla_mode=l2"],
     "did you mean 'ipvlan_mode'? (valid options: parent, ipvlan_mode, ipvlan_flag, mtu)"),
])
def test_seed_mistakes(run: Run, tmp_path: Path, argv: list[str], message: str) -> None:
    code, out, err = run("--state-dir", str(tmp_path), *argv)
    assert code == 2, err
    assert message in err and err.startswith("pynetlink: error: ")
    assert run("--state-dir", str(tmp_path), "network", "ls", "-j")[1].strip() == "[]"


@pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
def test_network_flow_against_oracles(run: Run, make_netns: Callable[..., NetNS], tmp_path: Path) -> None:
    host = make_netns("clih")
    ctrs = [make_netns("clic") for _ in range(3)]
    base = ["-n", str(host.name), "--state-dir", str(tmp_path)]
    code, out, err = run(*base, "network", "create", "--subnet", "172.17.0.0/24", "-o",
                         "bridge_name=docker0", "web")
    assert code == 0, err
    code, out, err = run(*base, "network", "connect", "-p", "8080:80", "web", str(ctrs[0].name))
    assert code == 0 and "172.17.0.2/24" in out and "8080:80/tcp" in out, err
    code, out, err = run(*base, "-j", "network", "connect", "web", *(str(c.name) for c in ctrs[1:]))
    assert code == 0 and [e["addresses"] for e in json.loads(out)] == [["172.17.0.3/24"], ["172.17.0.4/24"]]
    code, out, _ = run(*base, "network", "ls")
    assert "web" in out and "docker0" in out and " 3 " in out
    (net,) = json.loads(run(*base, "network", "inspect", "web")[1])
    assert net["Driver"] == "bridge" and len(net["Containers"]) == 3
    # the inspection commands agree with ip -j (an independent oracle)
    ours = json.loads(run("-n", str(host.name), "-j", "link", "show")[1])
    theirs = ip_json(str(host.name), "link", "show")
    assert [(l["ifname"], l.get("master")) for l in ours] == [(l["ifname"], l.get("master")) for l in theirs]
    ours_a = json.loads(run("-n", str(ctrs[0].name), "-j", "addr", "show")[1])
    theirs_a = ip_json(str(ctrs[0].name), "addr", "show")
    assert flat(ours_a) == flat(theirs_a)
    ours_r = json.loads(run("-n", str(ctrs[0].name), "-j", "route", "show")[1])
    theirs_r = ip_json(str(ctrs[0].name), "route", "show")
    assert [(r["dst"], r.get("gateway"), r.get("dev")) for r in ours_r] == \
        [(r["dst"], r.get("gateway"), r.get("dev")) for r in theirs_r]
    nat = json.loads(run("-n", str(host.name), "-j", "nat", "show")[1])
    assert [(p["host_port"], p["to"], p["to_port"]) for p in nat["published"]] == [(8080, "172.17.0.2", 80)]
    # an error is an exit status and a message, not a traceback
    code, _, err = run(*base, "network", "connect", "web", str(ctrs[0].name))
    assert code == 1 and "already connected" in err
    code, _, err = run(*base, "network", "rm", "web")
    assert code == 1 and "3 containers connected" in err
    assert run(*base, "network", "disconnect", "web", str(ctrs[2].name))[0] == 0
    assert run(*base, "network", "rm", "-f", "web")[0] == 0
    assert [l["ifname"] for l in ip_json(str(host.name), "link", "show")] == ["lo"]
    code, _, err = run(*base, "network", "inspect", "web")
    assert code == 1 and "no network named 'web'" in err


@pytest.mark.kernel("netns", "veth")
def test_quick_changes(run: Run, make_netns: Callable[..., NetNS]) -> None:
    ns = str(make_netns("cliq").name)
    assert run("-n", ns, "link", "add", "br0", "bridge", "--up")[0] == 0
    assert run("-n", ns, "link", "add", "v0", "veth", "--peer", "v1", "--master", "br0")[0] == 0
    assert run("-n", ns, "link", "set", "v0", "up", "--mtu", "1400")[0] == 0
    assert run("-n", ns, "addr", "add", "198.51.100.1/24", "br0")[0] == 0
    assert run("-n", ns, "route", "add", "203.0.113.0/24", "--via", "198.51.100.254")[0] == 0
    links = {l["ifname"]: l for l in ip_json(ns, "link", "show")}
    assert links["v0"]["master"] == "br0" and links["v0"]["mtu"] == 1400
    assert any(r["dst"] == "203.0.113.0/24" for r in ip_json(ns, "route", "show"))
    code, out, _ = run("-n", ns, "route")                       # bare verb: show
    assert code == 0 and "203.0.113.0/24" in out and "198.51.100.254" in out
    code, _, err = run("-n", ns, "link", "del", "nope0")
    assert code == 1 and "nope0" in err
    assert run("-n", ns, "route", "del", "203.0.113.0/24", "--via", "198.51.100.254")[0] == 0
    assert run("-n", ns, "addr", "del", "198.51.100.1/24", "br0")[0] == 0
    assert run("-n", ns, "link", "del", "v0")[0] == 0


@pytest.mark.kernel("netns")
def test_netns_verbs(run: Run) -> None:
    name = unique_name("clins")
    try:
        assert run("netns", "add", name)[0] == 0
        assert name in run("netns", "ls")[1].split()
    finally:
        assert run("netns", "del", name)[0] == 0
    assert name not in run("netns")[1].split()


@pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
def test_netns_del_drops_its_networks(run: Run) -> None:
    """The default state dir is keyed by the namespace's name: deleting the namespace drops
    its records, so a new namespace of that name starts clean (also when deleted otherwise)."""
    import shutil
    name = unique_name("clist")
    state = Path("/run/pynetlink/netns") / name
    net = ["-n", name, "network"]
    try:
        assert run("netns", "add", name)[0] == 0
        assert run(*net, "create", "--subnet", "172.27.0.0/24", "net0")[0] == 0
        code, _, err = run("netns", "del", name)
        assert code == 0 and "dropped the stale record of network net0" in err and name in err
        assert not list((state / "networks").iterdir())
        assert run("netns", "add", name)[0] == 0
        assert run(*net, "ls", "-j")[1].strip() == "[]"
        assert run(*net, "create", "--subnet", "172.27.0.0/24", "net0")[0] == 0
        # deleted behind the command line's back: the next change notices and says so
        NetNS.named(name).delete()
        NetNS.create(name)
        assert json.loads(run(*net, "ls", "-j")[1]) == []
        code, _, err = run(*net, "create", "--subnet", "172.27.0.0/24", "net0")
        assert code == 0 and "dropped the stale record of network net0" in err, err
        code, out, _ = run(*net, "ls")
        assert code == 0 and len(out.splitlines()) == 2 and "ready" in out
        assert run(*net, "rm", "net0")[0] == 0
    finally:
        if NetNS.exists(name):
            NetNS.named(name).delete()
        shutil.rmtree(state, ignore_errors=True)


def _demo_namespaces(pid: int) -> list[str]:
    return [n for n in NetNS.list() if n.startswith(f"pnldemo-{pid}-")]


@pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
def test_demo_runs_and_cleans_up() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "pynetlink", "demo", "-j"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    res: dict[str, Any] = json.loads(out)
    assert res["ok"] and len(res["proofs"]) == 3 and res["leftovers"] == []
    assert not _demo_namespaces(proc.pid)          # its own (other demos may run beside it)


@pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_demo_interrupted_cleans_up(sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "pynetlink", "demo", "--pause", "30"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("pausing"):
            break
    assert _demo_namespaces(proc.pid)                     # built, and waiting
    proc.send_signal(sig)
    assert proc.wait(timeout=20) == 130
    assert not _demo_namespaces(proc.pid)


def test_progress_only_on_a_terminal() -> None:
    import io
    from pynetlink.cli import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress("connecting", stream)
        for i in range(1, 5):
            bar(i, 4)
    assert tty.getvalue().endswith("connecting 4/4 [" + "#" * 30 + "]\n")
    assert "\rconnecting 2/4 [" + "#" * 15 + "." * 15 + "]" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_version_matches_the_package() -> None:
    import subprocess
    import sys

    import pynetlink
    out = subprocess.run([sys.executable, "-m", "pynetlink", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.strip() == f"pynetlink {pynetlink.__version__}"
    from importlib.metadata import version
    assert version("pynetlink-toolkit") == pynetlink.__version__
