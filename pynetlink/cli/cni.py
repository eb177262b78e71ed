"""``pynetlink cni install DIR``: put the CNI plugin executables where a runtime finds them."""
from __future__ import annotations

import argparse

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any


def add_parser(sub: Any) -> None:
    """The ``cni`` subcommand of ``pynetlink``."""
    cni = sub.add_parser("cni", help="CNI plugins: install").add_subparsers(
        dest="verb", required=True, metavar="VERB")
    p = cni.add_parser("install", help="write the plugin executables into a CNI plugin directory",
                       description="write the plugin executables (pynetlink-bridge, "
                       "pynetlink-host-local, pynetlink-portmap, pynetlink-macvlan, pynetlink-ipvlan) "
                       "into DIR, with this interpreter's absolute path in the shebang")
    p.add_argument("dir", help="the plugin directory, e.g. /opt/cni/bin")
    p.add_argument("--names", choices=("pynetlink", "reference"), default="pynetlink",
                   help="'reference': name them bridge, host-local, portmap, macvlan, ipvlan "
                   "(replacing the reference plugins in DIR)")
    p.add_argument("--python", default=None, help="interpreter for the shebang (default: this one)")
    p.set_defaults(func=_cmd_install)


def _cmd_install(args: argparse.Namespace) -> int:
    from ..cni.install import install
    for path in install(args.dir, names=args.names, python=args.python):
        print(path)
    return 0
