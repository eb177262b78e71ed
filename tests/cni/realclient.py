"""A real runtime as the CNI client: podman (CNI backend) and containerd's ``ctr run --cni``.

The machinery is the shared recipe ``../shared/cni-realclient`` (beside the clone, as CI lays
it out; else /work/shared/cni-realclient): ``setup.sh`` makes a throwaway tree ``$CNIFZ``, a
throwaway network namespace (the "holder" ns, playing the node) and a long-lived holder process
whose network and mount namespaces every podman/ctr call enters; ``teardown.sh`` removes all of
it, global dirs podman/libcni/crun created included. Every plugin call goes through the recipe's
spy (``$CNIFZ/spylog``: env, stdin, stdout, stderr, rc of each call).

The plugin directory holds pynetlink's plugins written by ``python -m pynetlink cni install``
(this interpreter: the worktree's .venv) plus symlinks to the reference plugins in
/usr/lib/cni (firewall, tuning, loopback... for chains that mix them).

Fixtures (import ``realclient_fixture``, ``holder_clean_fixture``, ``ctrd_fixture`` into a test
module to use them): ``realclient`` (session: set-up once, torn down at the end; the root namespace must
then be identical to its snapshot, and nothing of the recipe may remain), ``holder_clean``
(per test: after it, nothing of its containers is left in the holder ns: links, addresses,
routes by ``ip -j``, NAT by ``nft -j``, IPAM reservation files; waits for podman's
asynchronous cleanup with a timeout, never a fixed sleep), ``ctrd`` (containerd in the holder).

Sessions share the global dirs (/var/lib/cni, /run/crun, /run/containerd) that teardown.sh
removes when it did not find them, so a session holds a flock on ``LOCK`` from set-up to
teardown: a second one (another pytest, the W6 benchmark) waits for it. A session killed
before its teardown leaves the marker ``CREATED`` naming the dirs it made: the next session
removes those too (``own_globals``), instead of taking them for the machine's.

Missing tools (podman, ctr, busybox-static, the recipe) skip the tests, except under CI
(``CI=true``) where they fail: CI must run them.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE_DIR = Path("/usr/lib/cni")
PYNETLINK_TYPES = {"bridge": "pynetlink-bridge", "host-local": "pynetlink-host-local",
                   "portmap": "pynetlink-portmap"}
T = TypeVar("T")
LOCK = "/run/lock/pynetlink-cni-realclient.lock"     # serialises recipe sessions (RealClient.lock)
# the global dirs a session's setup.sh found missing (its teardown.sh removes them), written
# under LOCK and removed after a clean teardown: left by a session killed before its teardown,
# it tells the next session that those dirs are a session's, not the machine's (see own_globals)
CREATED = "/run/lock/pynetlink-cni-realclient.created"
# shell snippets for the containers (busybox)
PING = "ping -c1 -W2 {gw} >/dev/null && echo PING-OK"
SHOW = "ip -4 -o addr show dev {dev}; ip -o link show dev {dev}; ip route"


def shared_dir() -> Path | None:
    """The recipe: ``<repo>/../shared/cni-realclient``, else /work/shared/cni-realclient."""
    for d in (REPO.parent / "shared" / "cni-realclient", Path("/work/shared/cni-realclient")):
        if (d / "setup.sh").is_file():
            return d
    return None


def missing_tools(*extra: str) -> list[str]:
    """What the recipe needs and this machine lacks (empty: everything is there)."""
    out = []
    if os.geteuid() != 0:
        out.append("root")
    if shared_dir() is None:
        out.append("the recipe ../shared/cni-realclient")
    for tool in ("podman", "crun", "conmon", "nsenter", "unshare", "ip", "nft", *extra):
        if shutil.which(tool) is None and not Path(f"/usr/libexec/podman/{tool}").exists():
            out.append(tool)
    if not Path("/bin/busybox").is_file():
        out.append("busybox-static")
    if not (REFERENCE_DIR / "bridge").is_file():
        out.append("containernetworking-plugins")
    return out


def require(*extra: str) -> None:
    """Skip when a tool is missing; under CI (CI=true) fail instead."""
    gone = missing_tools(*extra)
    if gone:
        msg = (f"real-client tests need {', '.join(gone)} (apt-get install podman "
               "containernetworking-plugins busybox-static iptables containerd)")
        if os.environ.get("CI") == "true":
            pytest.fail("CI: " + msg)
        pytest.skip(msg)


def wait_for(cond: Callable[[], T], timeout: float = 30.0, what: str = "condition",
             interval: float = 0.05) -> T:
    """Poll ``cond`` until it returns something truthy; fail with its last value at ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r})")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


