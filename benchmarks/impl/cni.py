"""The CNI bridge plugin (Debian's containernetworking-plugins), driven as a runtime does.

Per container: the runtime makes the namespace (here one ``ip -batch`` of ``netns add``),
then execs the ``loopback`` plugin (lo up, as containerd and CRI-O do) and
``/usr/lib/cni/bridge`` with CNI_COMMAND=ADD, CNI_NETNS=/run/netns/<ctr>, CNI_IFNAME=eth0
and the network config on stdin; teardown is CNI_COMMAND=DEL per container,
then the namespaces, then the bridge. The plugin runs inside the benchmark's host namespace
(setns before exec: the runtime's own namespace), so the bridge it creates is there; its
host-local IPAM keeps its state in the run's temp dir. No masquerade (that is W4).
"""
from __future__ import annotations

import json
import os

from ..common import setns_preexec, sh
from .base import BRIDGE, GATEWAY, SUBNET, Case, Ctx, Impl

CNI_DIR = "/usr/lib/cni"


class CniBridge(Impl):
    name = "CNI bridge plugin"
    workloads = frozenset({"W1"})

    def available(self) -> str | None:
        if not os.access(f"{CNI_DIR}/bridge", os.X_OK):
            return f"{CNI_DIR}/bridge missing (apt-get install containernetworking-plugins)"
        return None

    def setup(self, case: Case, ctx: Ctx) -> None:
        conf = {"cniVersion": "1.0.0", "name": "pnlb", "type": "bridge", "bridge": BRIDGE,
                "isGateway": True, "ipMasq": False,
                "ipam": {"type": "host-local", "dataDir": str(ctx.tmp / "ipam"),
                         "ranges": [[{"subnet": SUBNET, "gateway": GATEWAY}]],
                         "routes": [{"dst": "0.0.0.0/0"}]}}
        ctx.state["conf"] = json.dumps(conf).encode()
        ctx.state["lo_conf"] = json.dumps({"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}).encode()
        ctx.state["enter"] = setns_preexec(ctx.host)

    def _env(self, ctx: Ctx, cmd: str, i: int) -> dict[str, str]:
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND": cmd,
                "CNI_CONTAINERID": f"pnlb{i:08d}", "CNI_NETNS": f"/run/netns/{ctx.ctr(i)}",
                "CNI_IFNAME": "eth0", "CNI_PATH": CNI_DIR}

    def _plugin(self, ctx: Ctx, cmd: str, i: int, plugin: str = "bridge") -> None:
        import subprocess
        env = self._env(ctx, cmd, i)
        conf = ctx.state["conf"]
        if plugin == "loopback":
            env["CNI_IFNAME"] = "lo"
            conf = ctx.state["lo_conf"]
        p = subprocess.run([f"{CNI_DIR}/{plugin}"], input=conf, env=env,
                           capture_output=True, preexec_fn=ctx.state["enter"], timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"CNI {cmd} container {i}: {p.stdout.decode()[-400:]} "
                               f"{p.stderr.decode()[-400:]}")

    def run(self, case: Case, ctx: Ctx) -> None:
        sh(["ip", "-batch", "-"], input="".join(f"netns add {ctx.ctr(i)}\n" for i in range(case.n)))
        for i in range(case.n):
            self._plugin(ctx, "ADD", i, "loopback")
            self._plugin(ctx, "ADD", i)

    def teardown(self, case: Case, ctx: Ctx) -> None:
        for i in range(case.n):
            self._plugin(ctx, "DEL", i)
        sh(["ip", "-n", ctx.host, "-batch", "-"],
           input="".join(f"netns del {ctx.ctr(i)}\n" for i in range(case.n)) + f"link del {BRIDGE}\n")
