"""W6: CNI plugin chains exec'd as a runtime does, pynetlink's against the reference Go plugins.

    python3 -m benchmarks.run --workloads W6            # all of W6 (about 15 min on 2 cores)
    python3 -m benchmarks.w6 --quick                    # N = 1 and 10, 2 repetitions

Three parts, all in the runner's throwaway namespaces or the shared podman recipe:

- **chain**: per container, ADD of the chain then, once all N containers are attached, DEL of
  each (reverse plugin order, every DEL with the cached ADD result as ``prevResult``, as libcni
  does), each plugin a fresh process fed env + stdin, exec'd in a throwaway host namespace
  (setns before exec). Chains: bridge + IPAM and bridge + IPAM + portmap (one published port per
  container), both with ``isGateway`` and ``ipMasq``; pynetlink's (``pynetlink-bridge`` running
  ``pynetlink-host-local`` in-process, ``pynetlink-portmap``) against Debian's Go
  ``bridge`` + ``host-local`` (+ ``portmap``). N = 1, 50, 200; the container namespaces are made
  untimed. Repetitions alternate the chains (the order rotates).
- **version**: one VERSION call (``{"cniVersion":"1.0.0"}`` on stdin) per plugin, alternating,
  plus the interpreter floor ``python -I -S -c pass`` and ``/bin/true``.
- **podman**: ``podman run --rm`` end to end (``pm run --rm ... /bin/true`` through the recipe's
  holder, plain plugin dir, no spy) with no network, and with each chain as the only conflist of
  the config dir (podman VERSIONs every plugin of every conflist it finds).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from .common import PREFIX, cleanup, ip_batch, ns_add, ns_del, ns_list, setns_preexec, sh, wait_netns_settled
from .common import netns_alive

REF = Path("/usr/lib/cni")
SUBNET, GATEWAY, BRIDGE = "172.17.0.0/16", "172.17.0.1", "pnlbr0"
CHAINS = {   # name -> (bridge type, IPAM type, portmap type, None or IN_PROCESS)
    "pynetlink bridge+ipam": ("pynetlink-bridge", "pynetlink-host-local", None),
    "reference bridge+ipam": ("bridge", "host-local", None),
    "pynetlink bridge+ipam+portmap": ("pynetlink-bridge", "pynetlink-host-local", "pynetlink-portmap"),
    "pynetlink bridge+ipam, ports in-process": ("pynetlink-bridge", "pynetlink-host-local", "in-process"),
    "reference bridge+ipam+portmap": ("bridge", "host-local", "portmap"),
    # --baseline DIR: the same chain from another source tree (a before/after pair in one run)
    "baseline pynetlink bridge+ipam": ("pynetlink-bridge", "pynetlink-host-local", None),
}
BASELINE = "baseline pynetlink bridge+ipam"
IN_PROCESS = "in-process"   # pynetlink-bridge with capabilities.portMappings: one process per ADD/DEL
PAIRS = [("pynetlink bridge+ipam", "reference bridge+ipam"),
         ("pynetlink bridge+ipam+portmap", "reference bridge+ipam+portmap"),
         ("pynetlink bridge+ipam, ports in-process", "reference bridge+ipam+portmap"),
         (BASELINE, "reference bridge+ipam")]


def has_ports(chain: str) -> bool:
    return CHAINS[chain][2] is not None


def conflist(chain: str, data_dir: Path, name: str = "pnlb-w6", bridge: str = BRIDGE,
             subnet: str = SUBNET, gateway: str = GATEWAY) -> dict[str, Any]:
    """The chain's conflist; pynetlink's port records go to ``data_dir``/portmap (not /run)."""
    b, ipam, pm = CHAINS[chain]
    plugins: list[dict[str, Any]] = [
        {"type": b, "bridge": bridge, "isGateway": True, "ipMasq": True,
         "ipam": {"type": ipam, "dataDir": str(data_dir), "routes": [{"dst": "0.0.0.0/0"}],
                  "ranges": [[{"subnet": subnet, "gateway": gateway}]]}}]
    state = {"stateDir": str(data_dir / "portmap")}
    if pm == IN_PROCESS:
        plugins[0].update(capabilities={"portMappings": True}, **state)
    elif pm:
        plugins.append({"type": pm, "capabilities": {"portMappings": True},
                        **(state if pm.startswith("pynetlink-") else {})})
    return {"cniVersion": "1.0.0", "name": name, "plugins": plugins}


class Runtime:
    """Executes a conflist's plugins the way libcni does (one process per plugin and command)."""

    def __init__(self, bindirs: list[Path], host: str) -> None:
        self.path = ":".join(map(str, bindirs))
        self.bindirs = bindirs
        self.enter = setns_preexec(host)

    def find(self, name: str) -> str:
        for d in self.bindirs:
            if (d / name).exists():
                return str(d / name)
        raise FileNotFoundError(f"plugin {name} not in {self.path}")

    def exec(self, plugin: str, command: str, conf: dict[str, Any], cid: str, netns: str) -> Any:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND": command, "CNI_CONTAINERID": cid,
               "CNI_NETNS": netns, "CNI_IFNAME": "eth0", "CNI_PATH": self.path,
               "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAME={cid}"}
        p = subprocess.run([self.find(plugin)], input=json.dumps(conf).encode(), env=env, capture_output=True,
                           preexec_fn=self.enter, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"{plugin} {command} {cid}: rc {p.returncode}: {p.stdout.decode()[-400:]} "
                               f"{p.stderr.decode()[-400:]}")
        return json.loads(p.stdout) if p.stdout.strip() else None

    def add(self, net: dict[str, Any], cid: str, netns: str, port: int) -> Any:
        prev = None
        for p in net["plugins"]:
            conf = {**p, "name": net["name"], "cniVersion": net["cniVersion"]}
            if p.get("capabilities", {}).get("portMappings"):
                conf["runtimeConfig"] = {"portMappings": [{"hostPort": port, "containerPort": 80,
                                                           "protocol": "tcp"}]}
            if prev is not None:
                conf["prevResult"] = prev
            prev = self.exec(p["type"], "ADD", conf, cid, netns)
        return prev

    def delete(self, net: dict[str, Any], cid: str, netns: str, port: int, prev: Any) -> None:
        for p in reversed(net["plugins"]):
            conf = {**p, "name": net["name"], "cniVersion": net["cniVersion"], "prevResult": prev}
            if p.get("capabilities", {}).get("portMappings"):
                conf["runtimeConfig"] = {"portMappings": [{"hostPort": port, "containerPort": 80,
                                                           "protocol": "tcp"}]}
            self.exec(p["type"], "DEL", conf, cid, netns)


