"""Time Engine.attribute_arrow against the same lookup done as a join in DuckDB and Polars.

    python examples/bench_arrow.py [--codes N] [--orders N]

Data: N one-code orders (default 1,000,000), each a random registered code typed in lower case,
against N registered exact codes (default 100,000). Prints one JSON object:

- `attribute_arrow_ns_per_order`: Engine.attribute_arrow on one thread (`threads=1`), Arrow in
  and out included; `_all_cores` with every core (`threads=None`).
- `duckdb_join_ns_per_order` and `polars_join_ns_per_order`: the orders joined to the codes on
  the upper-cased text (orders' list column in, an Arrow table of order, partner and code out),
  on one thread; `_all_cores` with every core. A join does no folding, schedules or policies:
  it is the floor a data team would compare the crate with.
- the ratios of attribute_arrow to the faster join, both ways;
- Engine.attribute in a Python loop, and promo_attribution.judge_arrow over about one change per
  order against the attribute_arrow output (nanoseconds per change).

Every figure is the median of 5 runs in this process; Polars reads its thread count once, at
import, so its figures come from a child process each (same data, same seed). Needs `duckdb` and
`polars` (python/requirements-bench.txt).
"""

import argparse
from datetime import timedelta
import json
import os
import random
import statistics
import subprocess
import sys
import time

import pyarrow as pa

import promo_attribution as promo

RUNS = 5
AT_US = 1_773_144_000_000_000


def data(codes: int, orders: int):
    """The codes (id, text, partner) and the orders table, the same for every process."""
    rng = random.Random(1)
    texts = [f"C{rng.getrandbits(40):010X}{i}" for i in range(codes)]
    picks = [texts[rng.randrange(codes)].lower() for _ in range(orders)]
    table = pa.table({
        "order_id": pa.array(range(orders), pa.int64()),
        "at": pa.array([AT_US] * orders, pa.timestamp("us", tz="UTC")),
        "codes": pa.array([[p] for p in picks], pa.list_(pa.string())),
    })
    code_table = pa.table({
        "code_id": pa.array(range(codes), pa.int64()),
        "text": pa.array(texts, pa.string()),
        "partner_id": pa.array([1 + i % 1000 for i in range(codes)], pa.int64()),
    })
    return texts, picks, table, code_table, rng


def median_ns(rows: int, run) -> tuple[float, list[float], object]:
    runs, out = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        out = run()
        runs.append((time.perf_counter() - started) / rows * 1e9)
    return statistics.median(runs), runs, out


def duckdb_join(orders: pa.Table, codes: pa.Table, threads: int) -> tuple[float, int]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.register("orders", orders)
    con.register("codes", codes)
    query = """
        SELECT o.order_id, c.partner_id, c.code_id
        FROM orders o LEFT JOIN codes c ON upper(o.codes[1]) = c.text
    """
    ns, _, out = median_ns(orders.num_rows, lambda: con.execute(query).arrow())
    matched = out.column("code_id").null_count
    return ns, orders.num_rows - matched


def polars_join(orders: pa.Table, codes: pa.Table) -> tuple[float, int]:
    import polars as pl

    code_frame = pl.from_arrow(codes)

    def run():
        frame = pl.from_arrow(orders)
        joined = frame.with_columns(
            pl.col("codes").list.first().str.to_uppercase().alias("key")
        ).join(code_frame, left_on="key", right_on="text", how="left")
        return joined.select("order_id", "partner_id", "code_id").to_arrow()

    ns, _, out = median_ns(orders.num_rows, run)
    return ns, orders.num_rows - out.column("code_id").null_count


