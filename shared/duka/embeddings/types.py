"""What every embedder offers, so the search code never knows which model it talks to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

TaskType = Literal["RETRIEVAL_DOCUMENT", "RETRIEVAL_QUERY"]

# pgvector's HNSW index refuses `vector` columns wider than this.
MAX_INDEXED_DIMENSION = 2000


class Embedder(Protocol):
    @property
    def name(self) -> str:
        """`model@dimension`: the vector space; vectors of different names never mix."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str], task_type: TaskType) -> list[list[float]]:
        """One unit-length vector per text, in order."""
        ...
