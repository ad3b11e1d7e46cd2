"""Products: grid and table views, search, add/edit with photos, archive instead of delete."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from duka.dashboard import audit, catalogue
from duka.dashboard.auth import current_owner, owner_transaction
from duka.dashboard.product_form import FASHION_ATTRIBUTES, ProductForm, parse_product_form
from duka.dashboard.restock import restock_list
from duka.dashboard.uploads import MAX_IMAGES_PER_PRODUCT, UploadRejected, store_uploads
from duka.logs import log
from duka.publishing import PublishFailed
from duka.relay import relay_outbox

logger = logging.getLogger(__name__)

bp = Blueprint("products", __name__, url_prefix="/dashboard/products")


@bp.route("")
def index() -> str:
    query = request.args.get("q", "")
    view = "table" if request.args.get("view") == "table" else "grid"
    archived = request.args.get("archived") == "1"
    with owner_transaction() as conn:
        products = catalogue.list_products(conn, query=query, archived=archived)
        restock = [] if archived else restock_list(conn)
    return render_template(
        "products/list.html",
        products=products,
        q=query,
        view=view,
        archived=archived,
        restock=restock,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    if request.method == "GET":
        return _form_page(ProductForm(), None)
    return _save(None, [])


@bp.route("/<uuid:product_id>", methods=["GET", "POST"])
def edit(product_id: UUID) -> ResponseReturnValue:
    with owner_transaction() as conn:
        product = catalogue.get_product(conn, product_id)
        stock = catalogue.size_stock(conn, product_id)
    if product is None:
        abort(404)
    if request.method == "GET":
        return _form_page(ProductForm.from_product(product, stock), product)
    removed = set(request.form.getlist("remove_image"))
    kept = [ref for i, ref in enumerate(product["images"]) if str(i) not in removed]
    return _save(product, kept)


def _form_page(form: ProductForm, product: dict[str, Any] | None, status: int = 200) -> Any:
    with owner_transaction() as conn:
        known_categories = catalogue.categories(conn)
    page = render_template(
        "products/form.html",
        form=form,
        product=product,
        categories=known_categories,
        attributes=FASHION_ATTRIBUTES,
    )
    return page, status


def _save(product: dict[str, Any] | None, kept_images: list[str]) -> ResponseReturnValue:
    owner = current_owner()
    form = parse_product_form(request.form, kept_images)
    uploads = [f for f in request.files.getlist("photos") if f.filename]
    if len(kept_images) + len(uploads) > MAX_IMAGES_PER_PRODUCT:
        form.errors["images"] = f"At most {MAX_IMAGES_PER_PRODUCT} photos per product."
    if form.errors:
        return _form_page(form, product, 422)
    try:
        form.images = kept_images + store_uploads(owner.business_id, uploads)
    except UploadRejected as exc:
        form.errors["images"] = str(exc)
        return _form_page(form, product, 422)
    try:
        with owner_transaction() as conn:
            if product is None:
                saved = catalogue.create_product(conn, owner.business_id, form)
            else:
                catalogue.update_product(conn, owner.business_id, product["id"], form)
                saved = str(product["id"])
            audit.record(conn, "product.saved", "product", saved, name=form.name)
    except catalogue.SkuTaken as exc:
        form.errors["sku"] = str(exc)
        return _form_page(form, product, 422)
    except catalogue.StockChanged as exc:
        form = form.with_current_stock(exc.stock, exc.size_stock)
        form.errors["stock"] = str(exc)
        return _form_page(form, product, 409)
    _publish_changes()
    flash(f"Saved “{form.name}”. Customers can find it as soon as it shows Searchable.")
    return redirect(url_for(".index"))


def _publish_changes() -> None:
    """Re-indexing starts now; if Pub/Sub is down the scheduled sweep publishes it later."""
    try:
        relay_outbox()
    except PublishFailed as exc:
        log(logger, logging.WARNING, "product change not published yet", error=str(exc))


@bp.route("/<uuid:product_id>/archive", methods=["POST"])
def archive(product_id: UUID) -> Response:
    return _set_active(
        product_id,
        False,
        "Archived: customers no longer see it. Find it under Archived to restore it.",
    )


@bp.route("/<uuid:product_id>/restore", methods=["POST"])
def restore(product_id: UUID) -> Response:
    return _set_active(product_id, True, "Restored: customers can find it again.")


def _set_active(product_id: UUID, active: bool, done: str) -> Response:
    with owner_transaction() as conn:
        if not catalogue.set_active(conn, product_id, active):
            abort(404)
        audit.record(
            conn, "product.restored" if active else "product.archived", "product", product_id
        )
    flash(done)
    return redirect(url_for(".index"))


@bp.route("/<uuid:product_id>/delete", methods=["POST"])
def delete(product_id: UUID) -> Response:
    with owner_transaction() as conn:
        outcome = catalogue.delete_or_archive(conn, product_id)
        if outcome is not None:
            audit.record(conn, f"product.{outcome}", "product", product_id)
    if outcome is None:
        abort(404)
    if outcome == "archived":
        flash("It's on orders or in a cart, so it was archived instead of deleted.")
    else:
        flash("Deleted.")
    return redirect(url_for(".index"))
