"""Events: changes of links, addresses, routes, neighbours, namespace ids, policy routing rules, nexthops and nftables, as typed
objects, from one namespace or several, sync or async, without losing state (docs/events.md).

```python
from pynetlink.events import Events
with Events(["link", "address"], netns="ctr1", start_with_current=True) as events:
    for e in events.iter(timeout=5):        # stops after 5 s without an event
        print(e.action, e.kind, e.view)     # "new" "link" <VethView 2: eth0 kind=veth>
```
"""
from .event import CHANGED, CURRENT, DELETED, KERNEL, NEW, RESYNC, Event
from .kinds import NsidView
from .nft import GenerationView
from .stream import ALL_KINDS, DEFAULT_KINDS, Events
from .wait import (DadFailed, WaitTimeout, async_wait_dad, async_wait_link, wait_dad, wait_link)

__all__ = ["Events", "Event", "NEW", "CHANGED", "DELETED", "KERNEL", "CURRENT", "RESYNC", "ALL_KINDS",
           "DEFAULT_KINDS", "NsidView", "GenerationView", "WaitTimeout", "DadFailed", "wait_link",
           "wait_dad", "async_wait_link", "async_wait_dad"]