def cpu_children() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def chain_once(chain: str, n: int, bindirs: list[Path], tmp: Path, tag: str, check: bool) -> dict[str, float]:
    """One repetition: N containers ADDed, then DELed; totals in seconds."""
    host = ns_add(f"{PREFIX}w6{tag}-H")
    ctrs = [f"{PREFIX}w6{tag}-c{i}" for i in range(n)]
    data = Path(tempfile.mkdtemp(dir=tmp))
    try:
        ip_batch(None, [f"netns add {c}" for c in ctrs])
        rt = Runtime(bindirs, host)
        net = conflist(chain, data)
        results = []
        c0, t0 = cpu_children(), time.perf_counter()
        for i, c in enumerate(ctrs):
            results.append(rt.add(net, f"pnlbw6{tag}{i:05d}", f"/run/netns/{c}", 20000 + i))
        t1, c1 = time.perf_counter(), cpu_children()
        if check:
            verify_added(host, ctrs, results)
        c2, t2 = cpu_children(), time.perf_counter()
        for i, c in enumerate(ctrs):
            rt.delete(net, f"pnlbw6{tag}{i:05d}", f"/run/netns/{c}", 20000 + i, results[i])
        t3, c3 = time.perf_counter(), cpu_children()
        if check:
            verify_deleted(host, data)
        return {"add": t1 - t0, "del": t3 - t2, "cpu": (c1 - c0) + (c3 - c2)}
    finally:
        for c in ctrs:
            ns_del(c)
        ns_del(host)
        shutil.rmtree(data, ignore_errors=True)


def verify_added(host: str, ctrs: list[str], results: list[Any]) -> None:
    ports = sh(["ip", "-n", host, "-o", "link", "show", "master", BRIDGE]).stdout.decode().splitlines()
    assert len(ports) == len(ctrs), f"{len(ports)} ports on the bridge for {len(ctrs)} containers"
    for i in {0, len(ctrs) - 1}:
        want = results[i]["ips"][0]["address"]
        got = sh(["ip", "-n", ctrs[i], "-4", "-o", "addr", "show", "dev", "eth0"]).stdout.decode()
        assert want in got, f"{ctrs[i]}: eth0 has {got!r}, the result says {want}"


