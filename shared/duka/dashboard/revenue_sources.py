"""Revenue by source on the overview: what brought the paid orders of the last 7 and 30 days.

Each paid order records its source when it is paid (duka.orders.attribution). Orders paid
before attribution existed have none and count as organic chat: nothing else reached them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from duka.dashboard.formatting import NAIROBI
from duka.db.pool import Connection
from duka.orders.attribution import SOURCES, Source

PERIODS = (7, 30)  # days, each ending today (Nairobi)
LABELS: dict[Source, str] = {
    "organic": "Chat (organic)",
    "follow_up": "Follow-ups",
    "back_in_stock": "Back in stock",
    "broadcast": "Broadcasts",
    "owner_takeover": "You, in the chat",
}


@dataclass(frozen=True)
class Figure:
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class SourceRow:
    source: Source
    by_period: dict[int, Figure]  # days -> paid orders and revenue in that period

    @property
    def label(self) -> str:
        return LABELS[self.source]


def revenue_by_source(conn: Connection, today: date) -> list[SourceRow]:
    """Every source (in a fixed order, so owners learn where to look), for each period."""
    starts = {
        days: datetime.combine(today - timedelta(days=days - 1), time(), NAIROBI)
        for days in PERIODS
    }
    rows = conn.execute(
        "SELECT COALESCE(o.source, 'organic') AS source,"
        " count(*) FILTER (WHERE o.paid_at >= %(week)s) AS orders_7,"
        " COALESCE(sum(o.amount) FILTER (WHERE o.paid_at >= %(week)s), 0) AS revenue_7,"
        " count(*) AS orders_30, COALESCE(sum(o.amount), 0) AS revenue_30"
        " FROM orders o WHERE o.status = 'paid' AND o.paid_at >= %(month)s GROUP BY 1",
        {"week": starts[7], "month": starts[30]},
    ).fetchall()
    found = {r["source"]: r for r in rows}
    table = []
    for source in SOURCES:
        row = found.get(source)
        table.append(
            SourceRow(
                source,
                {
                    days: Figure(
                        int(row[f"orders_{days}"]) if row else 0,
                        Decimal(row[f"revenue_{days}"]) if row else Decimal(0),
                    )
                    for days in PERIODS
                },
            )
        )
    return table
