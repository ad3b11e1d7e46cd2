"""The demo boutique's delivery zones and pickup points (duka seed / duka demo)."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from duka.db.pool import tenant_transaction
from duka.delivery.pickup_points import NewPoint, save_points
from duka.delivery.zones import Zone

ZONES = (
    Zone("CBD", ("CBD", "Town", "Ngara", "Upper Hill"), 150, "same day"),
    Zone(
        "Nairobi",
        (
            "Westlands",
            "Kilimani",
            "Kileleshwa",
            "Lavington",
            "Karen",
            "Langata",
            "South B",
            "South C",
            "Embakasi",
            "Kasarani",
            "Roysambu",
            "Ruaka",
            "Rongai",
            "Kitengela",
        ),
        300,
        "same day",
    ),
    Zone("Mombasa", ("Mombasa", "Nyali", "Bamburi", "Mtwapa"), 600, "2-3"),
)
POINTS = (
    NewPoint("Moi Avenue shop", "CBD", "Nyota Boutique, 1st floor, Moi Avenue", "Mon-Sat 9-7", 0),
    NewPoint("Sarit Centre agent", "Westlands", "Ground floor, by the pharmacy", "Daily 9-8", 100),
    NewPoint("Yaya Centre agent", "Kilimani", "Lower ground, parcel desk", "Mon-Sat 9-6", 100),
    NewPoint(
        "Junction Mall locker", "Ngong Road", "Parcel lockers at the main entrance", "24h", 150
    ),
    NewPoint("TRM parcel desk", "Roysambu", "Thika Road Mall, level 1", "Daily 10-8", 150),
    NewPoint("Nyali Centre agent", "Nyali", "Next to the supermarket", "Mon-Sat 9-6", 200),
)


def seed_delivery(business_id: str) -> None:
    """Zones priced for the demo, and its pickup points (saved again on a second seed)."""
    with tenant_transaction(business_id) as conn:
        conn.execute(
            "UPDATE businesses SET settings = jsonb_set(settings, '{delivery}',"
            " COALESCE(settings->'delivery', '{}'::jsonb) || %s::jsonb) WHERE id = %s",
            (Jsonb({"zones": [zone.to_settings() for zone in ZONES]}), business_id),
        )
        save_points(conn, business_id, POINTS)