@dataclass
class SpyCall:
    """One plugin execution as the recipe's spy logged it."""

    t0: float
    pid: int
    name: str
    command: str
    env: dict[str, str]
    stdin: Any
    stdout: str
    stderr: str
    rc: int

    @property
    def result(self) -> Any:
        try:
            return json.loads(self.stdout) if self.stdout.strip() else None
        except ValueError:
            return None


@dataclass
class Net:
    """A CNI network written into the client's config dir."""

    name: str
    subnet: str
    gateway: str
    bridge: str
    path: Path
    conf: dict[str, Any]

    def host(self, k: int) -> str:
        """The k-th address of the subnet (as a string)."""
        return str(ipaddress.ip_network(self.subnet)[k])


@dataclass
class Snapshot:
    """The holder namespace's state, read with ``ip -j`` and ``nft -j``, and IPAM files."""

    links: list[dict[str, Any]]
    addrs: list[dict[str, Any]]
    routes: list[dict[str, Any]]
    nft: list[dict[str, Any]]
    ipam: set[str]
    containers: list[str] = field(default_factory=list)


def parse(out: str, dev: str = "eth0") -> dict[str, Any]:
    """Address, MAC and default gateway from busybox ip's text output (inside the container)."""
    addr = re.search(rf"\d+: {dev}\s+inet (\S+)", out)
    mac = re.search(rf"\d+: {dev}@\S+: .*link/ether (\S+)", out)
    gw = re.search(r"^default via (\S+) dev (\S+)", out, re.M)
    return {"addr": addr.group(1) if addr else None, "mac": mac.group(1) if mac else None,
            "gw": gw.group(1) if gw else None, "gwdev": gw.group(2) if gw else None}


def in_subnet(addr: str | None, net: Net) -> bool:
    return addr is not None and ipaddress.ip_interface(addr).ip in ipaddress.ip_network(net.subnet)


def own_globals(preexisting: str, created: Path) -> str:
    """setup.sh's record of the global dirs that existed (``preexisting``), without those an
    earlier session made and never tore down (``created``, the marker it left): so this
    session's teardown removes them. The marker then names what this session's teardown.sh
    will remove (written under LOCK)."""
    earlier = set(created.read_text().split()) if created.exists() else set()
    kept = [d for d in preexisting.split() if d not in earlier]
    globals_ = ("/var/lib/cni", "/run/crun", "/run/containerd", "/sys/fs/cgroup/pids/libpod_parent")
    created.write_text("".join(f"{d}\n" for d in globals_ if d not in kept))
    return "".join(f"{d}\n" for d in kept)


