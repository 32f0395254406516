"""Re-attribute orders on Spark with promo_attribution.

    python examples/spark_backfill.py --codes CODES.csv --orders ORDERS.parquet --out DIR \
        [--master local[2]] [--compare CODES_B.csv] [--check]

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
the orders whose outcome, partner, code or payout differ are written, with both sides
(``a_*`` and ``b_*``). ``--check`` attributes the same orders in this process, without Spark,
and fails unless both give the same rows. ``--generate N`` first writes a sample codes file and
N orders to the given paths. ``local[2]`` runs the same code a cluster runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
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
              "reason string, payout long, revision long")
SIDE = ["outcome", "partner_id", "code_id", "payout"]
COMPARE_DDL = "order_id string, program_id long, " + ", ".join(
    f"{side}_{c} {'string' if c == 'outcome' else 'long'}" for side in "ab" for c in SIDE)


def registries_from(path: str) -> Dict[int, promo.Registry]:
    """Each program's registry, from a bulk file; fails naming every bad row."""
    with open(path, "rb") as f:
        data = f.read()
    programs = promo.Upload.review(data, {}).programs
    registries = {p: promo.Registry() for p in programs}
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


def run_spark(args: argparse.Namespace) -> None:
    from pyspark.sql import SparkSession

    # Locally, the workers run this interpreter (with the package installed); a cluster sets
    # PYSPARK_PYTHON to its own.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.perf_counter()
    spark = (SparkSession.builder.master(args.master).appName("promo-attribution backfill")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
             .config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    timings = {"spark_start_s": time.perf_counter() - started}

    started = time.perf_counter()
    a = snapshot(registries_from(args.codes))
    b = snapshot(registries_from(args.compare)) if args.compare else None
    timings["registries_s"] = time.perf_counter() - started
    shipped = spark.sparkContext.broadcast((key_of(a), a, key_of(b) if b else None, b))

    def attribute(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        key_a, snap_a, key_b, snap_b = shipped.value
        catalog_a = catalog_of(key_a, snap_a)
        catalog_b = catalog_of(key_b, snap_b) if snap_b is not None else None
        for batch in batches:
            out_a = catalog_a.attribute_arrow(batch)
            if catalog_b is None:
                yield out_a.cast(out_a.schema.set(0, pa.field("order_id", pa.string())))
            else:
                yield compare(batch, out_a, catalog_b.attribute_arrow(batch))

    started = time.perf_counter()
    orders = spark.read.parquet(args.orders)
    if "order_id" in orders.columns:
        orders = orders.withColumn("order_id", orders["order_id"].cast("string"))
    result = orders.mapInArrow(attribute, COMPARE_DDL if b else OUTPUT_DDL)
    result.write.mode("overwrite").parquet(args.out)
    timings["attribute_and_write_s"] = time.perf_counter() - started
    count = pq.read_metadata(args.orders).num_rows if not args.orders.endswith("/") else None
    spark.stop()
    for name, seconds in timings.items():
        print(f"{name}: {seconds:.2f}")
    if count:
        print(f"orders: {count}, orders_per_second_attribute_and_write: "
              f"{count / timings['attribute_and_write_s']:.0f}")


def check(args: argparse.Namespace) -> None:
    """The same attribution in this process; fails unless Spark's rows are the same."""
    catalog = promo.Catalog.compile(registries_from(args.codes))
    orders = pq.read_table(args.orders)
    mine = catalog.attribute_arrow(orders.combine_chunks())
    if args.compare:
        other = promo.Catalog.compile(registries_from(args.compare)).attribute_arrow(orders.combine_chunks())
        mine = pa.Table.from_batches([compare(orders.combine_chunks().to_batches()[0],
                                              mine.to_batches()[0], other.to_batches()[0])])
    theirs = pq.read_table(args.out)
    key = [("order_id", "ascending")]
    mine = mine.cast(mine.schema.set(0, pa.field("order_id", pa.string()))).sort_by(key)
    theirs = theirs.select(mine.column_names).sort_by(key)
    if mine.to_pylist() != theirs.to_pylist():
        raise SystemExit("check: Spark's rows differ from the single-process attribution")
    print(f"check: {mine.num_rows} rows, the same as the single-process attribution")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", required=True)
    parser.add_argument("--orders", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--compare")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--generate", type=int, metavar="N")
    args = parser.parse_args()
    if args.generate is not None:
        generate(args.codes, args.orders, args.generate)
    run_spark(args)
    if args.check:
        check(args)


if __name__ == "__main__":
    main()
