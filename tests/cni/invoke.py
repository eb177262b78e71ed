"""Invoke a CNI plugin the way the spec says: an executable, CNI_* in the environment, the
config on stdin, run in a given "host" network namespace (``nsenter --net``).

    from tests.cni.invoke import invoke, installed
    bindir = installed(tmp_path)                       # pynetlink cni install
    r = invoke(bindir / "pynetlink-bridge", "ADD", conf, host="hostns",
               netns="/run/netns/ctr", container_id="c1", ifname="eth0", path=[bindir])
    res = r.ok()                                       # the result JSON (asserts exit 0)
    err = r.error(7)                                   # the error object (asserts code 7)

``spawn`` starts one without waiting (for concurrency and SIGKILL tests); ``Call.of`` turns a
finished ``Popen`` into a ``Call``. Also usable with the reference plugins in /usr/lib/cni.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

REFERENCE_DIR = Path("/usr/lib/cni")
_installed: dict[str, Path] = {}


def installed(directory: str | os.PathLike[str], names: str = "pynetlink") -> Path:
    """Install pynetlink's plugins into ``directory`` (once per directory); returns it."""
    from pynetlink.cni.install import install
    key = f"{directory}:{names}"
    if key not in _installed:
        install(directory, names=names)
        _installed[key] = Path(directory)
    return _installed[key]


@dataclass
class Call:
    """One finished plugin execution."""

    argv: list[str]
    command: str
    rc: int
    stdout: str
    stderr: str

    @classmethod
    def of(cls, proc: "subprocess.Popen[str]", command: str, timeout: float = 60) -> "Call":
        out, err = proc.communicate(timeout=timeout)
        return cls(list(map(str, proc.args)), command, proc.returncode, out, err)  # type: ignore[arg-type]

    @property
    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None

    def __str__(self) -> str:
        return (f"{self.command} -> rc {self.rc}\nstdout: {self.stdout.strip()}\n"
                f"stderr: {self.stderr.strip()[-3000:]}")

    def ok(self) -> Any:
        """Assert success; the parsed stdout (None when empty)."""
        assert self.rc == 0, str(self)
        return self.json

    def error(self, code: int | None = None) -> dict[str, Any]:
        """Assert failure with a spec error object (of ``code``); return it."""
        assert self.rc != 0, str(self)
        err = self.json
        assert isinstance(err, dict) and isinstance(err.get("code"), int) and err.get("msg"), str(self)
        if code is not None:
            assert err["code"] == code, str(self)
        return err


def environment(command: str, *, netns: str = "", container_id: str = "", ifname: str = "",
                args: str = "", path: Sequence[str | os.PathLike[str]] = (),
                env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The CNI_* environment of one call (plus PATH; nothing else of ours leaks in)."""
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND": command,
         "CNI_CONTAINERID": container_id, "CNI_NETNS": netns, "CNI_IFNAME": ifname,
         "CNI_ARGS": args, "CNI_PATH": ":".join(str(p) for p in path)}
    e.update(env or {})
    return e


def argv_of(plugin: str | os.PathLike[str], host: str | None) -> list[str]:
    """The command line: the plugin, inside the named namespace ``host`` when given."""
    return (["nsenter", f"--net=/run/netns/{host}"] if host else []) + [str(plugin)]


def spawn(plugin: str | os.PathLike[str], command: str, config: Mapping[str, Any] | str | bytes | None,
          *, host: str | None = None, **kw: Any) -> "subprocess.Popen[str]":
    """Start the plugin; stdin is written and closed; read it with ``Call.of``.

    Ground rule 1: a plugin that changes the network runs in a test's ``host`` namespace; only
    VERSION, STATUS and IPAM (host-local) may run without one."""
    if host is None and command in ("ADD", "DEL", "CHECK", "GC") and "host-local" not in Path(plugin).name:
        raise AssertionError(f"{plugin} {command}: pass host=<a namespace of the test>, never the root one")
    if isinstance(config, Mapping):
        data = json.dumps(config)
    elif isinstance(config, bytes):
        data = config.decode()
    else:
        data = config or ""
    proc = subprocess.Popen(argv_of(plugin, host), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=environment(command, **kw))
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    proc.stdin = None                      # closed: communicate() must not flush it
    return proc


def invoke(plugin: str | os.PathLike[str], command: str, config: Mapping[str, Any] | str | bytes | None,
           *, host: str | None = None, timeout: float = 60, **kw: Any) -> Call:
    """Run the plugin to completion; see the module docstring."""
    proc = spawn(plugin, command, config, host=host, **kw)
    try:
        return Call.of(proc, command, timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise


def ns_json(host: str, *args: str) -> Any:
    """``ip -j -n HOST ...`` (an independent oracle)."""
    out = subprocess.run(["ip", "-j", "-n", host, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def nft_json(host: str) -> Any:
    """``nft -j list ruleset`` inside ``host``."""
    out = subprocess.run(["ip", "netns", "exec", host, "nft", "-j", "list", "ruleset"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["nftables"]


def in_ns(host: str, *cmd: str, timeout: float = 30, check: bool = True) -> "subprocess.CompletedProcess[str]":
    """Run ``cmd`` in namespace ``host`` (a test harness tool, e.g. ping)."""
    return subprocess.run(["ip", "netns", "exec", host, *cmd], capture_output=True, text=True,
                          timeout=timeout, check=check)
