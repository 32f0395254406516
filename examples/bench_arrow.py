"""Time Engine.attribute_arrow: one-code orders over 1,000,000 exact codes, one thread.

    python examples/bench_arrow.py [--codes N] [--orders N]

Prints one JSON object: nanoseconds per order (median of 5 runs, Arrow conversion in and out
included), and per order for Engine.attribute in a Python loop, in the same run; then
promo_attribution.judge_arrow over about one change per order (refunds, restatements,
cancellations, some after the lock) against the attribute_arrow output: nanoseconds per change
(median of 5 runs, the join on order_id and both output tables included).
"""

import argparse
import json
import random
import statistics
import time

import pyarrow as pa

import promo_attribution as promo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(1)
    registry = promo.Registry(payout={"percent_bps": 1000}, lock_after_days=30)
    texts = [f"C{rng.getrandbits(40):010X}{i}" for i in range(args.codes)]
    started = time.perf_counter()
    for i, text in enumerate(texts):
        registry.add_tracking(i, text, 1 + i % 1000)
    register_s = time.perf_counter() - started
    engine = registry.compile()
    picks = [texts[rng.randrange(args.codes)].lower() for _ in range(args.orders)]
    at = 1_773_144_000_000_000
    table = pa.table({
        "order_id": pa.array(range(args.orders), pa.int64()),
        "at": pa.array([at] * args.orders, pa.timestamp("us", tz="UTC")),
        "codes": pa.array([[p] for p in picks], pa.list_(pa.string())),
    })
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        out = engine.attribute_arrow(table)
        runs.append((time.perf_counter() - started) / args.orders * 1e9)
    assert out.num_rows == args.orders
    credited = sum(1 for o in out.column("outcome").to_pylist()[:1000] if o == "credited")
    loop_n = min(args.orders, 100_000)
    started = time.perf_counter()
    for p in picks[:loop_n]:
        engine.attribute("2026-03-10T12:00:00Z", [p])
    loop_ns = (time.perf_counter() - started) / loop_n * 1e9
    changes = changes_table(args.orders, at, rng)
    judge_runs = []
    for _ in range(5):
        started = time.perf_counter()
        results, final = promo.judge_arrow(out, changes)
        judge_runs.append((time.perf_counter() - started) / changes.num_rows * 1e9)
    assert results.num_rows == changes.num_rows and final.num_rows == args.orders
    print(json.dumps({
        "judge_arrow_ns_per_change": round(statistics.median(judge_runs), 1),
        "judge_arrow_runs_ns": [round(r, 1) for r in judge_runs],
        "changes": changes.num_rows,
        "attribute_arrow_ns_per_order": round(statistics.median(runs), 1),
        "attribute_arrow_runs_ns": [round(r, 1) for r in runs],
        "attribute_python_loop_ns_per_order": round(loop_ns, 1),
        "codes": args.codes,
        "orders": args.orders,
        "credited_of_first_1000": credited,
        "register_codes_s": round(register_s, 1),
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
