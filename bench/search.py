"""Vector search at scale: p50/p95 latency and recall@10 of each strategy, on two shapes.

    .venv/bin/python bench/search.py [--small-tenants 1000] [--per-tenant 100] [--big 20000]

Loads synthetic catalogues into a fresh embedded PostgreSQL (the real migrations, so the real
indexes), then times the production retrieval code (duka.catalog.retrieval.nearest) as the
application role under RLS. Synthetic products are MiniLM embeddings of generated product
texts plus per-product noise, so vectors cluster the way real catalogues do (many near
duplicates). Recall@10 is measured against exact search. Writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row

from duka.catalog.retrieval import (
    EXACT_MAX_ROWS,
    HNSW_EF_SEARCH,
    Filters,
    Strategy,
    choose_strategy,
    nearest,
    searchable_count,
)
from duka.catalog.search import SearchQuery, embed_query, search_products
from duka.catalog.words import expanded_query
from duka.db.migrate import migrate
from duka.embeddings.local import LocalEmbedder

MODEL = "all-MiniLM-L6-v2@384"
COLOURS = (
    "red maroon pink orange yellow gold green blue navy purple brown beige cream white grey black"
)
GARMENTS = "dress skirt trousers jeans shirt blouse top jacket kimono jumpsuit sandals shoes bag"
STYLES = "maxi midi mini bodycon wrap pleated flared slim oversized cropped"
FABRICS = "kitenge ankara linen satin denim chiffon cotton velvet leather silk"
QUERIES = [
    "red dress",
    "black leather jacket",
    "kitenge skirt",
    "something for a wedding",
    "blue jeans",
    "white sneakers",
    "office trousers",
    "ankara jumpsuit",
    "green satin dress",
    "yellow sundress",
    "maroon velvet gown",
    "pink blouse",
    "brown sandals",
    "navy shirt",
]
RESULTS = Path(__file__).parent / "results" / "search.json"


def product_texts(rng: random.Random, n: int) -> list[str]:
    colours, garments, styles, fabrics = (s.split() for s in (COLOURS, GARMENTS, STYLES, FABRICS))
    return [
        f"{rng.choice(colours)} {rng.choice(fabrics)} {rng.choice(styles)} {rng.choice(garments)}"
        for _ in range(n)
    ]


def synthetic_vectors(texts: list[str], rng: np.random.Generator, noise: float) -> np.ndarray:
    unique = sorted(set(texts))
    embedded = np.array(LocalEmbedder().embed(unique, "RETRIEVAL_DOCUMENT"), dtype=np.float32)
    index = {text: i for i, text in enumerate(unique)}
    base = embedded[[index[t] for t in texts]]
    noisy = base + rng.normal(0, noise, base.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """A throwaway migrated PostgreSQL: (administrator URL, application-role URL)."""
    import pgserver

    with tempfile.TemporaryDirectory(prefix="duka-search-bench-") as home:
        server = pgserver.get_server(Path(home) / "pgdata", cleanup_mode="stop")
        try:
            admin = server.get_uri()
            migrate(admin)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("ALTER ROLE duka_app LOGIN PASSWORD 'bench'")
            socket_dir = admin.split("host=", 1)[1]
            yield admin, f"postgresql://duka_app:bench@/postgres?host={socket_dir}"
        finally:
            server.cleanup()


def load(admin: str, tenants: list[tuple[str, int]], seed: int) -> None:
    """Insert every tenant's products; HNSW indexes are rebuilt afterwards (faster than inserts)."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    with psycopg.connect(admin, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products'"
            " AND indexdef LIKE '%hnsw%'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        total = sum(n for _, n in tenants)
        texts = product_texts(rng, total)
        vectors = synthetic_vectors(texts, nprng, noise=0.02)
        started = time.perf_counter()
        offset = 0
        with conn.cursor() as cur:
            for business_id, _ in tenants:
                cur.execute(
                    "INSERT INTO businesses (id, name, whatsapp_number) VALUES (%s, %s, %s)",
                    (business_id, "bench", "+2547" + business_id[-8:]),
                )
            with cur.copy(
                "COPY products (business_id, sku, name, price, stock, category, search_text,"
                " embedding, embedding_model) FROM STDIN"
            ) as copy:
                for business_id, n in tenants:
                    for i in range(n):
                        text = texts[offset]
                        vector = "[" + ",".join(f"{x:.6f}" for x in vectors[offset]) + "]"
                        garment = text.rsplit(" ", 1)[1]
                        copy.write_row(
                            (
                                business_id,
                                f"SKU-{i}",
                                text.title(),
                                1500,
                                5,
                                garment,
                                text,
                                vector,
                                MODEL,
                            )
                        )
                        offset += 1
        print(f"loaded {total} products in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("ANALYZE products")
        print(f"built HNSW in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def query_vectors(n: int, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    base = np.array(LocalEmbedder().embed(QUERIES, "RETRIEVAL_QUERY"), dtype=np.float32)
    picks = base[rng.integers(0, len(QUERIES), n)]
    noisy = picks + rng.normal(0, 0.01, picks.shape).astype(np.float32)
    return [list(map(float, v / np.linalg.norm(v))) for v in noisy]


def run_strategy(
    app_url: str,
    cases: list[tuple[str, list[float]]],
    strategy: Strategy | None,
    k: int,
    ef_search: int = 100,
) -> tuple[list[float], list[list[str]]]:
    """Time `nearest` per query; strategy None is what search does (count, then choose)."""
    timings: list[float] = []
    answers: list[list[str]] = []
    with psycopg.connect(app_url, row_factory=dict_row, autocommit=True) as conn:
        conn.prepare_threshold = None
        for business_id, vector in cases:
            with conn.transaction():
                conn.execute("SELECT set_config('app.business_id', %s, true)", (business_id,))
                started = time.perf_counter()
                chosen = strategy or choose_strategy(
                    MODEL, searchable_count(conn, business_id, MODEL)
                )
                hits = nearest(
                    conn,
                    Filters(business_id),
                    vector,
                    model=MODEL,
                    limit=k,
                    strategy=chosen,
                    ef_search=ef_search,
                )
                timings.append((time.perf_counter() - started) * 1000)
            answers.append([product_id for product_id, _ in hits])
    return timings, answers


def run_hybrid(app_url: str, cases: list[tuple[str, str]]) -> dict[str, float]:
    """The whole search_products call (SQL, blending, ranking); query vectors cached."""
    for _, text in cases:
        embed_query(expanded_query(text))
    timings: list[float] = []
    with psycopg.connect(app_url, row_factory=dict_row, autocommit=True) as conn:
        conn.prepare_threshold = None
        for business_id, text in cases:
            with conn.transaction():
                conn.execute("SELECT set_config('app.business_id', %s, true)", (business_id,))
                started = time.perf_counter()
                search_products(conn, SearchQuery(text=text))
                timings.append((time.perf_counter() - started) * 1000)
    ordered = sorted(timings)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def summarise(
    timings: list[float], answers: list[list[str]], truth: list[list[str]]
) -> dict[str, float]:
    recalls = [len(set(a) & set(t)) / len(t) for a, t in zip(answers, truth, strict=True) if t]
    ordered = sorted(timings)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "recall_at_10": round(statistics.mean(recalls), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small-tenants", type=int, default=1000)
    parser.add_argument("--per-tenant", type=int, default=100)
    parser.add_argument("--big", type=int, default=20000)
    parser.add_argument("--mid", type=int, default=EXACT_MAX_ROWS, help="a tenant at the switch")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/duka-runtime")
    os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    small = [(str(uuid.UUID(int=i + 1)), args.per_tenant) for i in range(args.small_tenants)]
    big = (str(uuid.UUID(int=10**9)), args.big)
    mid = (str(uuid.UUID(int=10**9 + 1)), args.mid)
    rng = random.Random(args.seed)
    vectors = query_vectors(args.queries, args.seed)
    shapes = {
        f"{args.small_tenants}_tenants_x_{args.per_tenant}": [
            (rng.choice(small)[0], v) for v in vectors
        ],
        f"one_tenant_{args.big}": [(big[0], v) for v in vectors],
        f"one_tenant_{args.mid}": [(mid[0], v) for v in vectors],
    }
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "model": MODEL,
        "total_products": args.small_tenants * args.per_tenant + args.big + args.mid,
        "hnsw": {"m": 16, "ef_construction": 64, "iterative_scan": "relaxed_order"},
        "adaptive": {"exact_max_rows": EXACT_MAX_ROWS, "hnsw_ef_search": HNSW_EF_SEARCH},
        "shapes": {},
    }
    with database() as (admin, app):
        load(admin, [*small, big, mid], args.seed)
        for shape, cases in shapes.items():
            run_strategy(app, cases[:20], "exact", 10)  # warm the cache
            exact_timings, truth = run_strategy(app, cases, "exact", 10)
            results = {"exact": summarise(exact_timings, truth, truth)}
            for ef_search in (40, 100, 200):
                timings, answers = run_strategy(app, cases, "hnsw", 10, ef_search)
                results[f"hnsw_ef{ef_search}"] = summarise(timings, answers, truth)
            timings, answers = run_strategy(app, cases, None, 10, HNSW_EF_SEARCH)
            results["adaptive (what search uses)"] = summarise(timings, answers, truth)
            texts = [
                (business_id, QUERIES[i % len(QUERIES)]) for i, (business_id, _) in enumerate(cases)
            ]
            results["search_products (hybrid, query vector cached)"] = run_hybrid(app, texts)
            report["shapes"][shape] = results
            print(shape, json.dumps(report["shapes"][shape]), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