class RealClient:
    """One recipe set-up: the holder ns, podman's flags, the plugin dir, the spy log."""

    def __init__(self, here: Path, tag: str) -> None:
        self.here = here
        self.cnifz = Path(f"/tmp/cnifz-{tag}")
        self.netns = f"cnifz-{tag}"
        self.plugins = Path(f"/tmp/cnifz-{tag}-plugins")
        self.snapdir = Path(f"/tmp/cnifz-{tag}-rootsnap")
        self.holder = 0
        self.install_env: dict[str, str] | None = None     # e.g. PYTHONPATH of a source snapshot
        self._lockf: Any = None
        self._k = 10                       # subnets 172.30.<k>.0/24, bridges pnlbr<k>
        # PNL_REALCLIENT_REFERENCE=bridge,host-local,portmap: use those reference plugins instead
        # of pynetlink's (to check the harness itself: the Go bridge fails test_ctr, it leaks NAT)
        ref = set(os.environ.get("PNL_REALCLIENT_REFERENCE", "").split(","))
        self.types = {k: k if k in ref else v for k, v in PYNETLINK_TYPES.items()}
        self.env = {**os.environ, "CNIFZ": str(self.cnifz), "CNIFZ_NETNS": self.netns,
                    "CNIFZ_PLUGIN_DIR": str(self.plugins), "CNIFZ_LOGS": f"{self.cnifz}-logs"}
        self.env.pop("CONTAINERS_CONF", None)

    # -- the recipe's scripts ---------------------------------------------------------------
    def script(self, name: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.here / name), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def lock(self, timeout: float = 900) -> None:
        """One recipe session at a time on this machine: sessions share the global dirs
        (/var/lib/cni, /run/crun, /run/containerd) and teardown.sh removes those it did not find,
        so a second session must not start before the first has torn down."""
        import fcntl
        self._lockf = open(LOCK, "a")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"another real-client session holds {LOCK} for {timeout:.0f} s")
                time.sleep(0.5)

    def start(self) -> None:
        self.lock()
        self.plugins.mkdir(parents=True, exist_ok=True)
        out = subprocess.run([sys.executable, "-m", "pynetlink", "cni", "install", str(self.plugins)],
                             capture_output=True, text=True, timeout=120, env=self.install_env, cwd="/")
        assert out.returncode == 0, f"pynetlink cni install failed: {out.stderr}"
        for p in REFERENCE_DIR.iterdir():
            if not (self.plugins / p.name).exists():
                (self.plugins / p.name).symlink_to(p)
        snap = self.script("compare-rootns.sh", "save", str(self.snapdir))
        assert snap.returncode == 0, snap.stderr
        r = self.script("setup.sh")
        assert r.returncode == 0, f"setup.sh failed:\n{r.stdout}\n{r.stderr}"
        pre = self.cnifz / "preexisting.txt"
        pre.write_text(own_globals(pre.read_text(), Path(CREATED)))
        self.holder = int((self.cnifz / "holder.pid").read_text())
        # a python3 in the containers (for a UDP server): the host's /usr, bind-mounted read-only
        root = self.rootfs
        (root / "usr").mkdir(exist_ok=True)
        for link in ("lib", "lib64"):
            if not (root / link).exists():
                (root / link).symlink_to(f"usr/{link}")

    def stop(self) -> list[str]:
        """Tear everything down; the problems found (empty: clean, root ns identical)."""
        problems = []
        r = self.script("teardown.sh", timeout=300)
        if r.returncode != 0:
            problems.append(f"teardown.sh rc {r.returncode}: {r.stderr[-2000:]}")
        elif getattr(self, "_lockf", None):
            Path(CREATED).unlink(missing_ok=True)    # torn down: nothing of this session's left
        if self.snapdir.exists():
            d = self.script("compare-rootns.sh", "diff", str(self.snapdir))
            if d.returncode != 0:
                problems.append(f"root namespace changed:\n{d.stdout}")
        for p in (self.cnifz, Path(f"{self.cnifz}-logs"), Path(f"/run/netns/{self.netns}")):
            if p.exists():
                problems.append(f"{p} left behind")
        shutil.rmtree(self.snapdir, ignore_errors=True)
        shutil.rmtree(self.plugins, ignore_errors=True)
        shutil.rmtree(f"{self.cnifz}-logs", ignore_errors=True)
        if getattr(self, "_lockf", None):
            self._lockf.close()                  # releases the flock
            self._lockf = None
        return problems

    @property
    def rootfs(self) -> Path:
        return self.cnifz / "rootfs"

    # -- commands in the holder ---------------------------------------------------------------
    def inns(self, *argv: str, timeout: float = 60, check: bool = True,
             input: str | None = None, mount: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the holder's network (and mount) namespace."""
        ns = ["-m", "-n"] if mount else ["-n"]
        r = subprocess.run(["nsenter", "-t", str(self.holder), *ns, "--", *argv], capture_output=True,
                           text=True, timeout=timeout, input=input)
        if check:
            assert r.returncode == 0, f"{' '.join(argv)}: rc {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def pm(self, *args: str, timeout: float = 120, check: bool = True, plain: bool = False,
           ) -> subprocess.CompletedProcess[str]:
        """``pm ARGS`` from the recipe's env.sh (podman with its flags, in the holder)."""
        env = dict(self.env)
        if plain:                       # no spy: the plugin dir directly (for timings)
            env["CONTAINERS_CONF"] = str(self.cnifz / "containers-plain.conf")
        r = subprocess.run(["bash", "-c", 'source "$0/env.sh" && pm "$@"', str(self.here), *args],
                           env=env, capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, f"podman {' '.join(args)}: rc {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def run(self, *opts: str, cmd: Sequence[str] = ("/bin/true",), check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``podman run OPTS --rootfs ROOTFS CMD``: every option before the rootfs path (pitfall 1)."""
        return self.pm("run", *opts, "--rootfs", str(self.rootfs), *cmd, check=check, timeout=timeout)

    def ip_json(self, *args: str) -> Any:
        out = self.inns("ip", "-j", *args, mount=False).stdout
        return json.loads(out) if out.strip() else []

    def nft_json(self) -> list[dict[str, Any]]:
        out = self.inns("nft", "-j", "list", "ruleset", mount=False).stdout
        return json.loads(out)["nftables"] if out.strip() else []

    # -- networks -----------------------------------------------------------------------------
    def next_subnet(self) -> tuple[str, str, str]:
        """A fresh (subnet, gateway, bridge name) in the holder ns."""
        self._k += 1
        k = self._k
        return f"172.30.{k}.0/24", f"172.30.{k}.1", f"pnlbr{k}"

    def bridge_net(self, name: str, *, portmap: bool = True, version: str = "1.0.0",
                   extra: Sequence[dict[str, Any]] = (), directory: Path | None = None,
                   types: dict[str, str] | None = None, **bridge: Any) -> Net:
        """Write a conflist: pynetlink-bridge + pynetlink-host-local (+ pynetlink-portmap), or the
        plugins ``types`` maps bridge, host-local and portmap to."""
        t = types or self.types
        subnet, gw, br = self.next_subnet()
        conf: dict[str, Any] = {
            "type": t["bridge"], "bridge": br, "isGateway": True, "ipMasq": True,
            "hairpinMode": True,
            "ipam": {"type": t["host-local"], "dataDir": str(self.cnifz / "ipam"),
                     "routes": [{"dst": "0.0.0.0/0"}],
                     "ranges": [[{"subnet": subnet, "gateway": gw}]]}}
        conf.update(bridge)
        plugins = [conf]
        if portmap:
            plugins.append(self.portmap_conf(t["portmap"]))
        plugins += list(extra)
        conflist = {"cniVersion": version, "name": name, "plugins": plugins}
        return Net(name, subnet, gw, br, self.write_conflist(conflist, directory), conflist)

    def portmap_conf(self, type_: str) -> dict[str, Any]:
        """A portmap entry; pynetlink's keeps its records in the tree, not in /run/pynetlink."""
        conf: dict[str, Any] = {"type": type_, "capabilities": {"portMappings": True}}
        if type_.startswith("pynetlink-"):
            conf["stateDir"] = str(self.cnifz / "portmap")
        return conf

    def write_conflist(self, conflist: dict[str, Any], directory: Path | None = None) -> Path:
        path = (directory or self.cnifz / "net.d") / f"{conflist['name']}.conflist"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(conflist, indent=2))
        os.replace(tmp, path)
        return path

    # -- the spy log --------------------------------------------------------------------------
    def spy(self, since: float = 0.0) -> list[SpyCall]:
        """Finished plugin calls (those with a .rc file) that started at ``since`` or later."""
        out = []
        d = self.cnifz / "spylog"
        for rc in sorted(d.glob("*.rc")):
            base = str(rc)[:-3]
            stem = rc.name[:-3]
            t0s, pid, rest = stem.split("-", 2)
            name, command = rest.rsplit("-", 1)
            if float(t0s) < since:
                continue

            def read(ext: str) -> str:
                try:
                    return Path(base + ext).read_text(errors="replace")
                except FileNotFoundError:
                    return ""
            env = dict(line.split("=", 1) for line in read(".env").splitlines() if "=" in line)
            try:
                stdin = json.loads(read(".stdin") or "null")
            except ValueError:
                stdin = read(".stdin")
            rcv = int(read(".rc").split()[0].split("=")[1])
            out.append(SpyCall(float(t0s), int(pid), name, command, env, stdin, read(".stdout"),
                               read(".stderr"), rcv))
        return out

    # -- state of the holder ns ---------------------------------------------------------------
    def ipam_dirs(self) -> list[Path]:
        return [self.cnifz / "ipam", Path("/var/lib/cni/networks")]

    def ipam_files(self) -> set[str]:
        """Reservation files (named by address) in every IPAM data dir we know of."""
        out = set()
        for d in self.ipam_dirs():
            if not d.is_dir():
                continue
            for p in d.rglob("*"):
                try:
                    ipaddress.ip_address(p.name)
                except ValueError:
                    continue
                out.add(str(p))
        return out

    def snapshot(self) -> Snapshot:
        return Snapshot(self.ip_json("-d", "link"), self.ip_json("addr"),
                        self.ip_json("route", "show", "table", "all") + self.ip_json("-6", "route", "show", "table", "all"),
                        self.nft_json(), self.ipam_files())

    def leftovers(self, before: Snapshot, since: float) -> list[str]:
        """What the containers of a test left in the holder ns (empty: nothing).

        Allowed to stay: bridges made by the test's networks (with no port left), their own
        addresses and routes, and network-wide nft objects; not allowed: any new veth or other
        link, an address or route on anything else, an nft rule or element naming an address
        the plugins handed out since ``since`` or a published host port, a reservation file.
        """
        now = self.snapshot()
        bad = []
        old = {lk["ifname"] for lk in before.links}
        # the networks' bridges (new or from earlier tests): their own addresses and routes are
        # network state (e.g. IPv6 link-local routes come and go with the carrier)
        bridges = {lk["ifname"] for lk in now.links if lk.get("linkinfo", {}).get("info_kind") == "bridge"}
        for lk in now.links:
            if lk["ifname"] not in old and lk["ifname"] not in bridges:  # no veth, nothing else
                bad.append(f"link {lk['ifname']} ({lk.get('link_type')}) left")
            if lk.get("master") in bridges:
                bad.append(f"link {lk['ifname']} still a port of {lk['master']}")
        old_addrs = {(a["ifname"], i["local"]) for a in before.addrs for i in a.get("addr_info", [])}
        for a in now.addrs:
            for i in a.get("addr_info", []):
                if (a["ifname"], i["local"]) not in old_addrs and a["ifname"] not in bridges:
                    bad.append(f"address {i['local']} on {a['ifname']} left")
        old_routes = {json.dumps(r, sort_keys=True) for r in before.routes}
        for r in now.routes:
            if json.dumps(r, sort_keys=True) not in old_routes and r.get("dev") not in bridges:
                bad.append(f"route {r} left")
        handed, ports = self.handed_out(since)
        old_nft = {json.dumps(o, sort_keys=True) for o in before.nft}
        for o in now.nft:
            if json.dumps(o, sort_keys=True) in old_nft:
                continue
            kind = next(iter(o))
            for leaf in _leaves(o):
                if isinstance(leaf, str) and leaf.split("/")[0] in handed:
                    bad.append(f"nft {kind} naming container address {leaf} left: {json.dumps(o)[:300]}")
                elif isinstance(leaf, int) and leaf in ports and kind in ("rule", "map", "set", "element"):
                    bad.append(f"nft {kind} naming published port {leaf} left: {json.dumps(o)[:300]}")
        for f in sorted(now.ipam - before.ipam):
            bad.append(f"IPAM reservation {f} left")
        return bad

    def handed_out(self, since: float) -> tuple[set[str], set[int]]:
        """Addresses in ADD results and host ports in runtimeConfig, of calls since ``since``."""
        ips, ports = set(), set()
        for c in self.spy(since):
            if c.command != "ADD":
                continue
            res = c.result or {}
            for ip in res.get("ips", []) if isinstance(res, dict) else []:
                ips.add(ip["address"].split("/")[0])
            if isinstance(c.stdin, dict):
                for pm in c.stdin.get("runtimeConfig", {}).get("portMappings", []):
                    ports.add(int(pm["hostPort"]))
        return ips, ports

    def containers(self) -> list[str]:
        out = self.pm("ps", "-a", "--format", "{{.Names}}", check=False).stdout
        return [x for x in out.split() if x]


