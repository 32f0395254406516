"""The conformance runner passes the shared vectors and fails a wrong expectation."""

import glob
import json
import os
import subprocess
import sys

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "conformance")


def run(*files):
    return subprocess.run([sys.executable, "-m", "promo_attribution.conformance", *files],
                          capture_output=True, text=True)


def test_a_wrong_expectation_and_an_unknown_field_fail(tmp_path):
    case = {"name": "x", "codes": [{"id": 1, "code": "A", "owner": 1}],
            "conversion": {"at": "2026-01-01T00:00:00Z", "codes": ["a"]},
            "expect": {"outcome": "credited", "partner": 2, "via": "code", "code": 1}}
    unknown = dict(case, name="y", surprise=True, expect=dict(case["expect"], partner=1))
    good = dict(case, name="z", expect=dict(case["expect"], partner=1))
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": [case, unknown, good]}))
    result = run(str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "1 passed, 2 failed"
    assert "surprise" in result.stdout


def test_the_shared_vectors_pass():
    files = sorted(glob.glob(os.path.join(SHARED, "**", "*.json"), recursive=True))
    if not files:
        import pytest
        pytest.skip("no shared conformance folder beside the checkout")
    result = run(*files)
    assert result.returncode == 0, result.stdout


def test_the_crates_own_vectors_pass():
    """The vectors the repository carries (the order changes among them): run in a clone alone."""
    own = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "conformance")
    files = sorted(glob.glob(os.path.join(own, "*.json")))
    assert any(f.endswith("changes.json") for f in files), files
    result = run(*files)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith(" 0 failed")
