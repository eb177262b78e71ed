"""AsyncNftables and AsyncDockerNat: pynetlink.nft's operations, awaited.

The operations are ``NftablesBase``'s and ``DockerNatBase``'s flows (transport.flow), the
same code the blocking ``Nftables`` and ``DockerNat`` run; here each returns an awaitable.
Transactions: ``async with nft.transaction() as tx:`` (or ``await tx.commit()``).
"""
from __future__ import annotations

from typing import Awaitable, Literal, TypeVar

from ..codec.specs.nft import NETLINK_NETFILTER, NFT
from ..nft.nat import DockerNatBase
from ..nft.ruleset import NftablesBase
from ..transport.aio import adrive
from ..transport.flow import Flow
from .base import AsyncEndpoint

T = TypeVar("T")


class AsyncNftables(AsyncEndpoint, NftablesBase):
    """nf_tables of one namespace on the running event loop (``pynetlink.nft.Nftables``'s verbs)."""

    protocol = NETLINK_NETFILTER
    family = NFT
    flow_mode: Literal["async"] = "async"

    def _drive(self, flow: Flow[T]) -> Awaitable[T]:
        return adrive(self.sock, flow)


class AsyncDockerNat(DockerNatBase):
    """``pynetlink.nft.DockerNat`` on an AsyncNftables: ``await nat.publish(...)``."""

    flow_mode: Literal["async"] = "async"

    def __init__(self, nft: AsyncNftables, table: str = "pynetlink", family: str = "ip") -> None:
        super().__init__(nft, table, family)
        self.nft: AsyncNftables = nft

    def _drive(self, flow: Flow[T]) -> Awaitable[T]:
        return self.nft._drive(flow)


__all__ = ["AsyncDockerNat", "AsyncNftables"]
