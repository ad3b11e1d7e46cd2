"""Read a product's own image (a local file in the local stack, a storage URL in production)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlparse

import httpx
from PIL import UnidentifiedImageError

from duka.config import get_settings
from duka.errors import Rejected, Transient
from duka.images.limits import ImageTooLarge, open_image

_FORMAT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


class ImageUnavailable(Rejected):
    """Permanent: the image is missing, too big, not a picture or not allowed. Skip it."""


class ImageFetchFailed(Transient):
    """Transient: the image host did not answer; the caller should retry later."""


def content_type_of(data: bytes) -> str:
    """The image's real type from its bytes (never trust a file name or a header).

    Only the header is read; a picture over the pixel limit is refused (ImageUnavailable).
    """
    try:
        with open_image(data) as image:
            kind = _FORMAT_TYPES.get(image.format or "")
    except ImageTooLarge as exc:
        raise ImageUnavailable(str(exc)) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageUnavailable(f"not a readable image: {exc}") from exc
    if kind is None:
        raise ImageUnavailable("unsupported image format")
    return kind


def load_product_image(ref: str) -> tuple[bytes, str]:
    """(bytes, content type) of an image path or URL; raises ImageUnavailable/ImageFetchFailed."""
    limit = get_settings().media_max_bytes
    if "://" in ref:
        data = _download(ref, limit)
    else:
        path = Path(ref)
        if not path.is_file():
            raise ImageUnavailable(f"image file {ref} does not exist")
        if path.stat().st_size > limit:
            raise ImageUnavailable(f"image file {ref} is larger than {limit} bytes")
        data = path.read_bytes()
    return data, content_type_of(data)


def _allowed(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme == "https":
        return True
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return parsed.scheme == "http" and loopback and get_settings().is_local


def _download(url: str, limit: int) -> bytes:
    if not _allowed(url):
        raise ImageUnavailable(f"image URL {url} is not https")
    try:
        with httpx.stream("GET", url, timeout=httpx.Timeout(10.0, connect=3.0)) as response:
            if response.status_code >= 500:
                raise ImageFetchFailed(f"image host answered {response.status_code} for {url}")
            if response.status_code != 200:
                raise ImageUnavailable(f"image host answered {response.status_code} for {url}")
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise ImageUnavailable(f"image {url} is larger than {limit} bytes")
            return data
    except httpx.TransportError as exc:
        raise ImageFetchFailed(f"could not fetch {url}: {exc}") from exc
