"""Businesses (tenants). Creation needs the administrator connection; lookups go through RLS."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from duka.db.pool import Connection
from duka.errors import NotFound


class UnknownBusiness(NotFound):
    """No business uses the WhatsApp number (a message sent to it, or an operator's typo)."""

    def __init__(self, whatsapp_number: str) -> None:
        super().__init__(f"no business uses WhatsApp number {whatsapp_number[:20]}")


def create_business(
    admin: Connection,
    *,
    name: str,
    whatsapp_number: str,
    phone: str | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    row = admin.execute(
        "INSERT INTO businesses (name, whatsapp_number, phone, settings) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (whatsapp_number) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        (name, whatsapp_number, phone or whatsapp_number, Jsonb(settings or {})),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def business_id_for_whatsapp(conn: Connection, whatsapp_number: str) -> str | None:
    row = conn.execute("SELECT business_id_for_whatsapp(%s) AS id", (whatsapp_number,)).fetchone()
    return str(row["id"]) if row and row["id"] else None


def require_business_id_for_whatsapp(conn: Connection, whatsapp_number: str) -> str:
    """The id of the business on `whatsapp_number`; raises UnknownBusiness if there is none."""
    business_id = business_id_for_whatsapp(conn, whatsapp_number)
    if business_id is None:
        raise UnknownBusiness(whatsapp_number)
    return business_id


def enter_business_by_whatsapp(conn: Connection, whatsapp_number: str) -> str | None:
    """Find the business owning the number and scope this transaction to it, in one query."""
    row = conn.execute(
        "SELECT set_config('app.business_id', COALESCE(business_id_for_whatsapp(%s)::text, ''),"
        " true) AS id",
        (whatsapp_number,),
    ).fetchone()
    return str(row["id"]) if row and row["id"] else None


def get_business(conn: Connection, business_id: str) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM businesses WHERE id = %s", (business_id,)).fetchone()


def replace_settings_section(
    conn: Connection, business_id: str, section: str, values: dict[str, Any]
) -> None:
    """Replace one top-level key of `businesses.settings` (a Settings form section), keeping
    the others."""
    conn.execute(
        "UPDATE businesses SET settings = settings"
        " || jsonb_build_object(%s::text, %s::jsonb) WHERE id = %s",
        (section, Jsonb(values), business_id),
    )
