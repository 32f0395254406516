"""After the decision: Action.judge for one order, judge_arrow for tables, and the report."""

import random
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

import promo_attribution as promo

TS = pa.timestamp("ms", tz="UTC")
DAY = timedelta(days=1)
T0 = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)


def engine(**settings):
    r = promo.Registry(payout={"percent_bps": 1000}, lock_after=timedelta(days=30), **settings)
    r.add_tracking(10, "SAVE10", 1)
    r.set_contract(2, payout={"fixed": 700})
    r.add_tracking(20, "BOB15", 2)
    return r.compile()


def test_a_decision_carries_its_action_and_judges_its_changes():
    d = engine().attribute(T0, ["SAVE10"], amount=10_000)
    a = d.action
    assert (a.amount, a.payout, a.payout_rule, a.payout_rate, a.payout_source) == (
        10_000, 1_000, "percent_bps", 1_000, "program")
    assert a.lock_at == "2026-04-09T12:00:00Z" and a.clawback is False
    judged = a.judge([(T0 + 5 * DAY, "cancel", "returned"), (T0 + 2 * DAY, "refund", 2_500),
                      (T0 + 40 * DAY, "restate", 1)])
    assert judged.results == [
        {"rejected": None, "amount": 7_500, "payout": 0, "delta": -750, "state": "reversed",
         "reason": "returned", "after_lock": False},
        {"rejected": None, "amount": 7_500, "payout": 750, "delta": -250, "state": "pending",
         "reason": None, "after_lock": False},
        {"rejected": "already_reversed", "amount": None, "payout": None, "delta": None,
         "state": None, "reason": None, "after_lock": None},
    ]
    assert (judged.amount, judged.payout, judged.delta, judged.state, judged.reason) == (
        7_500, 0, -1_000, "reversed", "returned")
    # The action is unchanged: judging is a function of it and the whole list.
    assert a.judge([]).payout == 1_000


def test_a_stored_action_judges_as_the_decision_did():
    d = engine(clawback="enabled").attribute(T0, ["BOB15"], amount=10_000)
    a = d.action
    stored = promo.Action(a.at, a.amount, a.payout_rule, a.payout_rate, a.payout_source,
                          a.lock_at, a.clawback)
    changes = [(T0 + 31 * DAY, "refund", 9_000), (T0 + 32 * DAY, "cancel", "changed_mind")]
    assert stored.judge(changes).results == a.judge(changes).results
    assert a.judge(changes).results[0]["after_lock"] is True
    assert a.judge(changes).results[0]["payout"] == 700  # a fixed contract rate stands
    assert a.judge(changes).results[1]["rejected"] == "invalid_reason"


def test_bad_changes_raise_naming_what_is_wrong():
    a = engine().attribute(T0, ["SAVE10"], amount=100).action
    with pytest.raises(promo.PromoAttributionError, match="unknown change kind") as info:
        a.judge([(T0, "refnud", 5)])
    assert info.value.kind == "invalid_value"
    with pytest.raises(promo.PromoAttributionError, match="tuple"):
        a.judge([(T0, "refund")])
    with pytest.raises(promo.PromoAttributionError, match="payout_rate"):
        promo.Action(T0, 100, "fixed")


def decisions_and_changes(n, seed):
    eng = engine()
    rng = random.Random(seed)
    orders = []
    for i in range(n):
        at = T0 + rng.randrange(0, 20) * DAY
        codes = rng.choice([["SAVE10"], ["bob15"], [], ["nothing"]])
        clicks = [(rng.choice([1, 2, 3]), at - DAY)] if rng.random() < 0.5 else []
        orders.append({"order_id": f"O-{i}", "at": at, "codes": codes,
                       "clicks": [{"partner_id": p, "at": t} for p, t in clicks],
                       "amount": rng.randrange(0, 20_000)})
    table = pa.Table.from_pylist(orders, schema=pa.schema([
        ("order_id", pa.string()), ("at", TS), ("codes", pa.list_(pa.string())),
        ("clicks", pa.list_(pa.struct([("partner_id", pa.int64()), ("at", TS)]))),
        ("amount", pa.int64())]))
    decided = eng.attribute_arrow(table)
    changes = []
    for o in orders:
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            at = o["at"] + rng.randrange(-2, 45) * DAY
            kind = rng.choice(["refund", "restate", "cancel"])
            value = (rng.choice(["returned", "fraud", "test_order", "nope"]) if kind == "cancel"
                     else rng.randrange(-100, 20_000))
            changes.append({"order_id": o["order_id"], "at": at, "kind": kind,
                            "amount": value if kind != "cancel" else None,
                            "reason": value if kind == "cancel" else None})
    rng.shuffle(changes)
    change_table = pa.Table.from_pylist(changes, schema=pa.schema([
        ("order_id", pa.string()), ("at", TS), ("kind", pa.string()), ("amount", pa.int64()),
        ("reason", pa.string())]))
    return eng, orders, decided, changes, change_table


