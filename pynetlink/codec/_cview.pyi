from typing import Any

from .rows import Rows

F_UINT: int
F_SINT: int
F_OPT: int
F_NONZERO: int
F_FAMILY: int
F_NAMED: int
F_IP: int
F_STR: int
F_HEX: int
F_DST: int
F_TABLE: int
F_CACHED: int
F_BIT: int
F_INDEX: int
F_ROW: int

class Table:
    rows: Rows
    n: int
    def __init__(self, rows: Rows, data: Any, flat: Any, width: int, texts: int) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: Any) -> Any: ...
    def __setitem__(self, i: Any, value: Any) -> None: ...

class View:
    _rows: Rows
    _m: int
    _h: tuple[int, ...] | None
    _c: Any
    _b: int

class Field:
    fallback: Any
    def __init__(self, fallback: Any, op: int, col: int = 0, col2: int = -1, arg: Any = None,
                 default: Any = None, mask: int = 0, byte: int = -1) -> None: ...
    def __get__(self, obj: Any, owner: Any = None) -> Any: ...
    def __set__(self, obj: Any, value: Any) -> None: ...

def views(cls: Any, table: Table, msgs: Any) -> Any: ...
def compact(base: type, rows_type: type, fields: tuple[tuple[str, Field], ...] = ..., lazy: type = ...) -> Any: ...
def data_rows(msg_rows: Any, msg_tf: Any) -> bytes: ...
def rx_bytes(n: int) -> bytes: ...
def rx_shrink(b: bytes, n: int) -> None: ...
