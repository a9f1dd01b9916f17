"""The conversion benchmark runs, checks its own correctness gates, and prints its figures.

Speed targets are judged by the benchmark itself (docs/benchmarks.md), not here:
timed assertions on a shared machine would be noise.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_convert_benchmark_quick_mode_runs_and_reports_ratios() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "convert.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for line in (
        "inspectx JSON->XML",
        "inspectx XML->JSON",
        "xmlschema JSON->XML",
        "xmlschema XML->JSON",
    ):
        assert line in out
    assert "ratio inspectx/xmlschema" in out and "docs/s" in out


def test_validate_sign_verify_verify_and_delivery_benchmarks_run_in_quick_mode() -> None:
    for script, expected in (
        ("validate.py", "inspectx / naive"),
        ("sign_verify.py", "inspectx / bare signxml"),
        ("verify.py", "trust steps cost"),
        ("delivery.py", "inspectx / floor"),
    ):
        result = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert expected in result.stdout