def _leaves(obj: Any) -> Iterator[Any]:
    """Every scalar in a JSON value (handles excluded: they are just numbers)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k != "handle":
                yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


class Containerd:
    """containerd 1.6 in the holder and ``ctr run --cni``, as the recipe's containerd.sh does.

    ctr reads the first conflist of /etc/cni/net.d and plugins from /opt/cni/bin: both are
    bind-mounted (in the holder's mount namespace only) over a conf dir of ours and the spy dir.
    """

    def __init__(self, rc: RealClient) -> None:
        self.rc = rc
        self.dir = rc.cnifz / "containerd"
        self.netd = rc.cnifz / "ctr-net.d"
        self.pid = 0
        self.mounted = False

    def start(self) -> None:
        for sub in ("root", "state", "runc", "fifo"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.netd.mkdir(exist_ok=True)
        (self.dir / "config.toml").write_text(
            f'version = 2\nroot = "{self.dir}/root"\nstate = "{self.dir}/state"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{self.dir}/containerd.sock"\n'
            f'[ttrpc]\n  address = "{self.dir}/containerd.sock.ttrpc"\n')
        assert Path("/etc/cni/net.d").is_dir() and Path("/opt").is_dir(), "/etc/cni/net.d or /opt missing"
        self.rc.inns("sh", "-ec", f"mount --bind '{self.netd}' /etc/cni/net.d\n"
                     "mount -t tmpfs cnifz-opt /opt; mkdir -p /opt/cni/bin\n"
                     f"mount --bind '{self.rc.cnifz}/bin-spy' /opt/cni/bin")
        self.mounted = True
        log = open(self.dir / "containerd.log", "wb")
        p = subprocess.Popen(["nsenter", "-t", str(self.rc.holder), "-m", "-n", "--", "containerd",
                              "--config", str(self.dir / "config.toml")],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.proc = p
        self.pid = p.pid
        wait_for(lambda: self.ctr("version", check=False).returncode == 0 or p.poll() is not None,
                 timeout=30, what="containerd to answer")
        assert p.poll() is None, (self.dir / "containerd.log").read_text()[-2000:]

    def stop(self) -> None:
        if self.pid:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if self.mounted:
            self.rc.inns("sh", "-c", "umount /opt/cni/bin; umount /opt; umount /etc/cni/net.d", check=False)

    def ctr(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.rc.inns("ctr", "--address", str(self.dir / "containerd.sock"), *args,
                            timeout=timeout, check=check)

    def run(self, ident: str, *cmd: str, opts: Sequence[str] = ("--rm",),
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """``ctr run --cni --rootfs ... ROOTFS ID CMD`` (no image, no cgroup)."""
        return self.ctr("run", "--cni", "--rootfs", "--runc-root", str(self.dir / "runc"), "--fifo-dir",
                        str(self.dir / "fifo"), "--cgroup", "", *opts, str(self.rc.rootfs), ident, *cmd,
                        check=check)

    def net(self, name: str, **kw: Any) -> Net:
        """A bridge network (``RealClient.bridge_net``) that ctr uses: the only file of its dir."""
        for p in self.netd.iterdir():
            p.unlink()
        return self.rc.bridge_net(name, directory=self.netd, **kw)


# -- fixtures -------------------------------------------------------------------------------------
_session: RealClient | None = None
_users = 0


@pytest.fixture(scope="session", name="realclient")
def realclient_fixture() -> Iterator[RealClient]:
    """The recipe, set up once per session (shared by every module importing this fixture)."""
    global _session, _users
    require()
    if _session is None:
        here = shared_dir()
        assert here is not None
        rc = RealClient(here, f"pnl{os.getpid()}")
        _session = rc
        try:
            rc.start()
        except BaseException:
            rc.stop()
            _session = None
            raise
    _users += 1
    try:
        yield _session
    finally:
        _users -= 1
        if _users == 0:
            rc, _session = _session, None
            problems = rc.stop()
            assert not problems, "\n".join(problems)


@pytest.fixture(name="holder_clean")
def holder_clean_fixture(realclient: RealClient) -> Iterator[Snapshot]:
    """Per test: after it, none of its containers remains and nothing of theirs in the holder ns."""
    rc = realclient
    before = rc.snapshot()
    confs = set((rc.cnifz / "net.d").iterdir())
    since = time.time() - 0.001
    yield before
    left = rc.containers()
    if left:
        rc.pm("rm", "-af", "-t", "1", check=False)
    problems: list[str] = []

    def settled() -> bool:
        problems[:] = rc.leftovers(before, since)
        return not problems
    try:
        wait_for(settled, timeout=30, what="the holder ns to lose the test's containers")
    except AssertionError:
        pass
    # the test's networks go (podman VERSIONs every plugin of every conflist on each command)
    for f in set((rc.cnifz / "net.d").iterdir()) - confs:
        f.unlink()
    assert not left, f"the test left containers: {left}"
    assert not problems, "left in the holder namespace:\n" + "\n".join(problems)


@pytest.fixture(scope="session", name="ctrd")
def ctrd_fixture(realclient: RealClient) -> Iterator[Containerd]:
    """containerd running in the holder (stopped and unmounted at the end)."""
    require("containerd", "ctr")
    c = Containerd(realclient)
    try:
        c.start()
        yield c
    finally:
        c.stop()
