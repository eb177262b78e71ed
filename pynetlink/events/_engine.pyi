from typing import Any, Hashable

from ..codec.rows import Rows
from ..rtnl.addresses import AddressView

def setup(base: type[AddressView], event: type[tuple[Any, ...]], kind: str, new: str, changed: str,
          deleted: str, origin: str) -> type[AddressView]: ...
def address_events(rows: Rows, state: dict[Hashable, Any], netns: str | None, out: list[Any]) -> bool: ...