def verify_deleted(host: str, data: Path) -> None:
    ports = sh(["ip", "-n", host, "-o", "link", "show", "master", BRIDGE]).stdout.decode().splitlines()
    assert not ports, f"{len(ports)} ports left on the bridge"
    left = [p.name for p in data.rglob("*") if p.name[:1].isdigit()]
    assert not left, f"reservations left: {left[:5]}"
    records = [p.name for p in (data / "portmap").rglob("*") if p.is_file()]
    assert not records, f"port mapping records left: {records[:5]}"


def summarize(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_chains(ns: tuple[int, ...], reps: dict[int, int], bindirs: list[Path], tmp: Path,
               log: Callable[[str], None], names: list[str] | None = None,
               baseline_dirs: list[Path] | None = None) -> list[dict[str, Any]]:
    """Every chain of ``names`` (default: all but the baseline's) at each N, alternating;
    ``baseline_dirs``: the plugin dirs of the baseline tree, whose chain then runs too."""
    out = []
    names = list(names or [c for c in CHAINS if c != BASELINE])
    if baseline_dirs and BASELINE not in names:
        names.append(BASELINE)
    for n in ns:
        case: dict[str, Any] = {"n": n, "chains": {c: {"runs": [], "errors": []} for c in names}}
        failed: set[str] = set()
        for rep in range(reps[n]):
            k = rep % len(names)
            for chain in names[k:] + names[:k]:
                if chain in failed:
                    continue
                baseline = netns_alive()
                try:
                    dirs = baseline_dirs if chain == BASELINE and baseline_dirs else bindirs
                    r = chain_once(chain, n, dirs, tmp, f"{rep}{names.index(chain)}", check=rep < len(names))
                    case["chains"][chain]["runs"].append(r)
                    log(f"  W6 N={n:<4} rep {rep} {chain:32} ADD {r['add'] / n * 1e3:7.1f} ms  "
                        f"DEL {r['del'] / n * 1e3:7.1f} ms per container")
                except Exception as exc:
                    failed.add(chain)
                    case["chains"][chain]["errors"].append(f"{type(exc).__name__}: {exc}")
                    log(f"  W6 N={n:<4} rep {rep} {chain:32} FAILED: {exc}")
                finally:
                    wait_netns_settled(baseline)
        for r in case["chains"].values():
            if r["runs"]:
                for key in ("add", "del"):
                    r[key] = summarize([x[key] / n for x in r["runs"]])
                r["cycle"] = summarize([(x["add"] + x["del"]) / n for x in r["runs"]])
                r["cpu"] = statistics.median(x["cpu"] / n for x in r["runs"])
        for ours, ref in PAIRS:
            if ours not in case["chains"] or ref not in case["chains"]:
                continue                       # not among the chains run (--chains)
            a, b = case["chains"][ours], case["chains"][ref]
            if a.get("cycle") and b.get("cycle"):
                a["ratio"] = a["cycle"]["median"] / b["cycle"]["median"]
                # per repetition (both chains ran in it, the order rotating): ADD+DEL ratio
                a["rep_ratios"] = summarize([(x["add"] + x["del"]) / (y["add"] + y["del"])
                                             for x, y in zip(a["runs"], b["runs"])])
        out.append(case)
    return out


def run_version(bindirs: list[Path], reps: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Median wall time of one VERSION call per plugin (alternating), and the floors."""
    rt = Runtime(bindirs, "")
    plugins = ["pynetlink-bridge", "pynetlink-host-local", "pynetlink-portmap", "bridge", "host-local", "portmap"]
    env = {"PATH": "/usr/bin:/bin", "CNI_COMMAND": "VERSION", "CNI_CONTAINERID": "", "CNI_NETNS": "dummy",
           "CNI_IFNAME": "dummy", "CNI_PATH": "dummy", "CNI_ARGS": ""}
    argv: dict[str, list[str]] = {}
    for p in plugins:
        try:
            argv[p] = [rt.find(p)]
        except FileNotFoundError:
            log(f"  W6 VERSION: {p} not installed")
    argv["python -I -S -c pass"] = [sys.executable, "-I", "-S", "-c", "pass"]
    argv["/bin/true"] = ["/bin/true"]
    times: dict[str, list[float]] = {k: [] for k in argv}
    cpu: dict[str, list[float]] = {k: [] for k in argv}
    names = list(argv)
    for rep in range(reps):
        k = rep % len(names)
        for name in names[k:] + names[:k]:
            c0, t0 = cpu_children(), time.perf_counter()
            p = subprocess.run(argv[name], input=b'{"cniVersion":"1.0.0"}', env=env, capture_output=True)
            t, c = time.perf_counter() - t0, cpu_children() - c0
            if p.returncode == 0 and (name in ("python -I -S -c pass", "/bin/true") or b"supportedVersions" in p.stdout):
                times[name].append(t)
                cpu[name].append(c)
    out = {k: {**summarize(v), "cpu": statistics.median(cpu[k])} for k, v in times.items() if v}
    for k, v in out.items():
        log(f"  W6 VERSION {k:24} {v['median'] * 1e3:6.1f} ms ({v['min'] * 1e3:.1f}-{v['max'] * 1e3:.1f}), "
            f"CPU {v['cpu'] * 1e3:.1f} ms")
    return out


def run_podman(reps: int, log: Callable[[str], None], install_env: dict[str, str]) -> dict[str, Any]:
    """``podman run --rm`` end to end with each chain (and none), through the shared recipe."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.cni.realclient import RealClient, missing_tools, shared_dir
    gone = missing_tools()
    here = shared_dir()
    if gone or here is None:
        return {"error": f"needs {', '.join(gone) or 'the recipe'}"}
    rc = RealClient(here, f"pnlb{os.getpid()}")
    rc.install_env = install_env
    out: dict[str, Any] = {}
    try:
        rc.start()
        variants: dict[str, dict[str, Any] | None] = {"no network": None}
        for k, chain in enumerate(CHAINS):
            variants[chain] = conflist(chain, rc.cnifz / "ipam", name=f"pnlb-w6-{k}", bridge=f"pnlbr{k}",
                                       subnet=f"172.30.{40 + k}.0/24", gateway=f"172.30.{40 + k}.1")
        times: dict[str, list[float]] = {v: [] for v in variants}
        errors: dict[str, str] = {}
        names = list(variants)
        netd = rc.cnifz / "net.d"
        for rep in range(reps + 1):                 # rep 0: warm-up (page cache), not counted
            k = rep % len(names)
            for name in names[k:] + names[:k]:
                if name in errors:
                    continue
                for f in netd.iterdir():
                    f.unlink()
                conf = variants[name]
                opts = ["--network", "none"]
                if conf is not None:
                    rc.write_conflist(conf)
                    opts = ["--network", conf["name"]]
                    if has_ports(name):
                        opts += ["-p", "18080:80"]
                t0 = time.perf_counter()
                r = rc.pm("run", "--rm", *opts, "--rootfs", str(rc.rootfs), "/bin/true", check=False, plain=True)
                t = time.perf_counter() - t0
                if r.returncode != 0:
                    errors[name] = r.stderr[-400:]
                    log(f"  W6 podman {name:32} FAILED: {r.stderr[-300:]}")
                elif rep:
                    times[name].append(t)
                # the DELs of podman's cleanup process may still run: let them finish (untimed)
                rc.pm("ps", "-a", check=False, plain=True)
        for name, v in times.items():
            if v:
                out[name] = summarize(v)
                log(f"  W6 podman run --rm {name:32} {out[name]['median'] * 1e3:6.0f} ms "
                    f"({out[name]['min'] * 1e3:.0f}-{out[name]['max'] * 1e3:.0f})")
        for name, e in errors.items():
            out[name] = {"error": e}
    finally:
        problems = rc.stop()
        if problems:
            out["teardown problems"] = problems
            log("  W6 podman teardown: " + "; ".join(problems))
    return out


def group(module: str) -> str:
    """pynetlink.<subpackage>, or the top-level name of anything else (stdlib, cffi)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "pynetlink" else parts[0]


def run_startup(bindirs: list[Path], tmp: Path, reps: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Where one pynetlink plugin process spends its time: the interpreter, imports (by package,
    from ``-X importtime``, minimum over ``reps`` runs) and the rest (the command's own work).

    Calls: VERSION of pynetlink-bridge; ADD and DEL of pynetlink-bridge (in-process IPAM,
    ipMasq) and of pynetlink-portmap (one port), one container in a throwaway host namespace.
    Each timed call is repeated under ``-X importtime`` in the same state (undone and redone
    in between, untimed).
    """
    host = ns_add(f"{PREFIX}w6st-H")
    ctr = f"{PREFIX}w6st-c0"
    data = Path(tempfile.mkdtemp(dir=tmp))
    try:
        ip_batch(None, [f"netns add {ctr}"])
        rt = Runtime(bindirs, host)
        net = conflist("pynetlink bridge+ipam+portmap", data)
        with open(rt.find("pynetlink-bridge")) as f:
            shebang = f.readline()[2:].split()
        prev: Any = None

        def call(kind: str, command: str, xi: bool = False) -> tuple[float, dict[str, int]]:
            nonlocal prev
            plugin = f"pynetlink-{kind}"
            conf: dict[str, Any] = {**net["plugins"][0 if kind == "bridge" else 1], "name": net["name"],
                                    "cniVersion": "1.0.0"}
            if kind == "portmap":
                conf["runtimeConfig"] = {"portMappings": [{"hostPort": 20000, "containerPort": 80,
                                                           "protocol": "tcp"}]}
                conf["prevResult"] = prev
            elif command == "DEL":
                conf["prevResult"] = prev
            if command == "VERSION":
                conf = {"cniVersion": "1.0.0"}
            env = {"PATH": "/usr/bin:/bin", "CNI_COMMAND": command, "CNI_CONTAINERID": "pnlbw6st",
                   "CNI_NETNS": f"/run/netns/{ctr}", "CNI_IFNAME": "eth0", "CNI_PATH": rt.path}
            argv = [*shebang, "-X", "importtime", rt.find(plugin)] if xi else [rt.find(plugin)]
            t0 = time.perf_counter()
            p = subprocess.run(argv, input=json.dumps(conf).encode(), env=env, capture_output=True,
                               preexec_fn=rt.enter, timeout=60)
            t = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError(f"{plugin} {command}: {p.stdout.decode()[-300:]} {p.stderr.decode()[-300:]}")
            if kind == "bridge" and command == "ADD":
                prev = json.loads(p.stdout)
            mods = {}
            for line in p.stderr.decode().splitlines() if xi else []:
                if line.startswith("import time:") and "self [us]" not in line:
                    a, _, name = line[len("import time:"):].split("|")
                    # max(0, ...): a bridge ADD imports nftables' modules on a helper thread, and
                    # importtime's self time of an import overlapping another can come out negative
                    mods[name.strip()] = max(0, int(a))
            return t, mods

        undo = {"ADD": "DEL", "DEL": "ADD"}
        steps = [("bridge", "VERSION"), ("bridge", "ADD"), ("portmap", "ADD"), ("portmap", "DEL"), ("bridge", "DEL")]
        times: dict[str, list[float]] = {}
        imports: dict[str, dict[str, int]] = {}
        floor = []
        for _ in range(reps):
            t0 = time.perf_counter()
            subprocess.run([*shebang, "-c", "pass"], check=True)
            floor.append(time.perf_counter() - t0)
            for kind, command in steps:
                key = f"{kind} {command}"
                times.setdefault(key, []).append(call(kind, command)[0])
                if command in undo:
                    call(kind, undo[command])
                m = imports.setdefault(key, {})
                for k, v in call(kind, command, xi=True)[1].items():
                    m[k] = min(m.get(k, v), v)
        out: dict[str, Any] = {"interpreter -c pass": summarize(floor)}
        for key, v in times.items():
            groups: dict[str, int] = {}
            for k, us in imports[key].items():
                groups[group(k)] = groups.get(group(k), 0) + us
            out[key] = {"wall": summarize(v), "imports_ms": sum(groups.values()) / 1e3,
                        "modules": len(imports[key]),
                        "groups_ms": {g: t / 1e3 for g, t in sorted(groups.items(), key=lambda kv: -kv[1])[:12]},
                        "top_modules_ms": {k: t / 1e3 for k, t in sorted(imports[key].items(),
                                                                         key=lambda kv: -kv[1])[:10]}}
            log(f"  W6 start-up {key:16} {statistics.median(v) * 1e3:6.1f} ms; imports "
                f"{out[key]['imports_ms']:.1f} ms in {out[key]['modules']} modules: " +
                ", ".join(f"{g} {t:.1f}" for g, t in list(out[key]["groups_ms"].items())[:7]))
        return out
    finally:
        ns_del(ctr)
        ns_del(host)
        shutil.rmtree(data, ignore_errors=True)


def snapshot_source(tmp: Path, tree: Path | None = None, name: str = "src") -> dict[str, str]:
    """Copy the pynetlink package (byte-compiled; of source ``tree``, default the imported one)
    into ``tmp``: the plugins run that copy, so edits to the tree during a run change nothing.
    Returns the environment to install from it."""
    import compileall
    import pynetlink
    src = tree / "pynetlink" if tree else Path(pynetlink.__file__).resolve().parent
    dst = tmp / name / "pynetlink"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(str(dst), quiet=1)
    return {**os.environ, "PYTHONPATH": str(dst.parent)}


def source_revision() -> str:
    """The tree's commit, '+dirty' when pynetlink/ has uncommitted changes."""
    here = Path(__file__).resolve().parent.parent
    rev = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "pynetlink"], capture_output=True,
                           text=True)
    return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def install_plugins(tmp: Path, env: dict[str, str], name: str = "cni-bin", python: str | None = None) -> list[Path]:
    """The snapshot's plugins in ``tmp/name`` (shebang: ``python``, default this interpreter)."""
    d = tmp / name
    d.mkdir()
    p = subprocess.run([sys.executable, "-m", "pynetlink", "cni", "install", str(d),
                        *(["--python", python] if python else [])], capture_output=True,
                       text=True, env=env, cwd=tmp)   # not the tree: -m puts the cwd first
    if p.returncode != 0:
        raise RuntimeError(f"pynetlink cni install: {p.stderr}")
    assert str(tmp) in (d / "pynetlink-bridge").read_text(), "plugins not installed from the snapshot"
    return [d, REF]


