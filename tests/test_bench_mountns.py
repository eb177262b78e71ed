"""The runner's --netns-tmpfs (benchmarks/mountns.py): mountinfo parsing, and a private tmpfs on
/run/netns that `ip netns` and NetNS both use while the machine's /run/netns never sees it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.mountns import mount_at, mounts

ROOT = Path(__file__).resolve().parent.parent

INFO = """\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
22 27 0:21 / /proc rw,relatime - proc proc rw
45 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw,discard
60 45 0:40 / /run/netns rw,nosuid shared:3 master:1 - tmpfs tmpfs rw,mode=755
61 60 0:4 net:[4026532370] /run/netns/a rw shared:5 - nsfs nsfs rw
62 27 0:41 / /mnt/with\\040space rw - tmpfs none rw
"""


def test_mountinfo_lines_give_target_type_and_propagation() -> None:
    ms = mounts(INFO)
    assert [m.target for m in ms] == ["/", "/proc", "/run/netns", "/run/netns", "/run/netns/a",
                                      "/mnt/with space"]
    assert ms[0].private and ms[0].fstype == "ext4"
    assert ms[2].propagation == ("shared:1",) and not ms[2].private
    assert ms[3].propagation == ("shared:3", "master:1") and ms[3].source == "tmpfs"


def test_mount_at_is_the_topmost_mount_of_the_longest_prefix() -> None:
    assert mount_at("/run/netns", INFO).fstype == "tmpfs"             # type: ignore[union-attr]
    assert mount_at("/run/netns/b", INFO).fstype == "tmpfs"           # type: ignore[union-attr]
    assert mount_at("/run/netns/a", INFO).fstype == "nsfs"            # type: ignore[union-attr]
    assert mount_at("/run/netnsx", INFO).fstype == "ext4"             # type: ignore[union-attr]
    assert mount_at("/mnt/with space/x", INFO).source == "none"       # type: ignore[union-attr]
    assert mount_at("/proc/", INFO).fstype == "proc"                  # type: ignore[union-attr]
    assert mount_at("/x", "") is None


CHILD = """
import json, os, subprocess, sys
from benchmarks import common, mountns
from pynetlink.transport.netns import NetNS
out = {"prefix": common.PREFIX}
private = mountns.enter()
try:
    out["fs"] = mountns.netns_dir_fs()
    common.ns_add(common.PREFIX + "ip")
    NetNS.create(common.PREFIX + "nl")
    out["names"] = common.ns_list()
    out["ip"] = subprocess.run(["ip", "-n", common.PREFIX + "nl", "-o", "link"], capture_output=True,
                               text=True, check=True).stdout.split(":")[1].strip()
    parent = mountns.mounts(open(f"/proc/{os.getppid()}/mountinfo").read())
    out["parent_mounts"] = len([m for m in parent if m.target == "/run/netns"])
    out["dev"] = os.stat("/run/netns").st_dev
finally:
    out["removed"] = common.cleanup()
    private.leave()
out["after_fs"] = mountns.netns_dir_fs()
out["after_names"] = common.ns_list()
print(json.dumps(out))
"""


@pytest.mark.root
def test_tmpfs_netns_dir_is_private_to_the_process_and_its_children() -> None:
    from benchmarks.mountns import netns_dir_fs
    before = netns_dir_fs()
    here = len([m for m in mounts(Path("/proc/self/mountinfo").read_text()) if m.target == "/run/netns"])
    p = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    prefix = out["prefix"]
    assert out["fs"] == "tmpfs" and out["dev"] != os.stat("/run/netns").st_dev
    assert out["names"] == [prefix + "ip", prefix + "nl"]          # ip netns add and NetNS.create
    assert out["ip"] == "lo"                                        # ip -n opens the tmpfs file
    assert out["parent_mounts"] == here                             # nothing mounted out here
    assert out["removed"] == 2 and out["after_names"] == []         # deleted; back on the machine's
    assert out["after_fs"] == before
    assert not [n for n in os.listdir("/run/netns") if n.startswith(prefix)]
