"""cni/_uapi.py (tools/gen_cni_uapi.py), the numbers the bridge DEL's early deletion and the
raw masquerade (cni/masqraw.py) pack their messages with: current with the compiled codec, and
equal to the kernel UAPI headers as read here from /usr/include (an enum's members counted,
#defines evaluated), not through the codec."""
from __future__ import annotations

import ast
import operator
import re
import runpy
from pathlib import Path

from pynetlink.cni import _uapi

ROOT = Path(__file__).resolve().parents[2]
HEADERS = [Path("/usr/include/linux") / h for h in ("netlink.h", "rtnetlink.h", "if_link.h", "netfilter.h",
                                                    "netfilter/nfnetlink.h", "netfilter/nf_tables.h")]
_OPS = {ast.BitOr: operator.or_, ast.LShift: operator.lshift, ast.Add: operator.add, ast.Sub: operator.sub}


def _value(text: str, known: dict[str, int]) -> int | None:
    """An integer expression of a header (literals, known names, ``| << + -``, parentheses)."""
    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and node.id in known:
            return known[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))  # type: ignore[no-any-return]
        raise ValueError(text)
    try:
        return ev(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError):
        return None


def header_numbers(text: str, known: dict[str, int] | None = None) -> dict[str, int]:
    """The object-like #defines and enum members of a header with their values (``known``:
    the numbers of the headers it includes, which its expressions may name)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out: dict[str, int] = dict(known or {})
    for d in re.finditer(r"^#define\s+([A-Z][A-Z0-9_]*)[ \t]+(.+)$", text, flags=re.M):
        value = _value(d.group(2), out)
        if value is not None:
            out[d.group(1)] = value
    for body in re.findall(r"\benum\s*\w*\s*\{(.*?)\}", text, flags=re.S):
        nxt = 0
        for member in re.sub(r"^#.*$", "", body, flags=re.M).split(","):
            m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(?:=\s*(.+?))?\s*", member)
            if not m:
                continue
            value = nxt if m.group(2) is None else _value(m.group(2), out)
            if value is None:
                break                       # an expression not read here: the rest unknown
            out[m.group(1)], nxt = value, value + 1
    return out


def test_numbers_equal_the_kernel_headers() -> None:
    headers: dict[str, int] = {}
    for h in HEADERS:
        headers.update(header_numbers(h.read_text(), headers))
    ours = {k: v for k, v in vars(_uapi).items() if k.isupper()}
    assert ours.keys() == set(runpy.run_path(str(ROOT / "tools/gen_cni_uapi.py"))["NAMES"])
    assert ours == {k: headers[k] for k in ours}
    assert (ours["RTM_GETLINK"], ours["IFLA_IFALIAS"], ours["NLA_F_NESTED"]) == (18, 20, 1 << 15)   # the parse read them


def test_generated_with_this_codec() -> None:
    """Stale after a codec rebuild against other headers: run tools/gen_cni_uapi.py."""
    render = runpy.run_path(str(ROOT / "tools/gen_cni_uapi.py"))["render"]
    assert Path(_uapi.__file__).read_text() == render()
