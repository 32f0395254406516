"""Re-attribute orders on Spark with promo_attribution.

    python examples/spark_backfill.py --codes CODES.csv --orders ORDERS.parquet --out DIR \
        [--master local[2]] [--compare CODES_B.csv] [--changes CHANGES.parquet] \
        [--payout-bps N] [--lock-after-days N] [--check] [--generate N] [--baseline]

Reads a bulk-upload file (SPEC §6 layout, any number of programs, the crate's ``Code Id``
column honoured) and builds each program's registry once, on the driver. The registries travel
to the executors as bytes (``Registry.to_bytes``, one broadcast); each executor's Python worker
compiles them into a ``Catalog`` once and reuses it for every batch it is given. Orders are
attributed with ``mapInArrow`` (Arrow batches in and out, no row objects) and written to
``DIR`` as parquet with the columns of ``Engine.attribute_arrow``.

The orders file has the columns ``order_id`` (string or long), ``program_id`` (long), ``at``
(timestamp), ``codes`` (array<string>), ``clicks`` (array<struct<partner_id: long, at:
timestamp>>) and ``amount`` (long, minor units).

``--compare CODES_B.csv`` is a what-if: every order is attributed under both files, and only
the orders whose outcome, partner, via, code, reason or payout differ are written, with both
sides (``a_*`` and ``b_*``). ``--check`` attributes the same orders in this process, without
Spark, and fails unless both give the same rows. ``--generate N`` first writes a sample codes
file and N orders to the given paths (with ``--compare``, the what-if file too: the same codes,
every ``WINNER`` exact code made ``ALWAYS``; with ``--changes``, a changes file). ``local[2]``
runs the same code a cluster runs.

``--changes CHANGES.parquet`` follows the money after the decision (SPEC §10): the changes
(``order_id``, ``at``, ``kind`` ``refund``/``restate``/``cancel``, ``amount``, ``reason``) are
grouped by order, joined to the re-attributed orders and judged order by order
(``promo_attribution.judge_arrow`` in ``mapInArrow``); ``DIR/orders`` gets each order's
``order_id``, ``partner_id``, ``amount``, ``payout``, ``delta``, ``state`` and ``reason`` after
its changes, and ``DIR/partner_deltas`` the total payout delta per partner. Program settings are
not part of the bulk layout: ``--payout-bps`` and ``--lock-after-days`` set every program's
default payout and lock.

``--baseline`` first runs, in the same session, a job that passes the same orders through an
identity ``mapInArrow`` and writes them to ``DIR.identity`` — what reading, moving batches to
Python and back, and writing cost without the crate — once to warm the session, then timed;
it prints both times and their ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import timedelta
from typing import Dict, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import promo_attribution as promo

TS = pa.timestamp("us", tz="UTC")
ORDERS_SCHEMA = pa.schema([
    ("order_id", pa.string()),
    ("program_id", pa.int64()),
    ("at", TS),
    ("codes", pa.list_(pa.string())),
    ("clicks", pa.list_(pa.struct([("partner_id", pa.int64()), ("at", TS)]))),
    ("amount", pa.int64()),
])
OUTPUT_DDL = ("order_id string, outcome string, partner_id long, via string, code_id long, "
              "reason string, payout long, revision long, at timestamp, amount long, "
              "payout_source string, payout_rule string, payout_rate long, lock_at timestamp, "
              "clawback boolean")
CHANGES_SCHEMA = pa.schema([
    ("order_id", pa.string()),
    ("at", TS),
    ("kind", pa.string()),
    ("amount", pa.int64()),
    ("reason", pa.string()),
])
SETTLED_COLUMNS = ["order_id", "partner_id", "amount", "payout", "delta", "state", "reason"]
SETTLED_DDL = ("order_id string, partner_id long, amount long, payout long, delta long, "
               "state string, reason string")
SIDE = ["outcome", "partner_id", "via", "code_id", "reason", "payout"]
TEXT_COLUMNS = {"outcome", "via", "reason"}
COMPARE_DDL = "order_id string, program_id long, " + ", ".join(
    f"{side}_{c} {'string' if c in TEXT_COLUMNS else 'long'}" for side in "ab" for c in SIDE)


def registries_from(path: str, settings: Dict[str, object]) -> Dict[int, promo.Registry]:
    """Each program's registry, from a bulk file; fails naming every bad row."""
    with open(path, "rb") as f:
        data = f.read()
    programs = promo.Upload.review(data, {}).programs
    registries = {p: promo.Registry(**settings) for p in programs}
    upload = promo.Upload.review(data, registries)
    if not upload.is_clean:
        for problem in upload.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        raise SystemExit(f"{path}: {len(upload.problems)} problem(s); nothing attributed")
    upload.apply(registries)
    return registries


