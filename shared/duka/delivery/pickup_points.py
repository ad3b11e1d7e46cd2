"""The boutique's pickup points (table pickup_points, RLS), and which to offer a customer first.

"Nearest" is by area, as there are no coordinates: points in her area, then in the other areas
of her area's zone, then the rest; within each, the points most orders went to, then by name.
Without her area the most-used points come first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from duka.db.pool import Connection
from duka.delivery.zones import key_of, zone_for

MAX_NAME, MAX_AREA, MAX_DIRECTIONS, MAX_HOURS = 80, 60, 300, 120


@dataclass(frozen=True)
class PickupPoint:
    id: str
    name: str
    area: str
    directions: str
    hours: str
    fee_kes: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PickupPoint:
        return cls(
            id=str(row["id"]),
            name=row["name"],
            area=row["area"],
            directions=row["directions"],
            hours=row["hours"],
            fee_kes=int(row["fee_kes"]),
        )


@dataclass(frozen=True)
class NewPoint:
    """A point checked by the form or the CSV import, ready to store."""

    name: str
    area: str
    directions: str
    hours: str
    fee_kes: int


def all_points(conn: Connection) -> list[PickupPoint]:
    rows = conn.execute("SELECT * FROM pickup_points ORDER BY lower(area), lower(name)").fetchall()
    return [PickupPoint.from_row(row) for row in rows]


def get_point(conn: Connection, point_id: str) -> PickupPoint | None:
    row = conn.execute("SELECT * FROM pickup_points WHERE id = %s", (point_id,)).fetchone()
    return PickupPoint.from_row(row) if row else None


def has_points(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM pickup_points LIMIT 1").fetchone() is not None


def save_points(conn: Connection, business_id: str, points: Sequence[NewPoint]) -> int:
    """Add the points; one with the name of a point already there replaces its details.
    Returns how many were saved."""
    for point in points:
        conn.execute(
            "INSERT INTO pickup_points (business_id, name, area, directions, hours, fee_kes)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (business_id, lower(name)) DO UPDATE SET area = EXCLUDED.area,"
            " directions = EXCLUDED.directions, hours = EXCLUDED.hours, fee_kes = EXCLUDED.fee_kes",
            (business_id, point.name, point.area, point.directions, point.hours, point.fee_kes),
        )
    return len(points)


def delete_point(conn: Connection, point_id: str) -> str | None:
    """Remove a point; its name, or None when it is not this boutique's."""
    row = conn.execute(
        "DELETE FROM pickup_points WHERE id = %s RETURNING name", (point_id,)
    ).fetchone()
    return str(row["name"]) if row else None


def _usage(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT delivery_info->>'pickup_point_id' AS id, count(*) AS n FROM orders"
        " WHERE delivery_info ? 'pickup_point_id' GROUP BY 1"
    ).fetchall()
    return {str(row["id"]): int(row["n"]) for row in rows}


def nearest(conn: Connection, settings: Mapping[str, Any], area: str | None) -> list[PickupPoint]:
    """Every point, the nearest to `area` first (see the module's docstring)."""
    points, used = all_points(conn), _usage(conn)
    zone = zone_for(settings, area)
    home = key_of(area or "")

    def distance(point: PickupPoint) -> int:
        if home and key_of(point.area) == home:
            return 0
        if zone is not None and zone.covers(point.area):
            return 1
        return 2

    return sorted(points, key=lambda p: (distance(p), -used.get(p.id, 0), key_of(p.name)))
