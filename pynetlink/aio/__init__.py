"""asyncio API: ``AsyncHandle`` and ``AsyncBatch`` (rtnetlink), ``AsyncNftables`` and
``AsyncDockerNat`` (nftables): the verbs and objects of pynetlink.api and pynetlink.nft,
awaited on the caller's event loop (docs/async.md)."""
from .handle import AsyncBatch, AsyncHandle
from .nft import AsyncDockerNat, AsyncNftables

__all__ = ["AsyncBatch", "AsyncDockerNat", "AsyncHandle", "AsyncNftables"]
