"""The conformance runner passes the shared vectors and fails a wrong expectation."""

import glob
import json
import os
import subprocess
import sys


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


def test_every_vector_the_repository_carries_passes():
    """The contract's vectors (conformance/, a copy of the shared folder, order changes
    included) and the crate's own (tests/conformance/): in a clone alone too."""
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    files = sorted(glob.glob(os.path.join(root, "conformance", "**", "*.json"), recursive=True)
                   + glob.glob(os.path.join(root, "tests", "conformance", "*.json")))
    for folder in ("payouts", "live", "changes"):
        assert any(os.sep + folder + os.sep in f for f in files), folder
    result = run(*files)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith(" 0 failed")
