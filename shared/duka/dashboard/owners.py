"""Who may manage a boutique: grants (owners and staff), and the lookups sign-in needs before
a tenant is known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from duka.dashboard.roles import Role
from duka.db.pool import Connection, tenant_transaction, transaction
from duka.errors import Rejected
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


def member_role(conn: Connection, phone: str) -> Role | None:
    """Under a tenant transaction: this phone's role in the current business, None without one."""
    row = conn.execute("SELECT role FROM business_owners WHERE phone = %s", (phone,)).fetchone()
    return None if row is None else Role(row["role"])


@dataclass(frozen=True)
class Member:
    phone: str
    role: Role
    added_at: datetime
    invited_by: str | None


class AccessRefused(Rejected):
    """A change to who has access that the owner can fix or must not make; says why."""


def members(conn: Connection) -> list[Member]:
    """Everyone who may sign in to the current business: owners first, then by when added."""
    rows = conn.execute(
        "SELECT phone, role, created_at, invited_by FROM business_owners"
        " ORDER BY role = 'staff', created_at, phone"
    ).fetchall()
    return [Member(r["phone"], Role(r["role"]), r["created_at"], r["invited_by"]) for r in rows]


def add_staff(conn: Connection, business_id: str, phone: str, invited_by: str) -> None:
    """Let `phone` sign in to the current business as staff."""
    added = conn.execute(
        "INSERT INTO business_owners (business_id, phone, role, invited_by)"
        " VALUES (%s, %s, 'staff', %s) ON CONFLICT DO NOTHING RETURNING role",
        (business_id, phone, invited_by),
    ).fetchone()
    if added is None:
        raise AccessRefused("This number already has access to your shop.")


def remove_member(conn: Connection, business_id: str, phone: str, removed_by: str) -> Role:
    """End `phone`'s access to the current business (its sessions end with it, by trigger);
    returns the role it had. The remover must still be an owner and may not remove herself, so
    an owner always remains; removals in one boutique take turns, so two owners removing each
    other at once cannot both succeed."""
    if phone == removed_by:
        raise AccessRefused("You can't remove yourself.")
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('business-owners:' || %s))", (business_id,))
    if member_role(conn, removed_by) is not Role.OWNER:
        raise AccessRefused("Only an owner can remove someone.")
    removed = conn.execute(
        "DELETE FROM business_owners WHERE phone = %s RETURNING role", (phone,)
    ).fetchone()
    if removed is None:
        raise AccessRefused("This number has no access to your shop.")
    return Role(removed["role"])
