"""tools/vmtier, the VM tier's runner: the parts that need no boot (options, cpio writer,
module closure, ELF probe, guest scripts' quoting, cache manifest, exit statuses)."""
from __future__ import annotations

import io
import json
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))

from vmtier import cli, guest, kernel, modules, options, qemu, rundir, shares, vmlinux  # noqa: E402
from vmtier.base import EXIT_INFRA, EXIT_TIMEOUT, InfraError  # noqa: E402
from vmtier.cpio import Cpio  # noqa: E402
from vmtier.entry import CACHE_FORMAT, KernelEntry, load_entry  # noqa: E402
from vmtier.initramfs import plain_module  # noqa: E402
from vmtier.supervise import Boot  # noqa: E402

NASTY = ["a b", "it's", '"q"', "$(touch /nonexistent-vmtier)", "`id`", "x\ny", "*", "", "-e", "\\"]


# --------------------------------------------------------------------------- options

def test_options_defaults_and_command_after_double_dash() -> None:
    o = options.parse_args(["--", "python3", "-m", "pytest", "-m", "vm", "-q"])
    assert o.command == ["python3", "-m", "pytest", "-m", "vm", "-q"]
    assert (o.timeout, o.mem, o.nics, o.modules, o.workdir, o.verbose) == (1800.0, 2048, 0, [], None, False)
    assert 1 <= o.smp <= 4


def test_options_all_flags() -> None:
    o = options.parse_args(["--timeout", "5", "--mem", "512", "--smp", "2", "--modules", " sch_netem, ,tun ",
                            "--nics", "3", "--workdir", "/srv", "-v", "--", "true", "--timeout"])
    assert (o.timeout, o.mem, o.smp, o.modules, o.nics, o.workdir, o.verbose) == \
        (5.0, 512, 2, ["sch_netem", "tun"], 3, "/srv", True)
    assert o.command == ["true", "--timeout"]


@pytest.mark.parametrize("argv", [[], ["--"], ["--mem", "100", "--", "true"], ["--nics", "-1", "--", "true"],
                                  ["--smp", "0", "--", "true"], ["--timeout", "x", "--", "true"]])
def test_options_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        options.parse_args(argv)
    assert e.value.code == 2
    assert "usage: tools/vm-tier" in capsys.readouterr().err


