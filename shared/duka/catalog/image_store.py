"""Where product images live: Supabase Storage in production, a local folder in the local stack.

Images are stored under a content-derived name, so importing the same catalogue twice stores
each picture once and product rows keep a stable path or URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from duka.config import ConfigError, get_settings
from duka.images.product_images import content_type_of

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}


class ImageStore(Protocol):
    def put(self, business_id: str, data: bytes, content_type: str) -> str:
        """Store the image; returns the path or URL to keep on the product row."""
        ...


def _object_name(business_id: str, data: bytes, content_type: str) -> str:
    digest = hashlib.sha256(data).hexdigest()[:24]
    return f"{business_id}/{digest}{_EXTENSIONS[content_type]}"


@dataclass(frozen=True)
class LocalImageStore:
    folder: Path

    def put(self, business_id: str, data: bytes, content_type: str) -> str:
        target = self.folder / _object_name(business_id, data, content_type)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return str(target)


@dataclass
class SupabaseImageStore:
    url: str
    service_key: str
    bucket: str
    _client: Any = None

    def put(self, business_id: str, data: bytes, content_type: str) -> str:
        if self._client is None:
            from supabase import create_client

            self._client = create_client(self.url, self.service_key)
        bucket = self._client.storage.from_(self.bucket)
        name = _object_name(business_id, data, content_type)
        bucket.upload(name, data, {"content-type": content_type, "upsert": "true"})
        return str(bucket.get_public_url(name))


def get_image_store() -> ImageStore:
    """Supabase when SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are set, else a local folder.

    The local stack and the `duka` CLI set PRODUCT_IMAGE_DIR; with neither set there is nowhere
    sensible to write (a deployed function's source folder is read-only), so this refuses.
    """
    settings = get_settings()
    url, key = settings.supabase_url, settings.supabase_service_role_key
    if url and key:
        return SupabaseImageStore(url=url, service_key=key, bucket=settings.supabase_storage_bucket)
    if settings.product_image_dir:
        return LocalImageStore(Path(settings.product_image_dir))
    raise ConfigError(
        "set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or PRODUCT_IMAGE_DIR for a local folder"
    )


def store_image(store: ImageStore, business_id: str, ref: str, base_dir: Path) -> str:
    """A local file is stored and replaced by its stored location; URLs are kept as they are."""
    if "://" in ref:
        return ref
    data = (base_dir / ref).read_bytes()
    return store.put(business_id, data, content_type_of(data))
