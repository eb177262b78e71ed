from typing import Any, Callable, Hashable

from ..codec.rows import Rows

def setup(event: type[tuple[Any, ...]], kinds: tuple[str, str, str, str], new: str, changed: str,
          deleted: str, origin: str, decode: Callable[[Any], Rows], decodes: Callable[[Any], bool],
          link_view: Callable[[str], type[Any]], descends: tuple[bytes, ...]) -> None: ...
def view_type(base: type[Any], kind: int) -> type[Any]: ...
def events(data: Any, states: tuple[dict[Hashable, Any] | None, ...], netns: str | None,
           out: list[Any]) -> tuple[str, ...] | None: ...
