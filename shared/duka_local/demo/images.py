"""Small swatch PNGs for the demo catalogue, drawn in code (stripes in the product's colours)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

COLOURS = {
    "red": (200, 30, 45),
    "blue": (40, 80, 200),
    "white": (245, 245, 240),
    "black": (20, 20, 20),
    "green": (30, 140, 70),
    "yellow": (240, 200, 40),
    "pink": (240, 150, 180),
    "brown": (120, 75, 40),
    "purple": (110, 50, 140),
    "grey": (130, 130, 130),
    "orange": (240, 130, 30),
    "gold": (212, 175, 55),
    "maroon": (110, 20, 40),
    "navy": (20, 30, 80),
    "beige": (220, 200, 160),
    "cream": (250, 240, 215),
    "multicolour": (200, 60, 160),
}


def swatch_png(colours: list[str], size: int = 96) -> bytes:
    rgb = [COLOURS.get(c, (128, 128, 128)) for c in colours] or [(128, 128, 128)]
    stripe = max(1, size // (len(rgb) * 4))
    rows = b"".join(
        b"\x00" + b"".join(bytes(rgb[(x // stripe + y // stripe) % len(rgb)]) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def write_demo_images(folder: Path, products: list[tuple[str, list[str]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sku, colours in products:
        target = folder / f"{sku}.png"
        if not target.exists():
            target.write_bytes(swatch_png(colours))
