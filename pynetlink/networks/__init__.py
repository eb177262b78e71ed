"""Docker-style container networks (bridge, macvlan, ipvlan, 802.1q trunks) with IPAM.

```python
from pynetlink.networks import Networks
nets = Networks("h1")                                   # the host: a namespace (None: ours)
nets.create("net01", driver="macvlan", options={"parent": "eth0"},
            subnet="172.16.0.0/24", gateway="172.16.0.254")
ep = nets.connect("net01", "web01", ip="172.16.0.3")    # veth/macvlan/ipvlan, address, route
nets.remove("net01", force=True)                        # everything it made, nothing else
```
"""
from .errors import (AddressInUse, CapacityError, Exists, InUse, NetworkError, NotFound, NotOwned,
                     OptionError, PoolExhausted)
from .ipam import IPAM, Allocation
from .manager import Attach, Networks, forget_namespace
from .model import Endpoint, Network, parse_publish
from .options import NetworkConfig, Pool, network_config
from .overlay import Remote

__all__ = ["AddressInUse", "Allocation", "Attach", "CapacityError", "Endpoint", "Exists", "IPAM", "InUse",
           "Network", "NetworkConfig", "NetworkError", "Networks", "NotFound", "NotOwned",
           "OptionError", "Pool", "PoolExhausted", "Remote", "forget_namespace", "network_config",
           "parse_publish"]
