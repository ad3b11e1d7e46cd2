"""Who may manage a boutique: grants, and the lookups sign-in needs before a tenant is known."""

from __future__ import annotations

from dataclasses import dataclass

from duka.db.pool import Connection, tenant_transaction, transaction
from duka.store.businesses import require_business_id_for_whatsapp


@dataclass(frozen=True)
class OwnedBusiness:
    business_id: str
    name: str
    whatsapp_number: str


def add_owner(business_whatsapp: str, owner_phone: str) -> str:
    """Let `owner_phone` sign in to the boutique on `business_whatsapp`; returns its id."""
    with transaction() as conn:
        business_id = require_business_id_for_whatsapp(conn, business_whatsapp)
    with tenant_transaction(business_id) as conn:
        conn.execute(
            "INSERT INTO business_owners (business_id, phone) VALUES (%s, %s)"
            " ON CONFLICT DO NOTHING",
            (business_id, owner_phone),
        )
    return business_id


def owned_businesses(conn: Connection, owner_phone: str) -> list[OwnedBusiness]:
    rows = conn.execute("SELECT * FROM owner_businesses(%s)", (owner_phone,)).fetchall()
    return [OwnedBusiness(str(r["business_id"]), r["name"], r["whatsapp_number"]) for r in rows]


def is_owner(conn: Connection, owner_phone: str) -> bool:
    """Under a tenant transaction: does this phone still own the current business?"""
    row = conn.execute("SELECT 1 FROM business_owners WHERE phone = %s", (owner_phone,)).fetchone()
    return row is not None
