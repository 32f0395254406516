"""The Python API: registries, engines, errors, snapshots, bulk files, reports."""

from datetime import datetime, timedelta, timezone

import pytest

import promo_attribution as pa

AT = "2026-03-10T12:00:00Z"


def registry() -> pa.Registry:
    r = pa.Registry(lookback=timedelta(days=30))
    r.add_tracking(10, "BOB15", 1, credit="if_involved")
    r.add_tracking(11, r"^SUMMER\d+$", 3, regex=True, credit="always")
    r.add_restricted(12, "STAFF50", ends_at="2027-01-01T00:00:00Z")
    return r


def test_attribute_credits_the_involved_owner_over_the_click_winner():
    engine = registry().compile()
    clicks = [(1, "2026-03-08T09:00:00Z"), (2, "2026-03-09T09:00:00Z")]
    d = engine.attribute(AT, ["bob15"], clicks, amount=5000)
    assert (d.outcome, d.partner_id, d.via, d.code_id) == ("credited", 1, "code", 10)
    assert d.click_winner == 2
    assert d.entered == ["matched:10"]


def test_restricted_code_makes_the_sale_invalid_and_datetimes_are_accepted():
    engine = registry().compile()
    at = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    d = engine.attribute(at, ["SUMMER26", "staff50"])
    assert (d.outcome, d.partner_id, d.reason, d.payout) == ("invalid", 3, "restricted_code", 0)
    assert d.entered == ["matched:11", "restricted:12"]


def test_an_order_is_judged_up_to_the_program_limits():
    r = pa.Registry(max_entered_codes=2, max_other_matches=1)
    for i in range(3):
        r.add_tracking(i, rf"^HOT\d*(?:X{i}Y)?$", 100 + i, regex=True)
    r.add_restricted(9, "STAFF")
    d = r.compile().attribute(AT, ["HOT1", "HOT2", "STAFF"])
    # The restricted code comes third, past the limit: not judged, so the sale stays payable.
    assert d.entered == ["matched:0", "matched:0", "not_judged"]
    assert (d.outcome, d.partner_id) == ("credited", 100)
    assert d.other_matches == [(0, 1, "outranked")]
    # Code 2 outranked on the first code, codes 1 and 2 on the second, code 0 superseded.
    assert d.other_matches_left_out == 4
    default = pa.Registry()
    default.add_tracking(1, "BOB15", 1)
    d = default.compile().attribute(AT, ["BOB15"] * 40)
    assert d.entered.count("not_judged") == 8
    assert d.other_matches_left_out == 0


def test_errors_carry_their_kind_and_code():
    r = registry()
    with pytest.raises(pa.PromoAttributionError) as info:
        r.add_tracking(13, "bob15", 2)
    assert info.value.kind == "duplicate_code"
    assert info.value.code_id == 13
    assert "duplicate code" in str(info.value)
    with pytest.raises(pa.PromoAttributionError) as info:
        r.add_tracking(14, "X", 2, credit="sometimes")
    assert info.value.kind == "invalid_value"
    assert "expected one of always, if_involved, if_winner" in str(info.value)
    with pytest.raises(pa.PromoAttributionError) as info:
        r.compile().attribute(datetime(2026, 3, 10), ["bob15"])
    assert info.value.kind == "invalid_timestamp"


def test_live_changes_and_refresh():
    r = registry()
    engine = r.compile()
    r.transfer(11, 7, "2026-03-01T00:00:00Z")
    assert engine.attribute(AT, ["SUMMER1"]).partner_id == 3
    refreshed = r.refresh(engine)
    assert refreshed.revision == r.revision
    assert refreshed.attribute(AT, ["SUMMER1"]).partner_id == 7
    assert refreshed.attribute("2026-02-01T00:00:00Z", ["SUMMER1"]).partner_id == 3
    assert r.owner_at(11, AT) == 7
    # A registry read back from a snapshot refreshes the engines of the one written.
    restored = pa.Registry.from_bytes(r.to_bytes())
    restored.expire(10, "2026-03-01T00:00:00Z")
    assert restored.refresh_plan(refreshed) == "incremental"
    assert restored.refresh(refreshed).attribute(AT, ["bob15"]).outcome == "unattributed"
    assert pa.Registry().refresh_plan(refreshed) == "engine_ahead"
    assert registry().refresh_plan(engine) == "other_lineage"


def test_checkpoint_folds_the_history():
    r = registry()
    engine = r.compile()
    assert r.last_checkpoint is None
    revision, digest = r.checkpoint(r.revision)
    assert (revision, len(digest)) == (r.revision, 64)
    assert r.last_checkpoint == (revision, digest)
    r.expire(10, "2026-03-01T00:00:00Z")
    assert r.revision == revision + 1
    assert r.refresh_plan(engine) == "incremental"
    r.checkpoint(r.revision)
    assert r.refresh_plan(engine) == "before_checkpoint"
    assert r.refresh(engine).attribute(AT, ["bob15"]).outcome == "unattributed"
    assert pa.Registry.from_bytes(r.to_bytes()).last_checkpoint == r.last_checkpoint
    with pytest.raises(pa.PromoAttributionError) as err:
        r.checkpoint(r.revision + 5)
    assert err.value.kind == "unknown_revision"


def test_snapshot_round_trip_and_damage():
    r = registry()
    r.set_contract(1, starts_at="2026-01-01T00:00:00Z", payout={"fixed": 250})
    data = r.to_bytes()
    for copy in (pa.Registry.from_bytes(data), pa.Registry.from_bytes(data, validate=True)):
        d = copy.compile().attribute(AT, ["bob15"], [(1, AT)], amount=5000)
        assert (d.outcome, d.payout, d.payout_source) == ("credited", 250, "contract")
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0xFF
    with pytest.raises(pa.PromoAttributionError) as info:
        pa.Registry.from_bytes(bytes(damaged))
    assert info.value.kind == "invalid_snapshot"