def snapshot(registries: Dict[int, promo.Registry]) -> Dict[int, bytes]:
    return {p: r.to_bytes() for p, r in registries.items()}


# One catalog per executor process and snapshot: built on the first batch, reused after.
_CATALOGS: Dict[str, promo.Catalog] = {}


def catalog_of(key: str, snapshots: Dict[int, bytes]) -> promo.Catalog:
    catalog = _CATALOGS.get(key)
    if catalog is None:
        registries = {p: promo.Registry.from_bytes(b) for p, b in snapshots.items()}
        catalog = promo.Catalog.compile(registries)
        _CATALOGS[key] = catalog
    return catalog


def key_of(snapshots: Dict[int, bytes]) -> str:
    digest = hashlib.sha256()
    for program in sorted(snapshots):
        digest.update(program.to_bytes(8, "little"))
        digest.update(hashlib.sha256(snapshots[program]).digest())
    return digest.hexdigest()


def differs(a: pa.Array, b: pa.Array) -> pa.Array:
    """Row by row, whether two columns differ, a null differing from any value."""
    unequal = pc.fill_null(pc.not_equal(a, b), False)
    return pc.or_(unequal, pc.xor(pc.is_null(a), pc.is_null(b)))


def compare(batch: pa.RecordBatch, a: pa.RecordBatch, b: pa.RecordBatch) -> pa.RecordBatch:
    mask = None
    for column in SIDE:
        d = differs(a.column(column), b.column(column))
        mask = d if mask is None else pc.or_(mask, d)
    columns = {"order_id": pc.cast(batch.column("order_id"), pa.string()),
               "program_id": batch.column("program_id")}
    for side, result in (("a", a), ("b", b)):
        for column in SIDE:
            columns[f"{side}_{column}"] = result.column(column)
    return pa.RecordBatch.from_pydict(columns).filter(mask)


def program_settings(args: argparse.Namespace) -> Dict[str, object]:
    settings: Dict[str, object] = {}
    if args.payout_bps is not None:
        settings["payout"] = {"percent_bps": args.payout_bps}
    if args.lock_after_days is not None:
        settings["lock_after"] = timedelta(days=args.lock_after_days)
    return settings


def settle(decisions: pa.RecordBatch, changes: pa.Array) -> pa.RecordBatch:
    """Each order of `decisions` after its `changes` (a list of structs per order, in the
    order they were recorded), with its partner."""
    flat = pc.list_flatten(changes)
    table = pa.RecordBatch.from_arrays(
        [pc.take(decisions.column("order_id"), pc.list_parent_indices(changes))]
        + [flat.field(name) for name in CHANGES_SCHEMA.names[1:]],
        schema=CHANGES_SCHEMA)
    return settled_orders(decisions, table)


def settled_orders(decisions, changes):
    """`judge_arrow`'s state of each order after its changes, with the order's partner, in the
    columns the job writes (a table or a record batch, as `decisions` is)."""
    _, final = promo.judge_arrow(decisions, changes)
    columns = {name: final.column(name) for name in SETTLED_COLUMNS if name != "partner_id"}
    columns["partner_id"] = decisions.column("partner_id")
    return type(final).from_pydict({name: columns[name] for name in SETTLED_COLUMNS})