def test_judge_arrow_agrees_with_judging_each_order():
    eng, orders, decided, changes, change_table = decisions_and_changes(400, 7)
    assert decided.column_names == list(promo.OUTPUT_COLUMNS)
    results, final = promo.judge_arrow(decided, change_table)
    assert results.column_names == list(promo.CHANGE_RESULT_COLUMNS)
    assert final.column_names == list(promo.FINAL_STATE_COLUMNS)
    assert results.num_rows == len(changes) and final.num_rows == len(orders)
    results, final = results.to_pylist(), {r["order_id"]: r for r in final.to_pylist()}
    for o in orders:
        action = eng.attribute(o["at"], o["codes"], [(c["partner_id"], c["at"]) for c in o["clicks"]],
                               o["amount"]).action
        mine = [(i, c) for i, c in enumerate(changes) if c["order_id"] == o["order_id"]]
        judged = action.judge([(c["at"], c["kind"], c["amount"] if c["kind"] != "cancel"
                                else c["reason"]) for _, c in mine])
        for (i, c), want in zip(mine, judged.results):
            got = dict(results[i])
            assert got.pop("order_id") == o["order_id"] and got.pop("kind") == c["kind"]
            assert got.pop("at") == c["at"]
            assert got == want
        row = final[o["order_id"]]
        assert (row["amount"], row["payout"], row["delta"], row["state"], row["reason"]) == (
            judged.amount, judged.payout, judged.delta, judged.state, judged.reason)


def test_judge_arrow_names_the_row_and_column_of_bad_input():
    _, _, decided, changes, change_table = decisions_and_changes(20, 8)
    bad = change_table.to_pylist()
    bad[3]["order_id"] = "missing"
    with pytest.raises(promo.PromoAttributionError, match="no stored decision") as info:
        promo.judge_arrow(decided, pa.Table.from_pylist(bad, schema=change_table.schema))
    assert (info.value.row, info.value.column) == (3, "order_id")
    bad = change_table.to_pylist()
    bad[2]["kind"] = "refund"
    bad[2]["amount"] = None
    with pytest.raises(promo.PromoAttributionError, match="needs an amount") as info:
        promo.judge_arrow(decided, pa.Table.from_pylist(bad, schema=change_table.schema))
    assert (info.value.row, info.value.column, info.value.kind) == (2, "amount", "missing_value")
    with pytest.raises(promo.PromoAttributionError, match="appears twice") as info:
        promo.judge_arrow(pa.concat_tables([decided, decided]), change_table)
    assert (info.value.row, info.value.column) == (decided.num_rows, "order_id")
    with pytest.raises(promo.PromoAttributionError, match="missing column \"kind\"") as info:
        promo.judge_arrow(decided, change_table.drop_columns(["kind"]))
    assert info.value.column == "kind"


def test_the_report_counts_orders_net_of_their_changes():
    eng = engine()
    report = promo.PerformanceReport()
    now = T0 + 60 * DAY
    report.add(eng, T0, ["SAVE10"], amount=10_000, changes=[], now=now)
    report.add(eng, T0, ["SAVE10"], amount=10_000, changes=[(T0 + DAY, "refund", 4_000)], now=now)
    report.add(eng, T0, ["SAVE10"], amount=10_000, changes=[(T0 + DAY, "cancel", "fraud")], now=now)
    save10 = report.by_code(False)[10]
    assert (save10["actions"], save10["revenue"], save10["payout"]) == (3, 16_000, 1_600)
    assert (save10["locked"], save10["reversed"]) == (2, 1)
    assert save10["reversed_by_reason"]["fraud"] == 1
    assert sum(save10["reversed_by_reason"].values()) == 1
    with pytest.raises(promo.PromoAttributionError, match="go together"):
        report.add(eng, T0, ["SAVE10"], changes=[])