def polars_in_child(args, threads: int | None) -> dict:
    """Polars' figures from a child process whose pool has `threads` threads (all if None)."""
    env = dict(os.environ)
    env.pop("POLARS_MAX_THREADS", None)
    if threads is not None:
        env["POLARS_MAX_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, __file__, "--codes", str(args.codes), "--orders", str(args.orders),
         "--polars-only"],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--polars-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts, picks, table, code_table, rng = data(args.codes, args.orders)
    if args.polars_only:
        ns, matched = polars_join(table, code_table)
        print(json.dumps({"ns": ns, "matched": matched}))
        return

    registry = promo.Registry(payout={"percent_bps": 1000}, lock_after=timedelta(days=30))
    started = time.perf_counter()
    for i, text in enumerate(texts):
        registry.add_tracking(i, text, 1 + i % 1000)
    register_s = time.perf_counter() - started
    engine = registry.compile()
    cores = os.cpu_count() or 1

    one_ns, one_runs, out = median_ns(args.orders, lambda: engine.attribute_arrow(table, threads=1))
    all_ns, all_runs, out_all = median_ns(args.orders, lambda: engine.attribute_arrow(table))
    assert out.num_rows == args.orders and out_all.equals(out), "threads change no result"
    credited = out.column("outcome").to_pylist().count("credited")

    duck_ns, duck_matched = duckdb_join(table, code_table, 1)
    duck_all_ns, _ = duckdb_join(table, code_table, cores)
    polars_one = polars_in_child(args, 1)
    polars_all = polars_in_child(args, None)
    assert duck_matched == polars_one["matched"] == credited, "every join finds what is credited"
    faster_one = min(duck_ns, polars_one["ns"])
    faster_all = min(duck_all_ns, polars_all["ns"])

    loop_n = min(args.orders, 100_000)
    started = time.perf_counter()
    for p in picks[:loop_n]:
        engine.attribute("2026-03-10T12:00:00Z", [p])
    loop_ns = (time.perf_counter() - started) / loop_n * 1e9
    changes = changes_table(args.orders, AT_US, rng)
    judge_ns, judge_runs, (results, final) = median_ns(
        changes.num_rows, lambda: promo.judge_arrow(out, changes)
    )
    assert results.num_rows == changes.num_rows and final.num_rows == args.orders
    r = lambda x: round(x, 1)  # noqa: E731
    print(json.dumps({
        "attribute_arrow_ns_per_order": r(one_ns),
        "duckdb_join_ns_per_order": r(duck_ns),
        "polars_join_ns_per_order": r(polars_one["ns"]),
        "attribute_arrow_ns_per_order_all_cores": r(all_ns),
        "duckdb_join_ns_per_order_all_cores": r(duck_all_ns),
        "polars_join_ns_per_order_all_cores": r(polars_all["ns"]),
        "attribute_arrow_vs_faster_join": round(one_ns / faster_one, 2),
        "attribute_arrow_vs_faster_join_all_cores": round(all_ns / faster_all, 2),
        "attribute_arrow_runs_ns": [r(x) for x in one_runs],
        "attribute_arrow_all_cores_runs_ns": [r(x) for x in all_runs],
        "cores": cores,
        "attribute_python_loop_ns_per_order": r(loop_ns),
        "judge_arrow_ns_per_change": r(judge_ns),
        "judge_arrow_runs_ns": [r(x) for x in judge_runs],
        "changes": changes.num_rows,
        "codes": args.codes,
        "orders": args.orders,
        "credited": credited,
        "register_codes_s": r(register_s),
        "versions": {
            "pyarrow": pa.__version__,
            "duckdb": __import__("duckdb").__version__,
            "polars": __import__("polars").__version__,
        },
    }, indent=2))


def changes_table(orders: int, at_us: int, rng: random.Random) -> pa.Table:
    """About one change per order: none, one or two, of every kind, up to 40 days later."""
    day = 86_400_000_000
    ids, ats, kinds, amounts, reasons = [], [], [], [], []
    for order in range(orders):
        for _ in range((0, 1, 1, 2)[rng.randrange(4)]):
            kind = ("refund", "refund", "restate", "cancel")[rng.randrange(4)]
            ids.append(order)
            ats.append(at_us + rng.randrange(40) * day)
            kinds.append(kind)
            amounts.append(None if kind == "cancel" else rng.randrange(1, 500))
            reasons.append(("returned", "fraud")[rng.randrange(2)] if kind == "cancel" else None)
    return pa.table({
        "order_id": pa.array(ids, pa.int64()),
        "at": pa.array(ats, pa.timestamp("us", tz="UTC")),
        "kind": pa.array(kinds, pa.string()),
        "amount": pa.array(amounts, pa.int64()),
        "reason": pa.array(reasons, pa.string()),
    })


if __name__ == "__main__":
    main()