def spark_types(schema: pa.Schema) -> pa.Schema:
    """The output's schema as Spark reads it back: string order ids, microsecond instants."""
    for i, field in enumerate(schema):
        if field.name == "order_id":
            schema = schema.set(i, pa.field("order_id", pa.string()))
        elif pa.types.is_timestamp(field.type):
            schema = schema.set(i, pa.field(field.name, TS, field.nullable))
    return schema


def run_spark(args: argparse.Namespace) -> None:
    from pyspark.sql import SparkSession

    # Locally, the workers run this interpreter (with the package installed); a cluster sets
    # PYSPARK_PYTHON to its own.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.perf_counter()
    spark = (SparkSession.builder.master(args.master).appName("promo-attribution backfill")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
             # Instants as UTC microseconds in parquet (not INT96), as the Arrow side has them.
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
             .config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    timings = {"spark_start_s": time.perf_counter() - started}

    started = time.perf_counter()
    a = snapshot(registries_from(args.codes, program_settings(args)))
    b = snapshot(registries_from(args.compare, program_settings(args))) if args.compare else None
    timings["registries_s"] = time.perf_counter() - started
    shipped = spark.sparkContext.broadcast((key_of(a), a, key_of(b) if b else None, b))

    def attribute(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        key_a, snap_a, key_b, snap_b = shipped.value
        catalog_a = catalog_of(key_a, snap_a)
        catalog_b = catalog_of(key_b, snap_b) if snap_b is not None else None
        for batch in batches:
            # Spark runs a task per core already: one thread per batch.
            out_a = catalog_a.attribute_arrow(batch, threads=1)
            if catalog_b is None:
                yield out_a.cast(spark_types(out_a.schema))
            else:
                yield compare(batch, out_a, catalog_b.attribute_arrow(batch, threads=1))

    orders = spark.read.parquet(args.orders)
    if "order_id" in orders.columns:
        orders = orders.withColumn("order_id", orders["order_id"].cast("string"))
    if args.baseline:
        def identity(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            yield from batches

        identity_out = args.out.rstrip("/") + ".identity"
        # Once untimed, so that neither timed job pays for the session's first job (JVM
        # warm-up, Python workers, the file cache).
        orders.mapInArrow(identity, orders.schema).write.mode("overwrite").parquet(identity_out)
        started = time.perf_counter()
        orders.mapInArrow(identity, orders.schema).write.mode("overwrite").parquet(identity_out)
        timings["identity_map_in_arrow_and_write_s"] = time.perf_counter() - started

    started = time.perf_counter()
    result = orders.mapInArrow(attribute, COMPARE_DDL if b else OUTPUT_DDL)
    if args.changes and not b:
        from pyspark.sql import functions as F

        def attribute_and_judge(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            key_a, snap_a, _, _ = shipped.value
            catalog = catalog_of(key_a, snap_a)
            for batch in batches:
                # One row out per row in, in order: the decisions line up with the changes.
                yield settle(catalog.attribute_arrow(batch, threads=1), batch.column("changes"))

        # The order the changes were recorded in (the file's) breaks ties between changes at
        # one instant, as SPEC §10 asks: collect_list alone does not keep it.
        changes = (spark.read.parquet(args.changes)
                   .withColumn("order_id", F.col("order_id").cast("string"))
                   .withColumn("seq", F.monotonically_increasing_id())
                   .groupBy("order_id")
                   .agg(F.array_sort(F.collect_list(F.struct("seq", *CHANGES_SCHEMA.names[1:])))
                        .alias("changes")))
        # The changes join the orders before they are attributed, so that each batch is
        # attributed and judged in one pass through Python; they touch a fraction of the
        # orders, so they are broadcast rather than shuffled.
        settled = (orders.join(F.broadcast(changes), "order_id", "left")
                   .mapInArrow(attribute_and_judge, SETTLED_DDL))
        settled.write.mode("overwrite").parquet(os.path.join(args.out, "orders"))
        timings["of_which_partner_deltas_s"] = -time.perf_counter()
        (spark.read.parquet(os.path.join(args.out, "orders"))
         .groupBy("partner_id").agg(F.sum("delta").alias("payout_delta"))
         .write.mode("overwrite").parquet(os.path.join(args.out, "partner_deltas")))
        timings["of_which_partner_deltas_s"] += time.perf_counter()
    else:
        result.write.mode("overwrite").parquet(args.out)
    timings["attribute_and_write_s"] = time.perf_counter() - started
    if args.baseline:
        timings["attribute_vs_identity"] = (timings["attribute_and_write_s"]
                                            / timings["identity_map_in_arrow_and_write_s"])
    count = pq.read_metadata(args.orders).num_rows if not args.orders.endswith("/") else None
    spark.stop()
    for name, value in timings.items():
        print(f"{name}: {value:.2f}")
    if count:
        print(f"orders: {count}, orders_per_second_attribute_and_write: "
              f"{count / timings['attribute_and_write_s']:.0f}")


def check(args: argparse.Namespace) -> None:
    """The same attribution in this process; fails unless Spark's rows are the same."""
    catalog = promo.Catalog.compile(registries_from(args.codes, program_settings(args)))
    orders = pq.read_table(args.orders)
    mine = catalog.attribute_arrow(orders.combine_chunks())
    if args.changes and not args.compare:
        check_changes(args, mine)
        return
    if args.compare:
        other = promo.Catalog.compile(
            registries_from(args.compare, program_settings(args))).attribute_arrow(orders.combine_chunks())
        # Each side in one batch: attribute_arrow's output has a chunk per 65,536 rows.
        def whole(table: pa.Table) -> pa.RecordBatch:
            return table.combine_chunks().to_batches()[0]

        mine = pa.Table.from_batches([compare(whole(orders), whole(mine), whole(other))])
    theirs = pq.read_table(args.out)
    key = [("order_id", "ascending")]
    mine = mine.cast(spark_types(mine.schema)).sort_by(key)
    theirs = theirs.select(mine.column_names).sort_by(key)
    if mine.to_pylist() != theirs.to_pylist():
        raise SystemExit("check: Spark's rows differ from the single-process attribution")
    print(f"check: {mine.num_rows} rows, the same as the single-process attribution")


def check_changes(args: argparse.Namespace, decided: pa.Table) -> None:
    """The changes judged in this process, order by order; fails unless Spark's orders and
    per-partner deltas are the same."""
    decided = decided.combine_chunks()
    changes = pq.read_table(args.changes)
    changes = changes.cast(changes.schema.set(0, pa.field("order_id", pa.string())))
    decided = decided.cast(decided.schema.set(0, pa.field("order_id", pa.string())))
    mine = settled_orders(decided, changes)
    key = [("order_id", "ascending")]
    theirs = pq.read_table(os.path.join(args.out, "orders")).select(SETTLED_COLUMNS).sort_by(key)
    if mine.sort_by(key).to_pylist() != theirs.to_pylist():
        raise SystemExit("check: Spark's orders after their changes differ from the Rust judge")
    deltas: Dict[object, int] = {}
    for row in mine.select(["partner_id", "delta"]).to_pylist():
        deltas[row["partner_id"]] = deltas.get(row["partner_id"], 0) + row["delta"]
    spark_deltas = {r["partner_id"]: r["payout_delta"] for r in
                    pq.read_table(os.path.join(args.out, "partner_deltas")).to_pylist()}
    if deltas != spark_deltas:
        raise SystemExit("check: Spark's payout deltas per partner differ from the Rust judge")
    moved = sum(1 for d in deltas.values() if d)
    print(f"check: {mine.num_rows} orders after {changes.num_rows} changes and "
          f"{len(deltas)} partners' deltas ({moved} non-zero), the same as the Rust judge")


def generate_changes(orders_path: str, changes_path: str, seed: int = 11) -> None:
    """About 20 % of the orders refunded, cancelled or restated, up to 45 days on (some after
    a 30-day lock), a few twice."""
    rng = random.Random(seed)
    orders = pq.read_table(orders_path, columns=["order_id", "at", "amount"]).to_pylist()
    columns = {name: [] for name in CHANGES_SCHEMA.names}
    day = timedelta(days=1)
    for order in orders:
        if rng.random() >= 0.2:
            continue
        for _ in range(1 if rng.random() < 0.85 else 2):
            kind = ("refund", "refund", "restate", "cancel")[rng.randrange(4)]
            columns["order_id"].append(order["order_id"])
            columns["at"].append(order["at"] + rng.randrange(0, 45) * day)
            columns["kind"].append(kind)
            amount = order["amount"] or 1
            columns["amount"].append(None if kind == "cancel" else
                                     rng.randrange(1, amount + 1) if kind == "refund" else
                                     rng.randrange(0, 2 * amount))
            columns["reason"].append(rng.choice(["returned", "fraud", "duplicate", "test_order"])
                                     if kind == "cancel" else None)
    pq.write_table(pa.table(columns, schema=CHANGES_SCHEMA), changes_path)


def generate(codes_path: str, orders_path: str, count: int, seed: int = 7) -> None:
    """Two programs of exact, regex and restricted codes, and `count` orders using them."""
    rng = random.Random(seed)
    header = "Code Id,Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode,Active End Date"
    lines = [header]
    texts = []
    for program in (1, 2):
        for i in range(2000):
            rule = ["ALWAYS", "INVOLVED", "WINNER"][i % 3]
            lines.append(f"{i + 1},P{program}C{i},{program},{1 + i % 50},TRACKING,{rule},LI,")
            texts.append(f"p{program}c{i}")
        lines.append(f"5000,^SUMMER\\d{{2}}$,{program},{program * 7},TRACKING,ALWAYS,RE,")
        lines.append(f"6000,STAFF{program},{program},,RESTRICTED,,,2030-01-01T00:00:00Z")
    texts += ["SUMMER26", "summer26", "staff1", "STAFF2", "nope", ""]
    with open(codes_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    base = 1_773_144_000_000_000
    columns = {name: [] for name in ORDERS_SCHEMA.names}
    for i in range(count):
        at = base + rng.randrange(-30, 30) * 3_600_000_000
        columns["order_id"].append(f"O{i}")
        columns["program_id"].append(1 + i % 2)
        columns["at"].append(at)
        columns["codes"].append(None if i % 5 == 0 else [rng.choice(texts)])
        columns["clicks"].append(None if i % 3 == 0 else [
            {"partner_id": rng.randrange(1, 60), "at": at - rng.randrange(0, 40) * 86_400_000_000}])
        columns["amount"].append(rng.randrange(0, 20_000))
    pq.write_table(pa.table(columns, schema=ORDERS_SCHEMA), orders_path, row_group_size=1 << 20)


def generate_what_if(codes_path: str, what_if_path: str) -> None:
    """The codes of `codes_path`, every exact code that credits only the click winner made to
    credit always: the what-if of a brand that pays its codes whatever the clicks say."""
    with open(codes_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    changed = [line.replace(",WINNER,LI,", ",ALWAYS,LI,") for line in lines]
    if changed == lines:
        raise SystemExit(f"{codes_path} has no WINNER exact code to change")
    with open(what_if_path, "w", encoding="utf-8") as f:
        f.write("\n".join(changed) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", required=True)
    parser.add_argument("--orders", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--compare")
    parser.add_argument("--changes", metavar="CHANGES.parquet")
    parser.add_argument("--payout-bps", type=int, metavar="N")
    parser.add_argument("--lock-after-days", type=int, metavar="N")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--generate", type=int, metavar="N")
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    if args.changes and args.compare:
        parser.error("--changes and --compare are separate runs")
    if args.generate is not None:
        generate(args.codes, args.orders, args.generate)
        if args.compare:
            generate_what_if(args.codes, args.compare)
        if args.changes:
            generate_changes(args.orders, args.changes)
    run_spark(args)
    if args.check:
        check(args)


if __name__ == "__main__":
    main()
