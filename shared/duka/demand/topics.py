"""Group one boutique's demand signals into topics: garment, colour, size and price band.

A topic counts asks and distinct customers over the range and keeps up to three example
messages (newest first); topics sort by customers, then asks. The title is built here, in
English, from the topic's parts: "plus-size kitenge dresses under 3k".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from duka.db.pool import Connection
from duka.demand.signals import FABRICS, PLUS, TOP_BAND

EXAMPLES = 3
MAX_TOPICS = 50
BAND_WORDS = {
    "under-1k": "under 1k",
    "1-2k": "under 2k",
    "2-3k": "under 3k",
    "3-5k": "under 5k",
    TOP_BAND: "at 5k and up",
}
# English plurals the catalogue's garment words need; the rest take "s".
_PLURALS = {
    "dress": "dresses",
    "trousers": "trousers",
    "jeans": "jeans",
    "shoes": "shoes",
    "sandals": "sandals",
    "accessories": "accessories",
    "kikoi": "kikois",
    "blouse": "blouses",
}


@dataclass(frozen=True)
class Topic:
    garment: str | None
    colour: str | None
    size: str | None
    price_band: str | None
    asks: int
    customers: int
    photos: int
    examples: tuple[str, ...]
    last_asked: datetime

    @property
    def title(self) -> str:
        return topic_title(self.garment, self.colour, self.size, self.price_band)


def plural(garment: str) -> str:
    """ "kitenge dress" -> "kitenge dresses"; a fabric alone -> "kitenge pieces"."""
    *before, last = garment.split()
    if last in FABRICS:
        return f"{garment} pieces"
    return " ".join([*before, _PLURALS.get(last, last if last.endswith("s") else last + "s")])


def topic_title(garment: str | None, colour: str | None, size: str | None, band: str | None) -> str:
    """ "plus-size kitenge dresses under 3k", "red tops in size XXL", "items under 1k"."""
    words = ["plus-size"] if size == PLUS else []
    words += [colour] if colour else []
    words.append(plural(garment) if garment else "items")
    if size and size != PLUS:
        words.append(f"in size {size}")
    if band:
        words.append(BAND_WORDS.get(band, band))
    return " ".join(words)


_TOPICS = f"""
SELECT garment, colour, size, price_band,
       count(*) AS asks,
       count(DISTINCT conversation_id) AS customers,
       count(*) FILTER (WHERE kind = 'photo') AS photos,
       (array_agg(words ORDER BY created_at DESC) FILTER (WHERE words <> ''))[1:{EXAMPLES}]
           AS examples,
       max(created_at) AS last_asked
  FROM demand_signals
 WHERE business_id = %(business_id)s AND created_at >= %(start)s AND created_at < %(end)s
 GROUP BY garment, colour, size, price_band
 ORDER BY customers DESC, asks DESC, last_asked DESC
 LIMIT {MAX_TOPICS}
"""


def topics(conn: Connection, business_id: str, start: datetime, end: datetime) -> list[Topic]:
    """The range's topics, most customers first (conn is an owner/tenant connection: RLS)."""
    rows: list[dict[str, Any]] = conn.execute(
        _TOPICS, {"business_id": business_id, "start": start, "end": end}
    ).fetchall()
    return [
        Topic(
            garment=row["garment"],
            colour=row["colour"],
            size=row["size"],
            price_band=row["price_band"],
            asks=int(row["asks"]),
            customers=int(row["customers"]),
            photos=int(row["photos"]),
            examples=tuple(row["examples"] or ()),
            last_asked=row["last_asked"],
        )
        for row in rows
    ]
