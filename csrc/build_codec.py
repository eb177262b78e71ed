"""cffi builder for pynetlink._codec: compiles csrc/*.c into one extension (API mode).

PYNETLINK_SANITIZE=1 builds it with AddressSanitizer and UBSan (run Python with
LD_PRELOAD=$(gcc -print-file-name=libasan.so) to load it).
"""
import os
import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
DEFINE = re.compile(r"#define\s+\w+\s+(0x[0-9a-fA-F]+|\d+)\b")
INCLUDE_DIRS = [Path(d) for d in os.environ.get("CPATH", "").split(":") if d] + [Path("/usr/include")]
# Names exported from the UAPI headers (csrc/uapi.h); the compiler supplies the values.
PREFIXES = (
    "IFLA_", "IFA_", "RTA_", "RTM_", "RTN_", "RTPROT_", "RT_SCOPE_", "RT_TABLE_", "RTNH_",
    "RTNLGRP_", "NDA_", "NUD_", "NTF_", "NFTA_", "NFT_", "NFNL_", "NFNLGRP_", "NLM_F_",
    "NLMSG_", "NLMSGERR_", "NLA_F_", "NETLINK_", "VETH_INFO_", "MACVLAN_", "IPVLAN_",
    "BRIDGE_", "BR_", "IFF_", "ARPHRD_", "ETH_P_", "NETNSA_", "NF_", "NFPROTO_", "NF_NAT_",
    "IP_CT_", "IPS_", "VXLAN_", "VLAN_FLAG_", "RTEXT_FILTER_",
    "FRA_", "FR_ACT_", "FIB_RULE_", "NHA_", "NEXTHOP_GRP_", "RTAX_",
    "TCA_", "TC_H_", "TC_ACT_", "TC_U32_", "TC_LINKLAYER_",
)
NAME = re.compile(r"^\s*(?:#define\s+)?([A-Z][A-Z0-9_]*)\b(?!\()")


def uapi_headers() -> list[Path]:
    found = []
    for line in (HERE / "uapi.h").read_text().splitlines():
        m = re.match(r"#include <(.+)>", line)
        if m:
            for d in INCLUDE_DIRS:
                if (d / m.group(1)).is_file():
                    found.append(d / m.group(1))
                    break
    return found


def uapi_names() -> list[str]:
    """Constant names (enum members and object-like macros) with our prefixes."""
    names: set[str] = set()
    for header in uapi_headers():
        text = re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S)
        for line in text.splitlines():
            if line.lstrip().startswith("#") and not line.lstrip().startswith("#define"):
                continue
            if line.lstrip().startswith("#define"):
                m = re.match(r"\s*#define\s+([A-Z][A-Z0-9_]*)(\s|$)", line)
                if not m or not line[m.end(1):].strip():
                    continue
                body = line[m.end(1):].strip()
                if not re.fullmatch(r"[\w\s()+\-<>|~*]+", body) or "sizeof" in body:
                    continue
            else:
                m = re.match(r"\s*([A-Z][A-Z0-9_]*)\s*(=[^,]*)?,?\s*$", line)
                if not m:
                    continue
            name = m.group(1)
            if name.startswith(PREFIXES) and not name.startswith("__"):
                names.add(name)
    return sorted(names)


def cdef_text() -> str:
    """pnl.h as cffi reads it (declarations and integer #defines), plus the UAPI constants."""
    lines = [f"#define {name} ..." for name in uapi_names()]
    for line in (HERE / "pnl.h").read_text().splitlines():
        if line.startswith("#") and not DEFINE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines)


def compile_args() -> tuple[list[str], list[str]]:
    cflags = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]
    ldflags: list[str] = []
    if os.environ.get("PYNETLINK_SANITIZE"):
        san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        cflags += san + ["-O1", "-g"]
        ldflags += san
    return cflags, ldflags


ffibuilder = FFI()
ffibuilder.cdef(cdef_text())
_cflags, _ldflags = compile_args()
ffibuilder.set_source(
    "pynetlink._codec",
    "#include <stdint.h>\n#include <stddef.h>\n#include \"pnl.h\"\n#include \"uapi.h\"\n",
    sources=sorted(os.path.relpath(p, Path.cwd()) for p in map(str, HERE.glob("*.c"))),
    include_dirs=[os.path.relpath(HERE, Path.cwd())],
    extra_compile_args=_cflags,
    extra_link_args=_ldflags,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