def test_exception_list_sets_the_payout():
    r = registry()
    r.add_exception_list("vip", ["SUMMER1"], {"percent_bps": 1000})
    d = r.compile().attribute(AT, ["SUMMER1"], amount=5000)
    assert (d.payout, d.payout_source) == (500, "exception_list:0")


FILE = """Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode
SAVE10,7,101,TRACKING,ALWAYS,LI
BOB15,7,102,TRACKING,SOMETIMES,LI
JANE20,8,103,TRACKING,WINNER,LI
"""


def test_upload_reports_lines_and_columns_and_applies_all_or_nothing():
    seven, eight = pa.Registry(), pa.Registry()
    upload = pa.Upload.review(FILE, {7: seven, 8: eight})
    assert not upload.is_clean
    [problem] = upload.problems
    assert (problem.kind, problem.line, problem.column) == ("invalid_value", 3, "Credit Rule")
    assert upload.rejected_lines == [3]
    with pytest.raises(pa.PromoAttributionError) as info:
        upload.apply({7: seven, 8: eight})
    assert info.value.line == 3 and len(info.value.errors) == 1
    assert len(seven) == 0
    assert upload.apply_valid({7: seven, 8: eight}) == 2
    assert (len(seven), len(eight)) == (1, 1)
    assert upload.rejected_csv().splitlines()[1] == "BOB15,7,102,TRACKING,SOMETIMES,LI"


def test_catalog_routes_orders_and_names_unknown_programs():
    a, b = pa.Registry(), pa.Registry()
    a.add_tracking(1, "STEP10", 1)
    b.add_tracking(1, "STEP10", 2)
    catalog = pa.Catalog.compile({7: a, 8: b})
    assert catalog.programs == [7, 8]
    assert catalog.attribute(7, AT, ["step10"]).partner_id == 1
    assert catalog.attribute(8, AT, ["step10"]).partner_id == 2
    with pytest.raises(pa.PromoAttributionError) as info:
        catalog.attribute(9, AT, ["step10"])
    assert info.value.kind == "unknown_program"


def test_performance_report_counts_by_code_and_partner():
    engine = registry().compile()
    report = pa.PerformanceReport()
    report.add(engine, AT, ["SUMMER1"], amount=1000)
    report.add(engine, AT, ["SUMMER2"], amount=3000)
    report.add(engine, AT, [], amount=500)
    by_code = report.by_code()
    assert by_code[11]["actions"] == 2 and by_code[11]["revenue"] == 4000
    assert by_code[None]["actions"] == 1
    assert report.by_partner()[3]["credited"] == 2
    assert report.total()["actions"] == 3


def test_the_stubs_name_every_credit_policy_the_crate_declares():
    from pathlib import Path

    from promo_attribution import _native

    stubs = (Path(_native.__file__).parent / "_native.pyi").read_text()
    line = next(l for l in stubs.splitlines() if l.startswith("CreditPolicy = Literal["))
    spelled = tuple(name.strip(' "') for name in line[line.index("[") + 1 : line.rindex("]")].split(","))
    assert spelled == tuple(_native.CREDIT_POLICIES)
    r = pa.Registry()
    for i, name in enumerate(_native.CREDIT_POLICIES):
        r.add_tracking(100 + i, f"P{i}", 1, credit=name)


def test_the_column_lists_are_the_ones_written_and_do_not_change_by_accident():
    # The lists come from the code that writes the columns; renaming or reordering one is a
    # breaking change for every host that stores the output, so it is pinned here.
    assert pa.OUTPUT_COLUMNS == (
        "order_id", "outcome", "partner_id", "via", "code_id", "reason", "payout", "revision",
        "at", "amount", "payout_source", "payout_rule", "payout_rate", "lock_at", "clawback",
    )
    assert pa.CHANGE_RESULT_COLUMNS == (
        "order_id", "at", "kind", "rejected", "amount", "payout", "delta", "state", "reason",
        "after_lock",
    )
    assert pa.FINAL_STATE_COLUMNS == (
        "order_id", "amount", "payout", "delta", "state", "reason", "accepted", "lock_at",
    )


def test_settings_are_the_crates_names_and_values():
    r = pa.Registry(
        tracking="enabled",
        click_winner="first_click",
        lookback=timedelta(hours=36),
        unmet_policy="fall_back_to_clicks",
        always_owner_clicks="ignore",
        contracts="optional",
        regex_anchoring="search",
        lock_after=None,
        clawback="disabled",
    )
    r.add_tracking(10, "BOB15", 1, credit="if_winner")
    engine = r.compile()
    # The first click wins; one 36 hours before the order is inside the lookback, a later one
    # from another partner does not beat it.
    d = engine.attribute(AT, ["BOB15"], [(1, "2026-03-09T00:00:00Z"), (2, "2026-03-10T11:00:00Z")])
    assert (d.outcome, d.partner_id) == ("credited", 1)
    with pytest.raises(pa.PromoAttributionError) as info:
        pa.Registry(lookback_days=30)
    assert info.value.kind == "invalid_value"
    assert "the settings are tracking, click_winner, lookback" in str(info.value)
    with pytest.raises(pa.PromoAttributionError) as info:
        pa.Registry(contracts="sometimes")
    assert "expected one of optional, required" in str(info.value)
    with pytest.raises(pa.PromoAttributionError) as info:
        pa.Registry(lookback=30)
    assert "lookback is a non-negative datetime.timedelta" in str(info.value)
