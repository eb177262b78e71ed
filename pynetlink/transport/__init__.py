"""Transport: netlink sockets bound to a namespace, and the namespaces themselves."""
from .netns import NetNS, check_name, run_in
from .socket import NetlinkSocket, Reply, Result, open_in

__all__ = ["NetNS", "NetlinkSocket", "Reply", "Result", "check_name", "open_in", "run_in"]
