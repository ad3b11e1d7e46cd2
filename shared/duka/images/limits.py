"""The size gate every decode passes: dimensions are read from the header, never the pixels.

A flat-colour PNG of 9,400 x 9,400 pixels is about 100 KB on the wire but 265 MB once decoded,
so the byte limit on downloads does not bound memory. `open_image` reads only the header and
refuses anything over MAX_PIXELS before a single pixel is decoded; `decode_reduced` then decodes
JPEGs at a reduced scale (Pillow's draft mode) so an accepted photo costs little more than the
small copy the caller wants.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

from PIL import Image

from duka.errors import Rejected

MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone camera, far below a bomb

# Pillow's own guard, for any Image.open outside this module: it warns above this and raises
# DecompressionBombError above twice this.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageTooLarge(Rejected, ValueError):
    """The picture has more pixels than we decode. Final: tell the sender, never retry."""


def open_image(source: bytes | Path) -> Image.Image:
    """The image with only its header read; raises ImageTooLarge, or Pillow's errors."""
    fp: IO[bytes] | Path = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        image = Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            f"the picture has more than {2 * MAX_PIXELS // 1_000_000} megapixels; the limit is"
            f" {MAX_PIXELS // 1_000_000} megapixels"
        ) from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ImageTooLarge(
            f"the picture is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000}"
            " megapixels"
        )
    return image


def decode_reduced(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Decode `image` (from open_image) at no less than `size`: JPEGs at a reduced scale."""
    if image.format == "JPEG":
        image.draft("RGB", size)
    image.load()
    return image
