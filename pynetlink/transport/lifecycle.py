"""What every object owning a socket shares: ``close()``, and ``with`` / ``async with`` closing it."""
from __future__ import annotations

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Self



class Closing:
    """``with x:`` closes ``x`` on the way out; subclasses define ``close`` (idempotent)."""

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClosing(Closing):
    """``async with x:`` as well (entering may open: subclasses override ``__aenter__``)."""

    __slots__ = ()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
