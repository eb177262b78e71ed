"""Minimal writer for the newc cpio format the kernel unpacks as initramfs."""
from __future__ import annotations

import stat
from typing import BinaryIO

HEADER_LEN = 110  # "070701" + 13 fields of 8 hex digits


class Cpio:
    """newc archive written to a binary file: entries, then close() adds the trailer."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
        self.ino += 1
        self.f.write(hdr.encode() + nb)
        self.f.write(b"\0" * (-(HEADER_LEN + len(nb)) % 4))
        self.f.write(data)
        self.f.write(b"\0" * (-len(data) % 4))

    def dir(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def close(self) -> None:
        """Write the trailer and pad the archive to 512 bytes (the file stays open)."""
        self._entry("TRAILER!!!", 0)
        self.f.write(b"\0" * (-self.f.tell() % 512))
