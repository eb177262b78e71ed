"""Small link helpers the interface plugins share."""
from __future__ import annotations

from ..api import Handle


def link_exists(h: Handle, name: str) -> bool:
    """Whether ``h``'s namespace has a link called ``name``."""
    try:
        h.links.get(name)
        return True
    except FileNotFoundError:
        return False
