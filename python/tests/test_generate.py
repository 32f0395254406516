"""Generated codes: free of what is registered, reproducible, registered in one batch."""

import pytest

import promo_attribution as pa


def registry() -> pa.Registry:
    r = pa.Registry()
    r.add_tracking(1, "BOB15", 7)
    r.add_tracking(2, r"^BOB-\d+$", 8, regex=True)
    return r


def test_generated_codes_are_free_and_reproducible():
    r = registry()
    engine = r.compile()
    codes = engine.generate(9, "BOB-{4}", 50, seed=3)
    assert len(codes) == len({c.lower() for c in codes}) == 50
    assert all(c.startswith("BOB-") and len(c) == 8 for c in codes)
    # Another owner's family matches BOB- and digits: none of those is given.
    assert not any(c[4:].isdigit() for c in codes)
    assert engine.generate(9, "BOB-{4}", 50, seed=3) == codes
    assert engine.generate(9, "BOB-{4}", 50, seed=4) != codes
    assert engine.generate(9, "bob15", 1, seed=0)[0].startswith("bob15")


def test_add_generated_registers_all_or_nothing():
    r = registry()
    engine = r.compile()
    added = r.add_generated(engine, 9, "JO-{5}", 10, 100, seed=1, note="spring")
    assert [i for i, _ in added] == list(range(100, 110))
    assert len(r) == 12
    with pytest.raises(pa.PromoAttributionError) as err:
        r.add_generated(engine, 9, "JO-{5}", 10, 105, seed=2)
    assert err.value.kind == "duplicate_id"
    assert len(r) == 12


def test_bad_templates_and_small_spaces_raise_with_their_kind():
    engine = registry().compile()
    with pytest.raises(pa.PromoAttributionError) as err:
        engine.generate(9, "B{40}", 1)
    assert err.value.kind == "invalid_template"
    with pytest.raises(pa.PromoAttributionError) as err:
        engine.generate(9, "Z{1}", 3, alphabet="XY")
    assert err.value.kind == "namespace_exhausted"
    assert "spells 2 texts" in str(err.value)
