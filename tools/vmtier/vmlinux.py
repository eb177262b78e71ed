"""The uncompressed ELF vmlinux inside a vmlinuz, bootable by qemu through its PVH entry."""
from __future__ import annotations

import lzma
import os
import struct

XZ_MAGIC = b"\xfd7zXZ\x00"
PT_NOTE = 4
XEN_ELFNOTE_PHYS32_ENTRY = 18


def extract_vmlinux(vmlinuz: str, dest: str) -> None:
    """Write the xz-compressed ELF payload of vmlinuz to dest; ValueError if there is none
    or it has no PVH entry."""
    with open(vmlinuz, "rb") as f:
        data = f.read()
    out = xz_elf_payload(data)
    if out is None:
        raise ValueError("no xz-compressed ELF payload found")
    if not has_pvh_note(out):
        raise ValueError("ELF has no PVH entry note")
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.rename(tmp, dest)


def xz_elf_payload(data: bytes) -> bytes | None:
    """The first xz stream in data that decompresses to an ELF file."""
    pos = data.find(XZ_MAGIC)
    while pos >= 0:
        try:
            cand = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[pos:])
            if cand[:4] == b"\x7fELF":
                return cand
        except lzma.LZMAError:
            pass
        pos = data.find(XZ_MAGIC, pos + 1)
    return None


def has_pvh_note(elf: bytes) -> bool:
    """True if the ELF carries XEN_ELFNOTE_PHYS32_ENTRY (18), which qemu uses for PVH boot."""
    if elf[4] != 2:  # ELFCLASS64
        return False
    e_phoff, = struct.unpack_from("<Q", elf, 0x20)
    e_phentsize, e_phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(e_phnum):
        p_type, _flags, p_offset, _va, _pa, p_filesz = struct.unpack_from("<IIQQQQ", elf, e_phoff + i * e_phentsize)
        if p_type != PT_NOTE:
            continue
        off, end = p_offset, p_offset + p_filesz
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, off)
            name = elf[off + 12: off + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == XEN_ELFNOTE_PHYS32_ENTRY:
                return True
            off += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False