def test_entry_point_shim() -> None:
    """tools/vm-tier runs the package: --help exits 0, no COMMAND exits 2, nothing booted."""
    ok = subprocess.run([sys.executable, str(TOOLS / "vm-tier"), "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "--timeout" in ok.stdout and "--nics" in ok.stdout
    bad = subprocess.run([sys.executable, str(TOOLS / "vm-tier")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no COMMAND given" in bad.stderr


# --------------------------------------------------------------------------- cpio

def read_newc(data: bytes) -> list[tuple[str, int, bytes, tuple[int, int]]]:
    """An independent newc reader: (name, mode, data, (rdevmajor, rdevminor)) per entry."""
    out, off = [], 0
    while True:
        assert data[off:off + 6] == b"070701", off
        f = [int(data[off + 6 + 8 * i: off + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        name = data[off + 110: off + 110 + namesize - 1].decode()
        assert data[off + 110 + namesize - 1] == 0
        off = (off + 110 + namesize + 3) & ~3
        body = data[off: off + filesize]
        off = (off + filesize + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out.append((name, f[1], body, (f[9], f[10])))


def write_sample() -> bytes:
    buf = io.BytesIO()
    c = Cpio(buf)
    c.dir("bin")
    c.file("bin/tool", b"#!/bin/sh\necho hi\n", 0o755)
    c.file("odd", b"12345")
    c.symlink("bin/sh", "tool")
    c.chardev("console", 5, 1)
    c.close()
    return buf.getvalue()


def test_cpio_newc_entries_alignment_and_trailer() -> None:
    data = write_sample()
    assert len(data) % 512 == 0
    assert read_newc(data) == [
        ("bin", stat.S_IFDIR | 0o755, b"", (0, 0)),
        ("bin/tool", stat.S_IFREG | 0o755, b"#!/bin/sh\necho hi\n", (0, 0)),
        ("odd", stat.S_IFREG | 0o644, b"12345", (0, 0)),
        ("bin/sh", stat.S_IFLNK | 0o777, b"tool", (0, 0)),
        ("console", stat.S_IFCHR | 0o600, b"", (5, 1)),
    ]


def test_cpio_extracts_with_a_real_cpio(tmp_path: Path) -> None:
    tool = shutil.which("cpio") or shutil.which("busybox")
    if tool is None:
        pytest.skip("neither cpio nor busybox on this machine")
    cmd = [tool] if tool.endswith("/cpio") else [tool, "cpio"]
    res = subprocess.run([*cmd, "-t"], input=write_sample(), capture_output=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().split() == ["bin", "bin/tool", "odd", "bin/sh", "console"]
    (tmp_path / "x").mkdir()
    no_dev = ["bin", "bin/tool", "odd", "bin/sh"]
    res = subprocess.run([*cmd, "-i", "-d", *no_dev], input=write_sample(), capture_output=True, cwd=tmp_path / "x")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "x/bin/tool").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert os.readlink(tmp_path / "x/bin/sh") == "tool"
    assert (tmp_path / "x/odd").read_bytes() == b"12345"


# --------------------------------------------------------------------------- modules

def fake_moddir(tmp_path: Path) -> Path:
    (tmp_path / "modules.dep").write_text(
        "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz\n"
        "kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz\n"
        "kernel/net/9p/9pnet.ko.xz:\n"
        "kernel/fs/netfs/netfs.ko.xz: kernel/fs/fscache/fscache.ko.xz\n"
        "kernel/fs/fscache/fscache.ko.xz:\n"
        "kernel/drivers/virtio/virtio_ring.ko.xz:\n"
        "kernel/drivers/net/ipvlan/ipvlan-x.ko:\n"
        "not a dep line\n")
    (tmp_path / "modules.builtin").write_text("kernel/fs/overlayfs/overlay.ko\n")
    return tmp_path


def test_module_closure_dependencies_first_once_builtin_skipped(tmp_path: Path) -> None:
    md = str(fake_moddir(tmp_path))
    order = modules.module_closure(md, ["9p", "overlay", "9pnet_virtio", "ipvlan-x"])
    assert order == ["kernel/net/9p/9pnet.ko.xz", "kernel/fs/fscache/fscache.ko.xz", "kernel/fs/netfs/netfs.ko.xz",
                     "kernel/fs/9p/9p.ko.xz", "kernel/drivers/virtio/virtio_ring.ko.xz",
                     "kernel/net/9p/9pnet_virtio.ko.xz", "kernel/drivers/net/ipvlan/ipvlan-x.ko"]


def test_module_closure_unknown_module_is_an_infra_error(tmp_path: Path) -> None:
    with pytest.raises(InfraError, match="module nosuch not found"):
        modules.module_closure(str(fake_moddir(tmp_path)), ["9p", "nosuch"])


@pytest.mark.parametrize("path,name", [("a/b/9pnet_virtio.ko.xz", "9pnet_virtio"), ("x/ipvlan-x.ko", "ipvlan_x"),
                                       ("nf_nat.ko.zst", "nf_nat"), ("y.ko.gz", "y"), ("z.ko", "z")])
def test_modname(path: str, name: str) -> None:
    assert modules.modname(path) == name


def test_plain_module_decompresses_xz_and_refuses_zstd(tmp_path: Path) -> None:
    (tmp_path / "a.ko.xz").write_bytes(lzma.compress(b"\x7fELFmodule"))
    (tmp_path / "b.ko").write_bytes(b"plain")
    (tmp_path / "c.ko.zst").write_bytes(b"zstd")
    assert plain_module(str(tmp_path), "a.ko.xz") == ("a.ko", b"\x7fELFmodule")
    assert plain_module(str(tmp_path), "b.ko") == ("b.ko", b"plain")
    with pytest.raises(InfraError, match="c.ko.zst"):
        plain_module(str(tmp_path), "c.ko.zst")


# --------------------------------------------------------------------------- vmlinux

def elf64_with_note(name: bytes, ntype: int, elfclass: int = 2) -> bytes:
    """A minimal ELF64 with one PT_NOTE segment holding one note."""
    desc = b"\0" * 4
    note = struct.pack("<III", len(name) + 1, len(desc), ntype) + name + b"\0" * (4 - len(name) % 4) + desc
    phoff = 64
    hdr = bytearray(64)
    hdr[:5] = b"\x7fELF" + bytes([elfclass])
    struct.pack_into("<Q", hdr, 0x20, phoff)
    struct.pack_into("<HH", hdr, 0x36, 56, 1)
    ph = struct.pack("<IIQQQQQQ", 4, 0, phoff + 56, 0, 0, len(note), len(note), 4)
    return bytes(hdr) + ph + note


def test_pvh_note_found_only_for_xen_phys32_entry() -> None:
    assert vmlinux.has_pvh_note(elf64_with_note(b"Xen", 18))
    assert not vmlinux.has_pvh_note(elf64_with_note(b"Xen", 17))
    assert not vmlinux.has_pvh_note(elf64_with_note(b"GNU", 18))
    assert not vmlinux.has_pvh_note(elf64_with_note(b"Xen", 18, elfclass=1))


def test_xz_elf_payload_skips_non_elf_streams(tmp_path: Path) -> None:
    elf = elf64_with_note(b"Xen", 18)
    xz = lzma.compress(b"not an elf", format=lzma.FORMAT_XZ) + b"\0" * 3 + lzma.compress(elf, format=lzma.FORMAT_XZ)
    assert vmlinux.xz_elf_payload(b"MZ boot stub" + xz) == elf
    assert vmlinux.xz_elf_payload(b"MZ" + lzma.compress(b"plain", format=lzma.FORMAT_XZ)) is None
    (tmp_path / "vmlinuz").write_bytes(b"stub" + xz)
    vmlinux.extract_vmlinux(str(tmp_path / "vmlinuz"), str(tmp_path / "vmlinux"))
    assert (tmp_path / "vmlinux").read_bytes() == elf
    (tmp_path / "nopvh").write_bytes(lzma.compress(elf64_with_note(b"Xen", 17), format=lzma.FORMAT_XZ))
    with pytest.raises(ValueError, match="PVH"):
        vmlinux.extract_vmlinux(str(tmp_path / "nopvh"), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- guest scripts

def sh_words(line: str, tmp_path: Path) -> list[list[str]]:
    """Run a shell line with mkdir/mount/echo/die stubbed: each call's words, as the guest's sh splits them."""
    log = tmp_path / "calls.json"
    stub = ("rec() { " + sys.executable + " -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \"$@\" >> "
            + str(log) + "; }\n"
            "mkdir() { rec mkdir \"$@\"; }\nmount() { rec mount \"$@\"; }\ndie() { rec die \"$@\"; }\n"
            "echo() { rec echo \"$@\"; }\n")
    res = subprocess.run(["sh", "-c", stub + line], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return [json.loads(x) for x in log.read_text().splitlines()]


def sample_entry(tmp: str = "/var/cache/pynetlink-vm/6.1.0-9-amd64") -> KernelEntry:
    return KernelEntry(kver="6.1.0-9-amd64", package="linux-image-6.1.0-9-amd64", deb="k.deb",
                              kernel="vmlinux", moddir_rel="lib/modules/6.1.0-9-amd64", initramfs_modules=["9p"],
                              built="2026-01-01T00:00:00", dir=tmp)


def test_stage1_quotes_binds_and_workdir(tmp_path: Path) -> None:
    odd = "/tmp/v env's $(x)"
    work = "/work/a b'c"
    script = guest.stage1_script(sample_entry(), work, [odd])
    bind = next(ln for ln in script.splitlines() if "cannot bind " in ln)
    assert sh_words(bind, tmp_path) == [["mkdir", "-p", "/newroot" + odd], ["mount", "--bind", "/lower" + odd, "/newroot" + odd]]
    (tmp_path / "calls.json").unlink()
    wl = next(ln for ln in script.splitlines() if "cannot mount the working directory" in ln)
    calls = sh_words(wl, tmp_path)
    assert calls[1] == ["mount", "-t", "9p", "-o", shares.P9_OPTS + ",cache=loose", "work", "/newroot" + work]
    assert "mount_tag" not in script and script.rstrip().endswith("stage2.sh")
    assert guest.stage1_script(sample_entry(), None, []).count("mount -t 9p") == 1  # the root only


def test_stage2_passes_argv_env_and_cwd_exactly(tmp_path: Path) -> None:
    """The COMMAND line of stage 2, run by sh, gives the command exactly argv, env and cwd."""
    cwd = tmp_path / "d i r's"
    cwd.mkdir()
    env = {"A": "it's $HOME \"x\"\nnext", "B": "", "C=D": "dropped", "PATH": "/usr/bin:/bin",
           "LC_CTYPE": "C.UTF-8"}  # set, so that Python does not coerce the locale into the environment
    probe = "import json,os,sys; print(json.dumps([sys.argv[1:], dict(os.environ), os.getcwd()]))"
    argv = [sys.executable, "-c", probe, *NASTY]
    script = guest.stage2_script(["8021q"], str(cwd), env, argv)
    m = re.search(r'^\( cd .*? </dev/null >"\$port" 2>&1$', script, re.M | re.S)  # values may hold newlines
    assert m, script
    line = m.group(0)
    out = tmp_path / "out"
    res = subprocess.run(["sh", "-c", f"port={out}\n{line}\necho rc=$?"], capture_output=True, text=True)
    assert res.stdout.strip() == "rc=0", res.stderr
    got_argv, got_env, got_cwd = json.loads(out.read_text())
    assert got_argv == NASTY
    assert got_env == {k: v for k, v in env.items() if k != "C=D"}
    assert got_cwd == str(cwd)
    assert not Path("/nonexistent-vmtier").exists()


def test_stage2_modules_tmpdir_and_syntax(tmp_path: Path) -> None:
    script = guest.stage2_script(["ipvlan", "a b"], "/", {"TMPDIR": "/tmp/x y"}, ["true"])
    assert "-a -q ipvlan 'a b' 2>/dev/null" in script
    assert "for m in ipvlan 'a b'; do" in script
    assert "$BB mkdir -p '/tmp/x y'" in script
    assert "$BB mkdir" not in guest.stage2_script([], "/", {"TMPDIR": "/var/tmp"}, ["true"])
    for s in (script, guest.stage1_script(sample_entry(), "/w", ["/tmp/v"])):
        res = subprocess.run(["sh", "-n"], input=s, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


def test_stage2_modules_follow_options() -> None:
    assert cli.stage2_modules(options.parse_args(["--", "true"])) == modules.STAGE2_MODULES
    o = options.parse_args(["--nics", "1", "--modules", "tun", "--", "true"])
    assert cli.stage2_modules(o) == [*modules.STAGE2_MODULES, "virtio_net", "tun"]


# --------------------------------------------------------------------------- shares, qemu

def test_find_workdir(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "a" / "b").mkdir(parents=True)
    (tmp_path / "plain").mkdir()
    assert shares.find_workdir(str(tmp_path / "repo" / "a" / "b"), None) == str(tmp_path / "repo")
    assert shares.find_workdir(str(tmp_path / "plain"), None) == str(tmp_path / "plain")
    assert shares.find_workdir("/", str(tmp_path / "plain")) == str(tmp_path / "plain")


def test_tmp_binds(tmp_path: Path) -> None:
    assert str(tmp_path).startswith("/tmp/"), "pytest's tmp_path is expected under /tmp"
    top = "/tmp/" + str(tmp_path).split("/")[2]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    env = {"VIRTUAL_ENV": str(venv), "PATH": f"{venv}/bin:/usr/bin:/bin", "PYTHONPATH": "/nonexistent"}
    assert shares.tmp_binds(env, "/work") == [top]
    assert shares.tmp_binds(env, top) == []  # inside the read-write share already
    assert shares.tmp_binds({"PATH": "/usr/bin:/bin"}, "/work") == []


def test_qemu_command_has_no_outside_network_and_isolated_nics() -> None:
    o = options.parse_args(["--nics", "2", "--mem", "1024", "--smp", "2", "--", "true"])
    cmd = qemu.qemu_command(sample_entry(), "vmlinux", "/tmp/t", "/work", o)
    joined = " ".join(cmd)
    assert cmd[:3] == ["qemu-system-x86_64", "-nodefaults", "-no-user-config"]
    assert "user" not in [a.split(",")[0] for a in cmd] and "-nic" not in cmd
    assert [a for a in cmd if a.startswith("hubport")] == ["hubport,id=hp0,hubid=0", "hubport,id=hp1,hubid=0"]
    assert cmd[cmd.index("-kernel") + 1] == sample_entry().dir + "/vmlinux"
    assert cmd[cmd.index("-m") + 1] == "1024" and cmd[cmd.index("-smp") + 1] == "2"
    assert "path=/,security_model=none,multidevs=remap,readonly=on" in joined
    assert "mount_tag=hostroot" in joined and "mount_tag=vmctl" in joined and "mount_tag=work" in joined
    no_work = qemu.qemu_command(sample_entry(), "bzImage", "/tmp/t", None, options.parse_args(["true"]))
    assert "mount_tag=work" not in " ".join(no_work) and "hubport" not in " ".join(no_work)


def test_accel_override() -> None:
    assert qemu.accel_args({"PYNETLINK_VM_ACCEL": "tcg", "PYNETLINK_VM_CPU": "qemu64"}) == \
        (["-accel", "tcg,thread=multi", "-cpu", "qemu64"], "tcg")
    assert qemu.accel_args({"PYNETLINK_VM_ACCEL": "kvm"}) == (["-accel", "kvm", "-cpu", "host"], "kvm")


# --------------------------------------------------------------------------- kernel cache

def test_depends_kernel_parses_apt_cache() -> None:
    out = "linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n  Depends: foo\n"
    assert kernel.depends_kernel(out) == "linux-image-6.1.0-57-amd64"
    assert kernel.depends_kernel(" |Depends: linux-image-6.1.0-9-amd64\n") == "linux-image-6.1.0-9-amd64"
    assert kernel.depends_kernel("  Depends: linux-image-amd64-signed\n") is None


def test_manifest_round_trip_and_unusable_entries(tmp_path: Path) -> None:
    ke = sample_entry(str(tmp_path / "k"))
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "manifest.json").write_text(json.dumps(ke.manifest()))
    assert load_entry(str(tmp_path / "k")) == ke
    assert kernel.cached_entries(str(tmp_path)) == ["k"]
    for bad in ({**ke.manifest(), "format": CACHE_FORMAT + 1}, {"format": CACHE_FORMAT}, [1]):
        (tmp_path / "k" / "manifest.json").write_text(json.dumps(bad))
        assert load_entry(str(tmp_path / "k")) is None
    (tmp_path / "k" / "manifest.json").write_text("{not json")
    assert load_entry(str(tmp_path / "k")) is None
    assert load_entry(str(tmp_path / "missing")) is None


# --------------------------------------------------------------------------- run dir, exit status

def test_reap_stale_tmpdirs_only_dead_owners(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    for name, pid in (("vm-tier-dead", dead.pid), ("vm-tier-alive", os.getpid()), ("other", dead.pid)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "owner.pid").write_text(f"{pid}\n")
    (tmp_path / "vm-tier-nopid").mkdir()
    rundir.reap_stale_tmpdirs(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "vm-tier-alive", "vm-tier-nopid"]


def test_exit_status(tmp_path: Path) -> None:
    o = options.parse_args(["--timeout", "5", "--", "true"])
    (tmp_path / "ctl").mkdir()
    assert cli.exit_status(str(tmp_path), Boot(0, 0.0, None, True), o) == EXIT_TIMEOUT
    (tmp_path / "console.log").write_text("line\n" * 30 + "Kernel panic - not syncing\n")
    (tmp_path / "ctl" / "error").write_text("vm-tier stage2: no output port\n")
    with pytest.raises(InfraError) as e:
        cli.exit_status(str(tmp_path), Boot(0, 0.0, None, False), o)
    msg = str(e.value)
    assert "without an exit status (qemu exit 0)" in msg and "no output port" in msg
    assert msg.split("guest console (last lines):\n")[1].splitlines() == ["line"] * 24 + ["Kernel panic - not syncing"]
    (tmp_path / "ctl" / "status").write_text("7\n")
    assert cli.exit_status(str(tmp_path), Boot(0, 0.0, 1.0, False), o) == 7
    (tmp_path / "ctl" / "status").write_text("")
    assert cli.exit_status(str(tmp_path), Boot(0, 0.0, 1.0, False), o) == EXIT_INFRA
