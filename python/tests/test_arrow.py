"""attribute_arrow: the same decisions as attribute, columns as documented, bad rows named."""

import random
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

import promo_attribution as promo

TS = pa.timestamp("us", tz="UTC")
CLICK = pa.struct([("partner_id", pa.int64()), ("at", TS)])


def make_registry() -> promo.Registry:
    r = promo.Registry(lookback=timedelta(days=30), payout={"percent_bps": 500}, lock_after=timedelta(days=45))
    for i in range(200):
        r.add_tracking(i, f"CODE{i}", 1 + i % 7, credit=["always", "if_involved", "if_winner"][i % 3])
    r.add_tracking(1000, r"^SUMMER\d+$", 9, regex=True)
    r.add_restricted(2000, "STAFF50", ends_at="2030-01-01T00:00:00Z")
    r.set_contract(3, ends_at="2026-03-05T00:00:00Z")
    return r


def orders(n: int, seed: int):
    rng = random.Random(seed)
    rows = []
    texts = [f"code{i}" for i in range(220)] + ["SUMMER5", "staff50", "", "  code3 "]
    base = 1_773_144_000_000_000  # 2026-03-10T12:00:00Z in microseconds
    for i in range(n):
        at = base + rng.randrange(-10, 10) * 86_400_000_000
        codes = None if rng.random() < 0.2 else rng.sample(texts, rng.randrange(0, 3))
        clicks = None if rng.random() < 0.3 else [
            {"partner_id": rng.randrange(1, 10), "at": at - rng.randrange(0, 40) * 86_400_000_000}
            for _ in range(rng.randrange(0, 4))
        ]
        rows.append({"order_id": f"A-{i}", "at": at, "codes": codes, "clicks": clicks,
                     "amount": rng.randrange(0, 10_000)})
    return rows


def table_of(rows, **extra):
    schema = pa.schema([("order_id", pa.string()), ("at", TS), ("codes", pa.list_(pa.string())),
                        ("clicks", pa.list_(CLICK)), ("amount", pa.int64())] +
                       [(k, v) for k, v in extra.items()])
    return pa.Table.from_pylist(rows, schema=schema)


def expected(engine, row):
    at = row["at"]
    iso = pa.scalar(at, type=TS).as_py().isoformat()
    clicks = [(c["partner_id"], pa.scalar(c["at"], type=TS).as_py()) for c in (row["clicks"] or [])]
    d = engine.attribute(iso, row["codes"] or [], clicks, row["amount"])
    a = d.action
    instant = lambda t: None if t is None else datetime.fromisoformat(t.replace("Z", "+00:00"))
    return {"order_id": row["order_id"], "outcome": d.outcome, "partner_id": d.partner_id,
            "via": d.via, "code_id": d.code_id, "reason": d.reason, "payout": d.payout,
            "revision": engine.revision, "at": instant(a.at), "amount": a.amount,
            "payout_source": a.payout_source, "payout_rule": a.payout_rule,
            "payout_rate": a.payout_rate, "lock_at": instant(a.lock_at), "clawback": a.clawback}


def test_a_table_gets_the_decisions_attribute_gives():
    engine = make_registry().compile()
    rows = orders(3000, 1)
    # Several chunks, to cross batch boundaries.
    table = pa.concat_tables([table_of(rows[:1000]), table_of(rows[1000:])])
    out = engine.attribute_arrow(table)
    assert isinstance(out, pa.Table)
    assert out.column_names == list(promo.OUTPUT_COLUMNS)
    assert out.schema.field("partner_id").type == pa.int64()
    got = out.to_pylist()
    assert got == [expected(engine, row) for row in rows]
    outcomes = {r["outcome"] for r in got}
    assert outcomes == {"credited", "invalid", "unattributed"}


def test_a_record_batch_comes_back_as_one_with_int_order_ids_and_no_optional_columns():
    engine = make_registry().compile()
    batch = pa.RecordBatch.from_pydict(
        {"order_id": pa.array([5, 6], pa.int64()),
         "at": pa.array([1_773_144_000, 1_773_144_000], pa.timestamp("s", tz="UTC")),
         "codes": pa.array([["code3"], None], pa.list_(pa.string()))})
    out = engine.attribute_arrow(batch)
    assert isinstance(out, pa.RecordBatch)
    assert out.to_pylist()[0]["order_id"] == 5
    assert out.to_pylist()[0]["partner_id"] == 4  # code 3: owner 4, always
    assert out.to_pylist()[1]["outcome"] == "unattributed"
    assert out.to_pylist()[0]["payout"] == 0


def test_a_bad_row_is_named_not_a_crash():
    engine = make_registry().compile()
    rows = orders(5, 2)
    rows[3]["at"] = None
    with pytest.raises(promo.PromoAttributionError) as info:
        engine.attribute_arrow(table_of(rows))
    assert 'row 3 (order_id "A-3")' in str(info.value)
    assert "null" in str(info.value)
    assert (info.value.row, info.value.column) == (3, "at")
    rows[3]["at"] = rows[2]["at"]
    rows[4]["amount"] = -1
    with pytest.raises(promo.PromoAttributionError) as info:
        engine.attribute_arrow(pa.concat_tables([table_of(rows[:2]), table_of(rows[2:])]))
    assert (info.value.row, info.value.column, info.value.kind) == (4, "amount", "invalid_value")
    naive = pa.table({"order_id": ["x"], "at": pa.array([0], pa.timestamp("ms"))})
    with pytest.raises(promo.PromoAttributionError, match="without a time zone"):
        engine.attribute_arrow(naive)
    with pytest.raises(promo.PromoAttributionError, match="missing column \"order_id\"") as info:
        engine.attribute_arrow(pa.table({"at": pa.array([0], TS)}))
    assert (info.value.row, info.value.column) == (None, "order_id")
    with pytest.raises(promo.PromoAttributionError, match="pyarrow Table or RecordBatch"):
        engine.attribute_arrow([1, 2, 3])


