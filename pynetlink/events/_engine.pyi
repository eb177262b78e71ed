from typing import Any, Callable, Hashable

from ..codec.rows import Rows
from ..rtnl.addresses import AddressView

def setup(base: type[AddressView], event: type[tuple[Any, ...]], kind: str, new: str, changed: str,
          deleted: str, origin: str, decode: Callable[[Any], Rows]) -> type[AddressView]: ...
def address_events(data: Any, state: dict[Hashable, Any], netns: str | None, out: list[Any]) -> bool: ...
