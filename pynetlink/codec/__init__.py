"""Codec: request programs (encode), row tables (decode), protocol schemas."""
from .program import Compiled, Encoded, Program, encode
from .rows import Rows, decode
from .schema import Attr, AttrSet, Family, MessageKind

__all__ = ["Attr", "AttrSet", "Compiled", "Encoded", "Family", "MessageKind", "Program", "Rows",
           "decode", "encode"]
