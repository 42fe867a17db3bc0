"""Tar members written by hand (links, odd types, unsafe names) and a stream of zeros for decompression bombs."""
from __future__ import annotations

import io
import tarfile


def tar_add(tar: tarfile.TarFile, name: str, data: bytes = b"", **attrs) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if attrs.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.size else None)


class Zeros(io.RawIOBase):
    """`n` zero bytes as a stream, without holding them."""

    def __init__(self, n: int):
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def add_zeros(tar: tarfile.TarFile, name: str, n: int) -> None:
    """A member of `n` zero bytes (compresses ~1000:1: a decompression bomb)."""
    info = tarfile.TarInfo(name)
    info.size = n
    tar.addfile(info, io.BufferedReader(Zeros(n)))
