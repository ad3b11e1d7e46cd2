"""Product photos uploaded from the owner's phone, stored where the catalogue keeps images."""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.datastructures import FileStorage

from duka.catalog.image_store import get_image_store
from duka.config import get_settings
from duka.errors import Rejected
from duka.images.limits import MAX_PIXELS, ImageTooLarge
from duka.images.product_images import ImageUnavailable, content_type_of

MAX_IMAGES_PER_PRODUCT = 8


class UploadRejected(Rejected):
    """A file is too big or not a photo: the owner picks another one."""


def store_uploads(business_id: str, files: Iterable[FileStorage]) -> list[str]:
    """Check every file first (one bad file stores nothing), then store them; returns refs."""
    limit = get_settings().media_max_bytes
    checked: list[tuple[bytes, str]] = []
    for upload in files:
        if not upload.filename:
            continue  # the empty file input of a form without a new photo
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise UploadRejected(f"{upload.filename} is bigger than {limit // 1_048_576} MB.")
        try:
            checked.append((data, content_type_of(data)))
        except ImageUnavailable as exc:
            message = f"{upload.filename} is not a photo we can use (JPEG, PNG, WebP or GIF)."
            if isinstance(exc.__cause__, ImageTooLarge):
                message = (
                    f"{upload.filename} has too many pixels (the limit is"
                    f" {MAX_PIXELS // 1_000_000} megapixels). Send a smaller photo."
                )
            raise UploadRejected(message) from exc
    store = get_image_store()
    return [store.put(business_id, data, content_type) for data, content_type in checked]
