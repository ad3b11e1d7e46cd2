"""Decompression bombs for tests: huge flat pictures written row by row in a few KB of memory."""

from __future__ import annotations

import struct
import zlib

BOMB_SIDE = 9_400  # 88 megapixels: over our 40 MP limit, under Pillow's default bomb limit


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def flat_png(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A one-colour (red) palette PNG: about 100 KB on the wire, width x height once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit, palette
    packer = zlib.compressobj(9)
    row = bytes(1 + width)  # filter byte 0, then palette index 0 for every pixel
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", bytes((200, 30, 40)))
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