def test_a_catalog_routes_rows_by_program_and_stamps_each_revision():
    a, b = make_registry(), promo.Registry()
    b.add_tracking(1, "CODE4", 42)
    b.expire(1, "2020-01-01T00:00:00Z")
    b.reactivate(1, "2021-01-01T00:00:00Z")
    catalog = promo.Catalog.compile({1: a, 2: b})
    rows = orders(500, 3)
    for i, row in enumerate(rows):
        row["program_id"] = 1 + i % 2
    out = catalog.attribute_arrow(table_of(rows, program_id=pa.int64())).to_pylist()
    engines = {1: catalog.get(1), 2: catalog.get(2)}
    assert out == [expected(engines[row["program_id"]], row) for row in rows]
    rows[7]["program_id"] = 9
    with pytest.raises(promo.PromoAttributionError) as info:
        catalog.attribute_arrow(table_of(rows, program_id=pa.int64()))
    assert info.value.kind == "unknown_program"
    assert 'row 7 (order_id "A-7")' in str(info.value)
    assert (info.value.row, info.value.column) == (7, "program_id")


def big_table(n: int, bad_rows=()):
    """`n` one-code orders in one chunk, cheap to build; `at` is null at `bad_rows`."""
    base = 1_773_144_000_000_000
    ats = [None if i in bad_rows else base + (i % 20 - 10) * 86_400_000_000 for i in range(n)]
    return pa.table({
        "order_id": pa.array(range(n), pa.int64()),
        "at": pa.array(ats, TS),
        "codes": pa.array([[f"code{i % 230}"] for i in range(n)], pa.list_(pa.string())),
        "amount": pa.array([i % 9_000 for i in range(n)], pa.int64()),
    })


def test_threads_share_the_work_and_change_nothing_in_the_output():
    engine = make_registry().compile()
    table = big_table(150_000)  # three pieces of work and more
    one = engine.attribute_arrow(table, threads=1)
    assert engine.attribute_arrow(table, threads=3).equals(one)
    assert engine.attribute_arrow(table).equals(one)
    got = one.to_pylist()
    for i in range(0, 150_000, 7_919):
        row = table.slice(i, 1).to_pylist()[0]
        assert got[i] == expected(engine, {**row, "clicks": None})


def test_with_threads_the_error_is_the_first_bad_row_in_input_order():
    engine = make_registry().compile()
    table = big_table(200_000, bad_rows={140_000, 190_000})
    for threads in (1, 2, 4):
        with pytest.raises(promo.PromoAttributionError) as info:
            engine.attribute_arrow(table, threads=threads)
        assert (info.value.row, info.value.column) == (140_000, "at")
    with pytest.raises(ValueError, match="at least 1"):
        engine.attribute_arrow(table, threads=0)


def test_a_missing_codes_column_or_a_null_code_is_an_error_not_no_code():
    engine = make_registry().compile()
    at = pa.array([1_773_144_000, 1_773_144_000], pa.timestamp("s", tz="UTC"))
    without = pa.RecordBatch.from_pydict({"order_id": pa.array([5, 6], pa.int64()), "at": at})
    with pytest.raises(promo.PromoAttributionError) as info:
        engine.attribute_arrow(without)
    assert info.value.column == "codes"
    assert 'missing column "codes"' in str(info.value)
    null_inside = pa.RecordBatch.from_pydict(
        {"order_id": pa.array([5, 6], pa.int64()), "at": at,
         "codes": pa.array([["code3"], ["code3", None]], pa.list_(pa.string()))})
    with pytest.raises(promo.PromoAttributionError) as info:
        engine.attribute_arrow(null_inside)
    assert (info.value.row, info.value.column) == (1, "codes")
    assert "is null" in str(info.value)


def test_an_instant_of_the_wrong_type_says_any_zone_will_do():
    engine = make_registry().compile()
    batch = pa.RecordBatch.from_pydict(
        {"order_id": pa.array([5], pa.int64()), "at": pa.array([1], pa.int64()),
         "codes": pa.array([["code3"]], pa.list_(pa.string()))})
    with pytest.raises(promo.PromoAttributionError) as info:
        engine.attribute_arrow(batch)
    assert "any zone" in str(info.value)
    assert "UTC" not in str(info.value)


def test_an_engine_refuses_a_program_id_column_it_would_ignore():
    engine = make_registry().compile()
    rows = orders(10, seed=11)
    for row in rows:
        row["program_id"] = 2
    with pytest.raises(promo.PromoAttributionError) as info:
        engine.attribute_arrow(table_of(rows, program_id=pa.int64()))
    assert info.value.column == "program_id"
    assert "Catalog" in str(info.value)


def test_a_pandas_dataframe_is_read_through_the_arrow_stream_and_gives_a_table():
    pd = pytest.importorskip("pandas")
    engine = make_registry().compile()
    rows = orders(50, seed=12)
    frame = table_of(rows).to_pandas()
    out = engine.attribute_arrow(frame)
    assert isinstance(out, pa.Table)
    assert out.to_pylist() == [expected(engine, row) for row in rows]
    assert isinstance(frame, pd.DataFrame)
