"""Pictures on the owner's pages: product photos and customers' WhatsApp photos.

Both are looked up through a row the owner's tenant transaction can see, so a guessed id or
index never reveals another boutique's picture or an arbitrary file.
"""

from __future__ import annotations

from uuid import UUID

import httpx
from flask import Blueprint, abort, redirect
from werkzeug.wrappers import Response

from duka.dashboard.auth import owner_transaction
from duka.images.product_images import ImageFetchFailed, ImageUnavailable, load_product_image
from duka.media import AUDIO_TYPES, IMAGE_TYPES, MediaRefused, download_media

bp = Blueprint("images", __name__, url_prefix="/dashboard")

CACHE = "private, max-age=3600"


@bp.route("/products/<uuid:product_id>/images/<int:index>")
def product_image(product_id: UUID, index: int) -> Response:
    with owner_transaction() as conn:
        row = conn.execute("SELECT images FROM products WHERE id = %s", (product_id,)).fetchone()
    images = list(row["images"]) if row else []
    if index >= len(images):
        abort(404)
    ref = images[index]
    if ref.startswith("https://"):
        return redirect(ref)
    try:
        data, content_type = load_product_image(ref)
    except (ImageUnavailable, ImageFetchFailed):
        abort(404)
    return Response(data, mimetype=content_type, headers={"Cache-Control": CACHE})


@bp.route("/conversations/<uuid:conversation_id>/messages/<uuid:message_id>/media/<int:index>")
def message_media(conversation_id: UUID, message_id: UUID, index: int) -> Response:
    with owner_transaction() as conn:
        row = conn.execute(
            "SELECT attachments FROM messages WHERE id = %s AND conversation_id = %s",
            (message_id, conversation_id),
        ).fetchone()
    attachments = list(row["attachments"]) if row else []
    if index >= len(attachments) or not attachments[index].get("url"):
        abort(404)
    try:
        media = download_media(attachments[index]["url"], accept=IMAGE_TYPES | AUDIO_TYPES)
    except MediaRefused:
        abort(404)
    except httpx.HTTPError:
        abort(502, description="WhatsApp's media server did not answer. Reload in a moment.")
    return Response(media.data, mimetype=media.content_type, headers={"Cache-Control": CACHE})
