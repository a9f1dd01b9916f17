"""The machine-readable report: every JSON and JSON Lines output validates against
schemas/inspectx-report.schema.json, batches get the right exit code, and the text
rendering is coloured only on a terminal and never with NO_COLOR."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import FIXTURES, run_cli


@pytest.fixture(scope="module")
def report_validator() -> Any:
    schema = json.loads(
        (resources.files("inspectx") / "schemas" / "inspectx-report.schema.json").read_text("utf-8")
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _mixed_batch(folder: Path, count: int) -> dict[str, int]:
    """Copy fixtures round-robin into ``folder``: valid, rule-invalid, warnings-only and
    malformed documents. Returns how many of each verdict to expect."""
    sources = (
        sorted((FIXTURES / "certificates").glob("*.json"))
        + sorted((FIXTURES / "rules").glob("*.json"))
        + sorted((FIXTURES / "invalid").glob("*.json"))
    )
    manifest = {
        line.split("\t")[0]: line.split("\t")[1]
        for line in (FIXTURES / "MANIFEST").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    }
    expected = {"VALID": 0, "INVALID": 0}
    for i in range(count):
        src = sources[i % len(sources)]
        rel = str(src.relative_to(FIXTURES))
        # iso17025-gaps is invalid only under --profile iso17025, which this batch does not use
        verdict = "VALID" if rel == "rules/iso17025-gaps.json" else manifest[rel].upper()
        expected[verdict] += 1
        shutil.copyfile(src, folder / f"{i:04d}-{src.name}")
    return expected


def test_batch_of_1000_gives_jsonl_whose_every_line_validates(
    tmp_path: Path, report_validator: Any
) -> None:
    expected = _mixed_batch(tmp_path, 1000)
    assert expected["VALID"] and expected["INVALID"]
    result = run_cli("validate", str(tmp_path), "--format", "jsonl")
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 1001
    for line in lines:
        report_validator.validate(json.loads(line))
    summary = json.loads(lines[-1])
    assert summary["summary"]["valid"] == expected["VALID"]
    assert summary["summary"]["invalid"] == expected["INVALID"]
    assert summary["exitCode"] == result.returncode == 1


def test_json_report_validates(tmp_path: Path, report_validator: Any) -> None:
    paths = [str(p) for p in sorted((FIXTURES / "rules").iterdir())]
    paths += [str(FIXTURES / "invalid" / "truncated.xml"), str(tmp_path / "missing.json")]
    result = run_cli("validate", *paths, "--profile", "iso17025", "--format", "json")
    report = json.loads(result.stdout)
    report_validator.validate(report)
    assert result.returncode == report["exitCode"] == 4  # an unreadable input outranks
    verdicts = {Path(d["source"]).name: d["verdict"] for d in report["documents"]}
    assert verdicts["missing.json"] == "ERROR"
    assert verdicts["iso17025-gaps.json"] == "INVALID"
    gaps = next(d for d in report["documents"] if d["source"].endswith("iso17025-gaps.json"))
    assert {"id": "profile:iso17025", "status": "failed"} in gaps["checks"]


def test_valid_only_batch_exits_0_and_warnings_do_not_fail(tmp_path: Path) -> None:
    for name in ("toys-en71-3.json", "wheat-mycotoxins.xml"):
        shutil.copyfile(FIXTURES / "certificates" / name, tmp_path / name)
    shutil.copyfile(FIXTURES / "rules" / "status-revoked.json", tmp_path / "revoked.json")
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 0, result.stdout
    text = result.stdout.decode()
    assert "rule.status-not-current" not in text  # a warning: shown only with -v
    verbose = run_cli("validate", str(tmp_path), "-v").stdout.decode()
    assert "warning: rule.status-not-current at /status" in verbose
    assert "check rules" in verbose


def test_text_lists_failing_checks_with_hints() -> None:
    result = run_cli("validate", str(FIXTURES / "rules" / "outcome-contradicts-limit.xml"))
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("✖ INVALID")
    assert "rule.outcome-contradicts-limit at /certificate/tests[" in lines[1]
    assert lines[2].strip().startswith("hint: ")


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    main_fd, child_fd = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspectx", *args],
        stdout=child_fd,
        stderr=subprocess.DEVNULL,
        env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "TERM": "xterm", **env},
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(main_fd)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    target = str(FIXTURES / "rules" / "conclusion-contradicts-tests.json")
    coloured = _run_on_a_terminal(["validate", target], {})
    assert "\x1b[" in coloured
    plain = _run_on_a_terminal(["validate", target], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "INVALID" in plain
    piped = run_cli("validate", target)
    assert b"\x1b[" not in piped.stdout


def test_verify_and_delivery_reports_validate(tmp_path: Path, report_validator: Any) -> None:
    """``verify`` (with a trust list or with keys) and ``delivery verify`` print the same
    inspectx.report/1 shape, with their numbered steps as checks, for every verdict."""
    trust = FIXTURES / "trust"
    expected = json.loads((trust / "EXPECTED.json").read_text("utf-8"))
    signed = sorted(str(trust / case) for case in expected["cases"])
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    admissibility = run_cli(
        "verify", *signed, str(broken), "--trust", str(trust / "demo.trustlist.json"),
        "--operator-key", str(trust / "keys" / "operator.pub.pem"), "--at", expected["at"],
        "--format", "json",
    )  # fmt: skip
    with_keys = run_cli(
        "verify", str(trust / "signed" / "valid.json"),
        str(trust / "signed" / "suspended-at-signing.json"), str(broken),
        "--key-file", str(trust / "keys" / "nordwerk.pub.pem"), "--format", "json",
    )  # fmt: skip
    delivery = FIXTURES / "delivery"
    shipped = json.loads((delivery / "EXPECTED.json").read_text("utf-8"))
    custody = run_cli(
        "delivery", "verify", str(delivery / shipped["bundle"]), str(broken),
        "--certificate", str(delivery / shipped["certificate"]),
        "--trust", str(delivery / shipped["trustList"]),
        "--operator-key", str(trust / "keys" / "operator.pub.pem"),
        "--order", f"{shipped['platform']}:{shipped['order']}",
        "--delivery-code", shipped["deliveryCode"],
        "--at", shipped["at"], "--format", "json",
    )  # fmt: skip
    for result, verdicts in (
        (admissibility, {"VALID", "INVALID", "INDETERMINATE"}),
        (with_keys, {"VALID", "INVALID", "INDETERMINATE"}),
        (custody, {"VALID", "INVALID"}),
    ):
        report = json.loads(result.stdout)
        errors = [e.message for e in report_validator.iter_errors(report)]
        assert errors == [], errors
        assert {d["verdict"] for d in report["documents"]} == verdicts
        assert report["exitCode"] == result.returncode == 1
        assert report["summary"]["total"] == len(report["documents"])
    assert json.loads(admissibility.stdout)["trust"]["id"] == "urn:inspectx:trust-list:demo"
    timeline = json.loads(custody.stdout)["documents"][0]["timeline"]
    assert [t["bizStep"] for t in timeline][-1] == "accepting"
