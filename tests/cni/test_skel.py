"""The protocol layer: VERSION, version checks, error objects, CNI_ARGS, result shapes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pynetlink.cni import skel
from pynetlink.cni.skel import CNIError, parse_cni_args, to_result

from .invoke import invoke

PLUGIN = "pynetlink-host-local"


@pytest.mark.parametrize("version", skel.SUPPORTED)
def test_version_answers_with_the_given_version(cni_bin: Path, version: str) -> None:
    res = invoke(cni_bin / PLUGIN, "VERSION", {"cniVersion": version}).ok()
    assert res == {"cniVersion": version, "supportedVersions": list(skel.SUPPORTED)}


def test_version_imports_nothing_but_the_skel(cni_bin: Path) -> None:
    code = (f"import sys, io; sys.path.insert(0, {str(Path(__file__).parents[2])!r}); "
            "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{\"cniVersion\": \"0.4.0\"}'));"
            "from pynetlink.cni import skel\n"
            "try: skel.run('pynetlink-bridge')\n"
            "except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('pynetlink') or m in ('json', 'typing')),"
            " file=sys.stderr)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True,
                         env={"CNI_COMMAND": "VERSION"})
    assert json.loads(out.stdout) == {"cniVersion": "0.4.0", "supportedVersions": list(skel.SUPPORTED)}
    assert out.stderr.strip() == "['pynetlink', 'pynetlink.cni', 'pynetlink.cni.skel']", out.stderr


@pytest.mark.parametrize("stdin,version", [
    ("", "1.1.0"),
    ('{"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "x"}]}', "1.0.0"),   # json decides
    ('{"cniVersion": "0.3.1", "name": "with \\"quote\\""}', "0.3.1"),
    ('  {"name": "n", "cniVersion":"0.4.0"}\n', "0.4.0"),
])
def test_version_reads_any_config(cni_bin: Path, stdin: str, version: str) -> None:
    assert invoke(cni_bin / PLUGIN, "VERSION", stdin).ok() == {"cniVersion": version,
                                                              "supportedVersions": list(skel.SUPPORTED)}


def test_version_with_malformed_stdin_is_code_6(cni_bin: Path) -> None:
    assert "JSON" in invoke(cni_bin / PLUGIN, "VERSION", '{"cniVersion": [').error(6)["msg"]


def test_installed_executable_has_an_absolute_interpreter(cni_bin: Path) -> None:
    first = (cni_bin / "pynetlink-bridge").read_text().splitlines()[0]
    assert first == f"#!{Path(sys.executable).absolute()} -IS"


@pytest.mark.parametrize("config,code,words", [
    ("{not json", 6, "not valid JSON"),
    ("[1, 2]", 6, "JSON object"),
    ({"cniVersion": "0.2.0", "name": "n"}, 1, "incompatible CNI versions"),
    ({"cniVersion": "2.0.0", "name": "n"}, 1, "incompatible CNI versions"),
    ({"name": "n"}, 6, "cniVersion"),
    ({"cniVersion": "1.0.0", "name": "bad/name"}, 7, "network name"),
])
def test_bad_input_is_an_error_object(cni_bin: Path, data_dir: Path, config: object, code: int,
                                      words: str) -> None:
    err = invoke(cni_bin / PLUGIN, "ADD", config, netns="/run/netns/none", container_id="c1",
                 ifname="eth0").error(code)
    assert words in err["msg"]
    assert list(data_dir.iterdir()) == []


@pytest.mark.parametrize("env,var", [({"container_id": ""}, "CNI_CONTAINERID"),
                                     ({"ifname": ""}, "CNI_IFNAME"),
                                     ({"netns": ""}, "CNI_NETNS"),
                                     ({"ifname": "a/b"}, "CNI_IFNAME"),
                                     ({"container_id": "-x"}, "CNI_CONTAINERID"),
                                     ({"args": "FOO=1"}, "CNI_ARGS"),
                                     ({"args": "novalue"}, "CNI_ARGS")])
def test_bad_environment_names_the_variable(cni_bin: Path, env: dict[str, str], var: str) -> None:
    kw = {"netns": "/run/netns/none", "container_id": "c1", "ifname": "eth0", **env}
    conf = {"cniVersion": "1.0.0", "name": "n", "type": PLUGIN}
    err = invoke(cni_bin / PLUGIN, "ADD", conf, **kw).error(4)
    assert var in err["msg"]


def test_unknown_command(cni_bin: Path) -> None:
    err = invoke(cni_bin / PLUGIN, "FOO", {"cniVersion": "1.0.0", "name": "n"}).error(4)
    assert "CNI_COMMAND" in err["msg"]


def test_check_needs_0_4_0(cni_bin: Path) -> None:
    conf = {"cniVersion": "0.3.1", "name": "n", "type": PLUGIN}
    err = invoke(cni_bin / PLUGIN, "CHECK", conf, netns="/run/netns/x", container_id="c1",
                 ifname="eth0").error(1)
    assert "CHECK" in err["msg"] and err["cniVersion"] == "0.3.1"


@pytest.mark.parametrize("version", ["0.3.0", "0.3.1", "0.4.0", "1.0.0"])
@pytest.mark.parametrize("command", ["STATUS", "GC"])
def test_status_and_gc_are_no_ops_before_1_1_0(cni_bin: Path, command: str, version: str) -> None:
    conf = {"cniVersion": version, "name": "n", "type": PLUGIN, "ipam": {"type": "nonsense"}}
    assert invoke(cni_bin / PLUGIN, command, conf).ok() is None


def test_cni_args() -> None:
    assert parse_cni_args("IgnoreUnknown=1;IP=10.0.0.5;FOO=bar", frozenset()) == {
        "IgnoreUnknown": "1", "IP": "10.0.0.5", "FOO": "bar"}
    assert parse_cni_args("K8S_POD_NAME=a;K8S_POD_NAMESPACE=b;MAC=02:00:00:00:00:01", frozenset())
    with pytest.raises(CNIError) as e:
        parse_cni_args("FOO=bar;BAZ=1", frozenset())
    assert e.value.code == 4 and "BAZ, FOO" in e.value.msg
    assert parse_cni_args("FOO=bar", frozenset({"FOO"})) == {"FOO": "bar"}
    assert parse_cni_args("FOO=bar;junk;IP=1.2.3.4", frozenset(), strict=False) == {"FOO": "bar", "IP": "1.2.3.4"}


def test_del_accepts_any_cni_args(cni_bin: Path, data_dir: Path) -> None:
    conf = {"cniVersion": "1.0.0", "name": "n", "type": PLUGIN,
            "ipam": {"type": PLUGIN, "dataDir": str(data_dir), "ranges": [[{"subnet": "198.51.100.0/24"}]]}}
    invoke(cni_bin / PLUGIN, "DEL", conf, container_id="c1", ifname="eth0", args="FOO=1;junk").ok()


RESULT = {"interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01", "mtu": 1400, "sandbox": "/x"}],
          "ips": [{"address": "10.1.0.2/24", "gateway": "10.1.0.1", "interface": 0},
                  {"address": "fd00::2/64", "gateway": "fd00::1", "interface": 0}],
          "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1", "mtu": 1400}], "dns": {}}


@pytest.mark.parametrize("version", ["0.3.0", "0.3.1", "0.4.0"])
def test_old_results_carry_ip_versions(version: str) -> None:
    out = to_result(RESULT, version)
    assert out["cniVersion"] == version
    assert [ip["version"] for ip in out["ips"]] == ["4", "6"]
    assert "mtu" not in out["interfaces"][0] and out["routes"] == [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}]
    assert skel.from_result(out)["ips"] == RESULT["ips"]


def test_1_0_0_has_no_ip_version_and_1_1_0_keeps_its_fields() -> None:
    v100 = to_result(RESULT, "1.0.0")
    assert all("version" not in ip for ip in v100["ips"]) and "mtu" not in v100["interfaces"][0]
    v110 = to_result(RESULT, "1.1.0")
    assert v110["interfaces"][0]["mtu"] == 1400 and v110["routes"][0]["mtu"] == 1400
    assert {k: v for k, v in v110.items() if k != "cniVersion"} == RESULT


def test_host_local_add_imports_no_netlink(tmp_path: Path) -> None:
    """IPAM is file work: its ADD loads neither the codec nor rtnetlink nor nftables."""
    conf = json.dumps({"cniVersion": "1.1.0", "name": "n", "type": PLUGIN,
                       "ipam": {"type": PLUGIN, "dataDir": str(tmp_path), "ranges": [[{"subnet": "198.51.100.0/24"}]]}})
    code = ("import sys, io; sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()));"
            "from pynetlink.cni import skel\n"
            "try: skel.run('pynetlink-host-local')\n"
            "except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('pynetlink')), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-I", "-c", code, conf], capture_output=True, text=True,
                         env={"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/x", "CNI_IFNAME": "eth0"})
    assert json.loads(out.stdout)["ips"][0]["address"] == "198.51.100.2/24"
    assert out.stderr.strip() == "['pynetlink', 'pynetlink._importing', 'pynetlink.cni', 'pynetlink.cni.hostlocal', "\
        "'pynetlink.cni.ipnet', 'pynetlink.cni.jsonlite', 'pynetlink.cni.skel']"