def run(tmp: Path, log: Callable[[str], None], quick: bool = False, reps: int | None = None,
        parts: tuple[str, ...] = ("version", "startup", "chain", "podman"),
        chains: list[str] | None = None, baseline: Path | None = None, python: str | None = None,
        ns_only: tuple[int, ...] | None = None) -> dict[str, Any]:
    """All of W6; the runner's hook (results['w6']). ``ns_only``: these container counts,
    each with ``reps`` repetitions (default: 1, 50, 200, or 1 and 10 ``quick``)."""
    if not (REF / "bridge").exists():
        return {"error": f"{REF}/bridge missing (apt-get install containernetworking-plugins)"}
    env = snapshot_source(tmp)
    bindirs = install_plugins(tmp, env, python=python)
    ns = (1, 10) if quick else (1, 50, 200)
    base = reps or (2 if quick else 5)
    per_n = {1: base * 4, 10: base, 50: base, 200: max(2, (base + 1) // 2)}
    if ns_only:
        ns, per_n = ns_only, {n: base for n in ns_only}
    out: dict[str, Any] = {"n": list(ns), "reps": per_n, "revision": source_revision(), "python": python or sys.executable,
                           "loadavg": os.getloadavg()}
    if "version" in parts:
        out["version"] = run_version(bindirs, 10 if quick else 30, log)
    if "startup" in parts:
        out["startup"] = run_startup(bindirs, tmp, 3 if quick else 7, log)
    if "chain" in parts:
        base = install_plugins(tmp, snapshot_source(tmp, baseline, "baseline-src"), "baseline-bin") if baseline else None
        if baseline:
            out["baseline"] = str(baseline)
        out["chains"] = run_chains(ns, per_n, bindirs, tmp, log, chains, base)
    if "podman" in parts:
        out["podman"] = run_podman(4 if quick else 12, log, env)
    return out


def fmt(s: dict[str, float]) -> str:
    return f"{s['median'] * 1e3:.1f} ms ({s['min'] * 1e3:.1f}–{s['max'] * 1e3:.1f})"


def markdown(w6: dict[str, Any]) -> list[str]:
    lines = ["## W6 CNI chains, exec'd as a runtime does (per container: median, min–max)", "",
             f"pynetlink at {w6.get('revision', '?')}, plugins run by {w6.get('python', '?')}"
             + (f"; baseline tree {w6['baseline']} (this interpreter)" if w6.get("baseline") else "") + ".", ""]
    if "error" in w6:
        return lines + [f"not run: {w6['error']}", ""]
    for case in w6.get("chains", []):
        lines += [f"### N = {case['n']}", "", "| chain | ADD | DEL | ADD+DEL | × reference | CPU |",
                  "|---|---|---|---|---|---|"]
        for name, r in case["chains"].items():
            if r.get("cycle"):
                ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
                if "rep_ratios" in r:
                    ratio += f" (per repetition {r['rep_ratios']['min']:.2f}–{r['rep_ratios']['max']:.2f})"
                lines.append(f"| {name} | {fmt(r['add'])} | {fmt(r['del'])} | {fmt(r['cycle'])} | {ratio} | "
                             f"{r['cpu'] * 1e3:.1f} ms |")
            elif r["errors"]:
                lines.append(f"| {name} | failed: {r['errors'][0][:160]} | | | | |")
        lines.append("")
    if w6.get("version"):
        lines += ["### VERSION call", "", "| plugin | median (min–max) | CPU |", "|---|---|---|"]
        lines += [f"| {k} | {fmt(v)} | {v.get('cpu', 0) * 1e3:.1f} ms |" for k, v in w6["version"].items()]
        lines.append("")
    if w6.get("startup"):
        st = w6["startup"]
        lines += ["### Where a pynetlink plugin process spends its time", "",
                  f"Interpreter alone (`-I -S -c pass`): {fmt(st['interpreter -c pass'])}. Imports: sum of "
                  "`-X importtime` self times, minimum per module over the runs.", "",
                  "| call | wall | imports | modules | largest import groups (ms) |", "|---|---|---|---|---|"]
        for k, v in st.items():
            if isinstance(v, dict) and "imports_ms" in v:
                groups = ", ".join(f"{g} {t:.1f}" for g, t in list(v["groups_ms"].items())[:6])
                lines.append(f"| {k} | {fmt(v['wall'])} | {v['imports_ms']:.1f} ms | {v['modules']} | {groups} |")
        lines.append("")
    if w6.get("podman"):
        lines += ["### `podman run --rm ... /bin/true`", "", "| network | median (min–max) |", "|---|---|"]
        for k, v in w6["podman"].items():
            if isinstance(v, dict) and "median" in v:
                lines.append(f"| {k} | {fmt(v)} |")
            else:
                lines.append(f"| {k} | {str(v)[:200]} |")
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.w6", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 1 and 10, 2 repetitions")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--ns", default=None, help="only these container counts, comma-separated (e.g. 1), each "
                    "with --reps repetitions")
    ap.add_argument("--parts", default="version,startup,chain,podman")
    ap.add_argument("--out", default=None, help="write the JSON here")
    ap.add_argument("--chains", default=None, help="only these chains (comma-separated names, e.g. "
                    "'pynetlink bridge+ipam,reference bridge+ipam'; separated by '|' where a name has a comma)")
    ap.add_argument("--python", default=None, help="interpreter of the pynetlink plugins (shebang; "
                    "default this one; a --baseline tree keeps this one)")
    ap.add_argument("--baseline", default=None, help="a source tree (with its codec built) whose "
                    "bridge+ipam chain runs alongside, alternating (before/after in one run)")
    args = ap.parse_args(argv)
    chains = args.chains.split("|" if "|" in args.chains else ",") if args.chains else None
    baseline = Path(args.baseline).resolve() if args.baseline else None
    if baseline and not (baseline / "pynetlink" / "cni").is_dir():
        ap.error(f"--baseline {baseline}: not a source tree with pynetlink/cni")
    if chains and set(chains) - set(CHAINS):
        ap.error(f"unknown chain(s) {sorted(set(chains) - set(CHAINS))}: known {list(CHAINS)}")
    if os.geteuid() != 0:
        print("W6 needs root (namespaces)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="pnlb-w6-"))
    try:
        res = run(tmp, lambda s: print(s, flush=True), args.quick, args.reps, tuple(args.parts.split(",")), chains,
                  baseline, args.python, tuple(int(n) for n in args.ns.split(",")) if args.ns else None)
    finally:
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(markdown(res)))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))
    assert not ns_list(), "namespaces left"
    return 0


if __name__ == "__main__":
    sys.exit(main())
