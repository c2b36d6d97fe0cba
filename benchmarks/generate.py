"""Synthetic supply networks in the records format, for benchmarks and scale tests.

Realistic shape, seeded: real ISO countries; materials produced at several stages by a skewed
(Zipf-like) set of countries per year; products with multi-tier bills of materials (a DAG:
products require materials and lower-tier products); firms with ownership chains ending at
holding companies, some state-owned; facilities located in countries, operated and owned by
firms, producing materials; bilateral trade flows by HS code and year.

    python benchmarks/generate.py --relationships 100000 -o /tmp/net-100k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycountry

SOURCE = "source:synthetic"
STAGES = ("mining", "refining", "manufacturing")
YEARS = (2021, 2022, 2023, 2024)


def _zipf_shares(rng: random.Random, n: int) -> list[float]:
    weights = [1.0 / (i + 1) ** 1.2 * rng.uniform(0.7, 1.3) for i in range(n)]
    total = sum(weights)
    return [w / total for w in weights]


GROUP = 50
"""Firms per corporate group."""


def generate(relationships: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Yield records; the number of relationships is within a few percent of the target."""
    rng = random.Random(seed)
    src = [SOURCE]
    # Budget: each relationship family gets a fixed fraction of the target.
    n_mat = max(5, relationships // 400)
    n_prod = max(5, relationships // 200)
    n_firm = max(5, relationships // 40)
    n_fac = max(5, relationships // 40)
    countries = sorted(c.alpha_3 for c in pycountry.countries)
    yield {"type": "Source", "id": SOURCE, "name": "Synthetic supply network", "title": "Synthetic",
           "publisher": "Chokepoint benchmarks", "url": "https://example.org/synthetic",
           "license": "CC0-1.0", "retrieved": "2025-01-01", "year": 2024}
    for iso in countries:
        yield {"type": "Country", "id": f"country:{iso}", "name": iso, "source_ids": src}
    mats = [f"material:syn-m{i}" for i in range(n_mat)]
    for i, m in enumerate(mats):
        yield {"type": "Material", "id": m, "name": f"Material {i}", "kind": "element", "source_ids": src}
    prods = [f"product:syn-p{i}" for i in range(n_prod)]
    for i, p in enumerate(prods):
        yield {"type": "Product", "id": p, "name": f"Product {i}", "source_ids": src}
    for i in range(n_mat):
        code = f"{2800 + i % 1000:04d}{i // 1000 % 100:02d}"
        yield {"type": "HSCode", "id": f"hs:{code}", "name": f"HS {code}", "code": code,
               "source_ids": src}
        yield {"type": "CLASSIFIED_AS", "from": mats[i], "to": f"hs:{code}", "source_ids": src}
    firms = [f"firm:syn-f{i}" for i in range(n_firm)]
    for i, f in enumerate(firms):
        yield {"type": "Firm", "id": f, "name": f"Firm {i}", "source_ids": src}
    facs = [f"facility:syn-x{i}" for i in range(n_fac)]
    for i, x in enumerate(facs):
        yield {"type": "Facility", "id": x, "name": f"Facility {i}", "source_ids": src}

    # PRODUCES by country: ~35 % of the budget.
    per_group = 12
    groups = max(1, int(relationships * 0.35) // per_group)
    done = 0
    for m in mats:
        for stage in STAGES:
            for year in YEARS:
                if done >= groups:
                    break
                producers = rng.sample(countries, per_group)
                for iso, share in zip(producers, _zipf_shares(rng, per_group), strict=True):
                    yield {"type": "PRODUCES", "from": f"country:{iso}", "to": m, "stage": stage,
                           "year": year, "share": round(share, 6), "quantity": round(share * 1e5, 1),
                           "unit": "t", "world_quantity": 1e5, "source_ids": src}
                done += 1
    # BOM DAG: product i requires 3 materials and up to 2 products of higher index (lower tier).
    for i, p in enumerate(prods):
        for m in rng.sample(mats, 3):
            yield {"type": "REQUIRES", "from": p, "to": m, "stage": rng.choice(STAGES), "source_ids": src}
        for j in sorted(rng.sample(range(i + 1, n_prod), min(2, n_prod - i - 1))):
            yield {"type": "REQUIRES", "from": p, "to": prods[j], "source_ids": src}
    # Ownership: corporate groups of GROUP firms, each a random tree (a firm's parent is an earlier
    # firm of its group); 10 % of top holders state-owned. Groups keep the number of ownership
    # chains per firm the same at every size, as in real data: one tree over all firms made the
    # chains of length <= 5 grow 24.5x for 10x the relationships (benchmarks/RESULTS.md).
    for i, f in enumerate(firms):
        yield {"type": "HEADQUARTERED_IN", "from": f, "to": f"country:{rng.choice(countries)}", "source_ids": src}
        if i % GROUP and rng.random() < 0.8:
            parent = firms[i - i % GROUP + rng.randrange(0, i % GROUP)]
            yield {"type": "OWNS", "from": parent, "to": f, "share": round(rng.uniform(0.2, 1.0), 3),
                   "year": 2024, "source_ids": src}
        elif rng.random() < 0.1:
            yield {"type": "STATE_OWNED_BY", "from": f, "to": f"country:{rng.choice(countries)}",
                   "share": 1.0, "source_ids": src}
    for x in facs:
        owner = rng.choice(firms)
        yield {"type": "LOCATED_IN", "from": x, "to": f"country:{rng.choice(countries)}", "source_ids": src}
        yield {"type": "OPERATES", "from": owner, "to": x, "source_ids": src}
        yield {"type": "OWNS", "from": owner, "to": x, "share": 1.0, "year": 2024, "source_ids": src}
        yield {"type": "PRODUCES", "from": x, "to": rng.choice(mats), "stage": rng.choice(STAGES),
               "year": 2024, "quantity": round(rng.uniform(10, 5000), 1), "unit": "t", "source_ids": src}
    # Trade: the rest of the budget.
    emitted_so_far = done * per_group + n_prod * 5 + n_firm * 2 + n_fac * 4 + n_mat
    remaining = max(0, relationships - emitted_so_far)
    seen: set[tuple[str, str, str, int]] = set()
    while remaining > 0:
        a, b = rng.sample(countries, 2)
        code = f"{2800 + rng.randrange(min(n_mat, 1000)):04d}00"
        year = rng.choice(YEARS)
        key = (a, b, code, year)
        if key in seen:
            continue
        seen.add(key)
        yield {"type": "EXPORTS_TO", "from": f"country:{a}", "to": f"country:{b}", "hs_code": code,
               "year": year, "value_usd": round(rng.lognormvariate(13, 2), 2), "flow_basis": "imports",
               "source_ids": src}
        remaining -= 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relationships", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("-o", "--output", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    n_nodes = n_rels = 0
    for rec in generate(args.relationships, args.seed):
        out.write(json.dumps(rec, separators=(",", ":")) + "\n")
        if "from" in rec:
            n_rels += 1
        else:
            n_nodes += 1
    if args.output:
        out.close()
    print(f"{n_nodes:,} nodes, {n_rels:,} relationships", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
